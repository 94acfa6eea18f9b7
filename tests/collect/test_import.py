"""Importing responses from files: the mapping, the dry run, all-or-nothing, skipping bad rows."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from heedback.collect import importing
from heedback.collect.importing import ColumnMapping, ImportOptions, ImportRequest, RowProblem
from heedback.collect.models import Answer, Response
from heedback.collect.services import publish_and_open_links
from heedback.core.errors import Conflict, InvalidInput
from heedback.orgs.models import AuditEvent, Unit
from heedback.surveys import services as survey_services

pytestmark = pytest.mark.django_db

DEFINITION = {
    "title": "Visit",
    "questions": [
        {"key": "nps", "type": "nps", "text": "Recommend us?", "required": True},
        {"key": "staff", "type": "rating", "text": "Staff?", "scale": {"min": 1, "max": 5}},
        {"key": "again", "type": "yes_no", "text": "Again?"},
        {
            "key": "visited",
            "type": "multi_choice",
            "text": "Which?",
            "options": [{"key": "bar", "label": "Bar"}, {"key": "spa", "label": "Spa"}],
        },
        {"key": "remark", "type": "text", "text": "Anything else?"},
    ],
}
MAPPING = {
    "answers": {"Score": "nps", "Staff": "staff", "Again": "again", "Visited": "visited"},
    "unit": "Hotel",
    "submitted_at": "Date",
    "external_id": "Ref",
    "comment": "Comment",
    "channel": "paper",
    "values": {"Staff": {"satisfied": 5, "unhappy": 1, "0": None}},
}
HEADER = ["Ref", "Hotel", "Date", "Score", "Staff", "Again", "Visited", "Comment"]


def make_survey(organisation):
    """Publish the survey the import tests use (call it after the hotels exist)."""
    created = survey_services.create_survey(organisation, name="Visit", definition=DEFINITION)
    publish_and_open_links(created)
    created.refresh_from_db()
    return created


@pytest.fixture
def survey(organisation, hotel, other_hotel):
    return make_survey(organisation)


def write_csv(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(survey, path, mapping=MAPPING, **options):
    bad_rows = options.pop("bad_rows_path", None)
    request = ImportRequest(
        survey=survey,
        path=path,
        mapping=importing.parse_mapping(mapping),
        options=ImportOptions(**options),
        bad_rows_path=bad_rows,
    )
    return importing.run_import(request)


GOOD_ROWS = [
    ["r1", "Harbour Hotel", "2024-05-01", "9", "satisfied", "yes", "bar;spa", "Lovely"],
    ["r2", "Hill Hotel", "2024-05-02T10:30:00+02:00", "3", "2", "no", "", ""],
    ["r3", "harbour hotel", "2024-05-03 08:00", "10.0", "0", "", "spa", "=HYPERLINK()"],
]


def test_mapping_structure_errors_are_reported_together():
    with pytest.raises(InvalidInput) as caught:
        importing.parse_mapping(
            {"answers": ["Score"], "unit": 3, "colour": "x", "values": {"Staff": {"a": {}}}}
        )
    assert caught.value.errors == {
        "colour": [
            "unknown field; use answers, unit, submitted_at, external_id, comment, staff, "
            "channel, values"
        ],
        "answers": ["must map column names to question keys"],
        "unit": ["must name a column"],
        "values.Staff.a": ["must be text, a number, true, false or null"],
    }


def test_mapping_is_checked_against_the_survey_and_the_file(survey, tmp_path):
    path = write_csv(tmp_path / "in.csv", GOOD_ROWS)
    mapping = {
        "answers": {"Score": "nps", "Staf": "staff", "Again": "agian", "Visited": "nps"},
        "unit": "Branch",
        "channel": "pigeon",
        "values": {"Comment": {"x": 1}, "Score": {"great": 11}},
    }
    with pytest.raises(InvalidInput) as caught:
        run(survey, path, mapping)
    assert caught.value.message == "The column mapping does not fit the file and the survey."
    assert caught.value.errors == {
        "answers.Staf": ["no column 'Staf' in the file"],
        "answers.Again": [
            "unknown question 'agian'; the survey asks: nps, staff, again, visited, remark"
        ],
        "answers.Visited": ["question 'nps' is already mapped from column 'Score'"],
        "values.Comment": ["the column is not mapped to a question"],
        "values.Score.great": ["must be a whole number from 0 to 10"],
        "unit": ["no column 'Branch' in the file"],
        "channel": [
            "'pigeon' is neither a column of the file nor a channel (web, email, qr, kiosk, "
            "paper, api, import, phone, review, social)"
        ],
    }
    assert Response.objects.count() == 0


def test_a_required_question_without_a_column_is_a_mapping_error(survey, tmp_path):
    path = write_csv(tmp_path / "in.csv", GOOD_ROWS)
    with pytest.raises(InvalidInput) as caught:
        run(survey, path, {"answers": {"Staff": "staff"}, "unit": "Hotel"})
    assert caught.value.errors == {
        "answers": ["question 'nps' is required by the survey; map a column to it"]
    }


def test_a_survey_that_is_not_published_refuses_imports(organisation, tmp_path):
    draft = survey_services.create_survey(organisation, name="Draft", definition=DEFINITION)
    path = write_csv(tmp_path / "in.csv", GOOD_ROWS)
    with pytest.raises(Conflict):
        run(draft, path)


def test_an_import_stores_recoded_values_units_times_and_channel(
    survey, hotel, other_hotel, tmp_path
):
    path = write_csv(tmp_path / "in.csv", GOOD_ROWS)
    report = run(survey, path)
    assert (report.rows, report.created, report.duplicates, report.invalid) == (3, 3, 0, 0)
    assert report.written
    assert report.is_clean
    stored = {r.external_id: r for r in Response.objects.prefetch_related("answers")}
    first, second, third = stored["r1"], stored["r2"], stored["r3"]
    answers = {r: {a.question_key: a.value for a in stored[r].answers.all()} for r in stored}
    assert answers == {
        "r1": {"nps": 9, "staff": 5, "again": 1, "visited": ["bar", "spa"]},
        "r2": {"nps": 3, "staff": 2, "again": 0},
        "r3": {"nps": 10, "visited": ["spa"]},  # "0" recoded to unanswered
    }
    assert (first.unit, second.unit, third.unit) == (hotel, other_hotel, hotel)
    assert {r.channel for r in stored.values()} == {"paper"}
    # Dates without a zone are the organisation's (Europe/London, summer time).
    assert first.submitted_at == datetime(2024, 4, 30, 23, 0, tzinfo=UTC)
    assert second.submitted_at == datetime(2024, 5, 2, 8, 30, tzinfo=UTC)
    assert str(first.local_date) == "2024-05-01"
    assert (first.comment, third.comment) == ("Lovely", "=HYPERLINK()")


def test_a_dry_run_reports_every_bad_row_with_its_line_field_and_reason(survey, tmp_path):
    rows = [
        GOOD_ROWS[0],
        ["r2", "Nowhere Inn", "2024-05-02", "11", "6", "maybe", "golf", ""],
        ["r3", "Hill Hotel", "31/05/2024", "", "4", "", "", ""],
        ["r4", "Hill Hotel"],
        ["r5", "Hill Hotel", "2999-01-01", "7", "3", "", "", "x" * 5001],
    ]
    path = write_csv(tmp_path / "in.csv", rows)
    heard: list[RowProblem] = []

    class Listener(importing.ImportListener):
        def problem(self, problem):
            heard.append(problem)

    request = ImportRequest(
        survey=survey,
        path=path,
        mapping=importing.parse_mapping(MAPPING),
        options=ImportOptions(dry_run=True),
    )
    report = importing.run_import(request, Listener())
    assert (report.rows, report.created, report.duplicates, report.invalid) == (5, 1, 0, 4)
    assert report.dry_run
    assert not report.written
    assert not report.refused
    assert [(p.line, p.field, p.reason) for p in report.problems] == [
        (3, "Hotel", "no unit has this name or id (--create-units creates it) (got 'Nowhere Inn')"),
        (3, "Score", "must be a whole number from 0 to 10 (got '11')"),
        (3, "Staff", "must be a whole number from 1 to 5 (got '6')"),
        (3, "Again", "must be yes or no (got 'maybe')"),
        (3, "Visited", "must contain only the options offered (got 'golf')"),
        (
            4,
            "Date",
            "must be a date or time such as 2024-05-31 or 2024-05-31T14:05:00+02:00 "
            "(got '31/05/2024')",
        ),
        (4, "Score", "this question is required"),
        (5, "row", "has 2 values where the header has 8 columns"),
        (6, "Date", "Give a time with its time zone, not in the future. (got '2999-01-01')"),
        (6, "Comment", "At most 5000 characters. (got '" + "x" * 39 + "…')"),
    ]
    assert heard == report.problems
    assert Response.objects.count() == 0


def test_line_numbers_count_the_lines_of_multi_line_cells(survey, tmp_path):
    rows = [
        ["r1", "Harbour Hotel", "2024-05-01", "9", "", "", "", "two\nlines"],
        ["r2", "Harbour Hotel", "2024-05-01", "99", "", "", "", "three\nmore\nlines"],
        ["r3", "Harbour Hotel", "2024-05-01", "-1", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "in.csv", rows)
    report = run(survey, path, dry_run=True)
    assert [(p.line, p.field) for p in report.problems] == [(4, "Score"), (7, "Score")]


def test_all_or_nothing_writes_nothing_when_one_row_is_invalid(survey, tmp_path):
    rows = [*GOOD_ROWS, ["r4", "Harbour Hotel", "2024-05-01", "eleven", "", "", "", ""]]
    path = write_csv(tmp_path / "in.csv", rows)
    report = run(survey, path, create_units=True)
    assert report.refused
    assert not report.written
    assert (report.rows, report.created, report.invalid) == (4, 3, 1)
    assert [(p.line, p.field) for p in report.problems] == [(5, "Score")]
    assert Response.objects.count() == 0
    assert Answer.objects.count() == 0


def test_skip_invalid_writes_the_good_rows_and_a_file_of_the_bad_ones(survey, tmp_path):
    rows = [
        *GOOD_ROWS,
        ["r4", "Harbour Hotel", "2024-05-01", "eleven", "", "", "", "=cmd|' /C calc'!A0"],
        ["r5", "Atlantis", "2024-05-01", "5", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "in.csv", rows)
    bad_rows = tmp_path / "in.bad-rows.csv"
    report = run(survey, path, skip_invalid=True, bad_rows_path=bad_rows)
    assert (report.rows, report.created, report.duplicates, report.invalid) == (5, 3, 0, 2)
    assert report.written
    assert not report.refused
    assert report.bad_rows_path == bad_rows
    assert sorted(Response.objects.values_list("external_id", flat=True)) == ["r1", "r2", "r3"]
    with open(bad_rows, encoding="utf-8", newline="") as written:
        lines = list(csv.reader(written))
    assert lines == [
        ["line", "reason", *HEADER],
        [
            "5",
            "Score: must be a whole number from 0 to 10 (got 'eleven')",
            "r4",
            "Harbour Hotel",
            "2024-05-01",
            "eleven",
            "",
            "",
            "",
            "=cmd|' /C calc'!A0",
        ],
        [
            "6",
            "Hotel: no unit has this name or id (--create-units creates it) (got 'Atlantis')",
            "r5",
            "Atlantis",
            "2024-05-01",
            "5",
            "",
            "",
            "",
            "",
        ],
    ]


def test_the_bad_rows_file_neutralises_its_reason_column(survey, tmp_path):
    rows = [["r1", "=1+1", "2024-05-01", "5", "", "", "", ""]]
    path = write_csv(tmp_path / "in.csv", rows)
    bad_rows = tmp_path / "bad.csv"
    run(survey, path, skip_invalid=True, bad_rows_path=bad_rows)
    with open(bad_rows, encoding="utf-8", newline="") as written:
        lines = list(csv.reader(written))
    assert lines[1][:2] == [
        "2",
        "Hotel: no unit has this name or id (--create-units creates it) (got '=1+1')",
    ]
    assert lines[1][3] == "=1+1"  # the row itself comes back as it was, to be fixed


def test_reimporting_the_same_file_creates_no_duplicates(survey, tmp_path):
    path = write_csv(tmp_path / "in.csv", GOOD_ROWS)
    first = run(survey, path)
    again = run(survey, path)
    assert (first.created, first.duplicates) == (3, 0)
    assert (again.created, again.duplicates) == (0, 3)
    assert Response.objects.count() == 3


def test_rows_without_an_external_id_are_keyed_by_content_and_repeats_are_kept(survey, tmp_path):
    mapping = {key: value for key, value in MAPPING.items() if key != "external_id"}
    same = ["", "Harbour Hotel", "2024-05-01", "9", "", "", "", ""]
    path = write_csv(tmp_path / "in.csv", [same, same, GOOD_ROWS[1]])
    dry = run(survey, path, mapping, dry_run=True)
    first = run(survey, path, mapping)
    again = run(survey, path, mapping)
    assert (dry.created, dry.duplicates) == (3, 0)
    assert (first.created, first.duplicates) == (3, 0)  # two identical cards are two responses
    assert (again.created, again.duplicates) == (0, 3)
    assert Response.objects.count() == 3


def test_a_repeated_external_id_is_one_response_and_the_dry_run_says_so(survey, tmp_path):
    path = write_csv(tmp_path / "in.csv", [GOOD_ROWS[0], GOOD_ROWS[0], GOOD_ROWS[1]])
    dry = run(survey, path, dry_run=True)
    written = run(survey, path)
    assert (dry.created, dry.duplicates) == (2, 1)
    assert (written.created, written.duplicates) == (2, 1)


def test_create_units_plans_in_a_dry_run_and_creates_under_the_root(survey, root_unit, tmp_path):
    rows = [
        ["r1", "Lake Lodge", "2024-05-01", "9", "", "", "", ""],
        ["r2", "lake lodge", "2024-05-01", "8", "", "", "", ""],
        ["r3", "Harbour Hotel", "2024-05-01", "7", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "in.csv", rows)
    dry = run(survey, path, dry_run=True, create_units=True)
    assert (dry.created, dry.invalid, dry.units_planned) == (3, 0, ["Lake Lodge"])
    assert not Unit.objects.filter(name="Lake Lodge").exists()
    report = run(survey, path, create_units=True)
    assert report.units_created == ["Lake Lodge"]
    lodge = Unit.objects.get(name="Lake Lodge")
    assert lodge.parent == root_unit
    assert Response.objects.filter(unit=lodge).count() == 2
    assert AuditEvent.objects.filter(action="unit.create", target="Lake Lodge").count() == 1


def test_create_units_with_skip_invalid_creates_them_as_it_goes(survey, tmp_path):
    rows = [
        ["r1", "Lake Lodge", "2024-05-01", "9", "", "", "", ""],
        ["r2", "Bay Inn", "2024-05-01", "99", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "in.csv", rows)
    report = run(
        survey, path, create_units=True, skip_invalid=True, bad_rows_path=tmp_path / "b.csv"
    )
    assert (report.created, report.invalid) == (1, 1)
    assert Response.objects.get().unit.name == "Lake Lodge"


def test_units_are_found_by_id_and_an_ambiguous_name_is_an_error(
    survey, organisation, hotel, other_hotel, tmp_path
):
    from heedback.orgs.services import create_unit

    create_unit(organisation, name="Bar", parent=hotel)
    create_unit(organisation, name="Bar", parent=other_hotel)
    rows = [
        ["r1", str(other_hotel.pk), "2024-05-01", "9", "", "", "", ""],
        ["r2", "Bar", "2024-05-01", "9", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "in.csv", rows)
    report = run(survey, path, dry_run=True)
    assert report.created == 1
    assert [(p.line, p.reason) for p in report.problems] == [
        (3, "2 units have this name; give the unit's id (got 'Bar')")
    ]


def test_semicolon_csv_with_a_bom_is_read(survey, tmp_path):
    path = tmp_path / "excel.csv"
    lines = [";".join(HEADER), "r1;Harbour Hotel;2024-05-01;9;4;oui;;Très bien"]
    path.write_text("\n".join(lines), encoding="utf-8-sig")
    report = run(survey, path, dry_run=True)
    assert [(p.field, p.reason) for p in report.problems] == [
        ("Again", "must be yes or no (got 'oui')")
    ]


def test_a_file_that_is_not_utf8_is_refused_with_a_clear_message(survey, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(
        (",".join(HEADER) + "\nr1,Harbour Hotel,2024-05-01,9,,,,Tr\xe8s bien\n").encode("latin-1")
    )
    with pytest.raises(importing.ImportFileError) as caught:
        run(survey, path, dry_run=True)
    assert (
        caught.value.message == "The file is not UTF-8 text (near line 2): save it as “CSV UTF-8”."
    )


def test_xlsx_files_are_read_with_native_numbers_and_dates(survey, hotel, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["x1", "Harbour Hotel", datetime(2024, 5, 1, 9, 15), 9.0, 4, 1, "bar", "Fine"])
    sheet.append([2, "Harbour Hotel", datetime(2024, 5, 2), 12, None, None, None, None])
    sheet.append([None] * 8)
    sheet.append([3, hotel.pk, "2024-05-03", 7, "unhappy", True, None, None])
    book.save(tmp_path / "in.xlsx")
    report = run(survey, tmp_path / "in.xlsx", skip_invalid=True, bad_rows_path=tmp_path / "b.csv")
    assert (report.rows, report.created, report.invalid) == (3, 2, 1)
    assert [(p.line, p.field, p.reason) for p in report.problems] == [
        (3, "Score", "must be a whole number from 0 to 10 (got '12')")
    ]
    first = Response.objects.get(external_id="x1")
    assert first.submitted_at == datetime(2024, 5, 1, 8, 15, tzinfo=UTC)
    assert {a.question_key: a.value for a in first.answers.all()} == {
        "nps": 9,
        "staff": 4,
        "again": 1,
        "visited": ["bar"],
    }
    third = Response.objects.get(external_id="3")
    assert {a.question_key: a.value for a in third.answers.all()} == {
        "nps": 7,
        "staff": 1,
        "again": 1,
    }


def test_json_lines_files_are_read_with_lists_and_missing_keys(survey, tmp_path):
    lines = [
        {
            "Ref": "j1",
            "Hotel": "Hill Hotel",
            "Date": "2024-05-01T10:00:00Z",
            "Score": 8,
            "Visited": ["spa", "bar"],
        },
        {"Ref": "j2", "Hotel": "Hill Hotel", "Date": "2024-05-01", "Score": 6, "Again": False},
        "not an object",
        {"Ref": "j3", "Hotel": "Hill Hotel", "Date": "2024-05-01", "Score": None},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n{broken\n\n"
    path = tmp_path / "in.jsonl"
    path.write_text(text, encoding="utf-8")
    mapping = {
        **MAPPING,
        "answers": {"Score": "nps", "Again": "again", "Visited": "visited"},
        "values": {},
    }
    mapping.pop("comment")
    report = run(survey, path, mapping, dry_run=True)
    assert (report.rows, report.created, report.invalid) == (5, 2, 3)
    assert [(p.line, p.field, p.reason) for p in report.problems] == [
        (3, "row", "must be a JSON object"),
        (4, "Score", "this question is required"),
        (
            5,
            "row",
            "not valid JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
    ]
    run(survey, path, mapping, skip_invalid=True, bad_rows_path=tmp_path / "b.csv")
    stored = Response.objects.get(external_id="j1")
    assert {a.question_key: a.value for a in stored.answers.all()} == {
        "nps": 8,
        "visited": ["bar", "spa"],
    }


def test_a_channel_column_sets_each_rows_channel(survey, tmp_path):
    header = ["Ref", "Hotel", "Date", "Score", "Source"]
    rows = [
        ["c1", "Hill Hotel", "2024-05-01", "9", "Review"],
        ["c2", "Hill Hotel", "2024-05-01", "9", ""],
        ["c3", "Hill Hotel", "2024-05-01", "9", "fax"],
    ]
    path = write_csv(tmp_path / "in.csv", rows, header)
    mapping = {
        "answers": {"Score": "nps"},
        "unit": "Hotel",
        "submitted_at": "Date",
        "external_id": "Ref",
        "channel": "Source",
    }
    report = run(survey, path, mapping, skip_invalid=True, bad_rows_path=tmp_path / "b.csv")
    assert dict(Response.objects.values_list("external_id", "channel")) == {
        "c1": "review",
        "c2": "import",
    }
    assert [(p.line, p.field, p.reason[:12]) for p in report.problems] == [
        (4, "Source", "Choose one o")
    ]


def test_the_mapping_reads_from_a_json_file_and_reports_bad_json(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(MAPPING))
    assert importing.load_mapping(good) == ColumnMapping(
        answers=MAPPING["answers"],
        unit="Hotel",
        submitted_at="Date",
        external_id="Ref",
        comment="Comment",
        channel="paper",
        values=MAPPING["values"],
    )
    bad = tmp_path / "bad.json"
    bad.write_text("{'answers': {}}")
    with pytest.raises(InvalidInput) as caught:
        importing.load_mapping(bad)
    assert caught.value.message == "The column mapping is not valid JSON."
