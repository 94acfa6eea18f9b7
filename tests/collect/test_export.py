"""Exports of responses: CSV, XLSX and Parquet, filtered, neutralised, audited, streamed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.test import Client

from heedback.collect import exporting
from heedback.collect.services import Submission, publish_and_open_links, submit_response
from heedback.orgs.models import AuditEvent
from heedback.orgs.services import create_unit
from heedback.surveys import services as survey_services
from tests.collect.test_import import DEFINITION

pytestmark = pytest.mark.django_db

HEADER = [
    "id",
    "submitted_at",
    "unit",
    "unit_id",
    "channel",
    "staff",
    "external_id",
    "nps",
    "answer_staff",
    "again",
    "visited",
    "remark",
    "comment",
]


@pytest.fixture
def survey(organisation, hotel, other_hotel):
    created = survey_services.create_survey(organisation, name="Visit", definition=DEFINITION)
    publish_and_open_links(created)
    created.refresh_from_db()
    return created


@pytest.fixture
def bar(organisation, hotel):
    return create_unit(organisation, name="Bar", parent=hotel)


@pytest.fixture
def stored(survey, hotel, other_hotel, bar, admin):
    """Four responses across units, channels and days (London time)."""

    def submit(key, unit, when, channel, answers, **extra):
        return submit_response(
            Submission(
                survey=survey,
                unit=unit,
                answers=answers,
                idempotency_key=key,
                channel=channel,
                submitted_at=when,
                **extra,
            )
        ).response

    return [
        submit(
            "a",
            hotel,
            datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
            "web",
            {"nps": 9, "staff": 4, "again": True, "visited": ["spa", "bar"]},
            comment='=HYPERLINK("http://evil")',
            staff=admin.user,
            external_id="crm-1",
        ),
        submit(
            "b",
            bar,
            datetime(2024, 5, 2, 23, 30, tzinfo=UTC),
            "paper",
            {"nps": 3, "again": False, "remark": "-2 stars, @staff"},
        ),
        submit("c", other_hotel, datetime(2024, 5, 10, 12, 0, tzinfo=UTC), "web", {"nps": 10}),
        submit(
            "d",
            hotel,
            datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
            "review",
            {"nps": 0},
            external_id="\tref",
            comment="Two\rlines",
        ),
    ]


def test_cells_a_spreadsheet_would_run_are_neutralised():
    cells = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "fine", "a=b", "", 5, -3, None, True]
    assert [exporting.neutralise_cell(cell) for cell in cells] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "fine",
        "a=b",
        "",
        5,
        -3,
        None,
        True,
    ]


def export_with_command(organisation, survey, tmp_path, file_format, *filters):
    output = tmp_path / f"out.{file_format}"
    out = io.StringIO()
    call_command(
        "export",
        "responses",
        "--org",
        organisation.slug,
        "--survey",
        str(survey.pk),
        "--format",
        file_format,
        "--output",
        str(output),
        *filters,
        stdout=out,
    )
    return output, out.getvalue()


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_export_has_one_column_per_question_times_in_the_org_zone_and_neutral_cells(
    organisation, survey, stored, hotel, bar, other_hotel, admin, tmp_path
):
    output, printed = export_with_command(organisation, survey, tmp_path, "csv")
    assert printed == f"Exported 4 responses to {output}.\n"
    rows = read_csv(output.read_bytes())
    a, b, c, d = (str(response.pk) for response in stored)
    assert rows == [
        HEADER,
        [
            a,
            "2024-05-01T10:00:00+01:00",
            "Harbour Hotel",
            str(hotel.pk),
            "web",
            admin.user.email,
            "crm-1",
            "9",
            "4",
            "true",
            "bar;spa",
            "",
            '\'=HYPERLINK("http://evil")',
        ],
        [
            b,
            "2024-05-03T00:30:00+01:00",
            "Bar",
            str(bar.pk),
            "paper",
            "",
            "",
            "3",
            "",
            "false",
            "",
            "'-2 stars, @staff",
            "",
        ],
        [
            c,
            "2024-05-10T13:00:00+01:00",
            "Hill Hotel",
            str(other_hotel.pk),
            "web",
            "",
            "",
            "10",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            d,
            "2024-06-01T13:00:00+01:00",
            "Harbour Hotel",
            str(hotel.pk),
            "review",
            "",
            "'\tref",
            "0",
            "",
            "",
            "",
            "",
            "Two\rlines",
        ],
    ]
    event = AuditEvent.objects.get(action="responses.export")
    assert (event.actor, event.actor_label, event.target) == (None, "system", "Visit")
    assert event.detail == {
        "survey_id": survey.pk,
        "format": "csv",
        "via": "cli",
        "date_from": None,
        "date_to": None,
        "unit_id": None,
        "channel": None,
        "rows": 4,
    }


def test_filters_cut_by_local_day_unit_subtree_and_channel(
    organisation, survey, stored, hotel, tmp_path
):
    # 2024-05-02 23:30 UTC is 3 May in London: it belongs to the 3rd, not the 2nd.
    output, _printed = export_with_command(
        organisation, survey, tmp_path, "csv", "--from", "2024-05-01", "--to", "2024-05-02"
    )
    assert [row[0] for row in read_csv(output.read_bytes())[1:]] == [str(stored[0].pk)]
    output, _printed = export_with_command(
        organisation, survey, tmp_path, "csv", "--unit", str(hotel.pk)
    )
    assert [row[2] for row in read_csv(output.read_bytes())[1:]] == [
        "Harbour Hotel",
        "Bar",
        "Harbour Hotel",
    ]
    output, printed = export_with_command(
        organisation, survey, tmp_path, "csv", "--unit", str(hotel.pk), "--channel", "web"
    )
    assert [row[0] for row in read_csv(output.read_bytes())[1:]] == [str(stored[0].pk)]
    assert printed.startswith("Exported 1 responses")


def test_xlsx_export_keeps_numbers_and_neutralises_text(organisation, survey, stored, tmp_path):
    from openpyxl import load_workbook

    output, _printed = export_with_command(organisation, survey, tmp_path, "xlsx")
    sheet = load_workbook(output, read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert rows[1][1:] == [
        "2024-05-01T10:00:00+01:00",
        "Harbour Hotel",
        stored[0].unit_id,
        "web",
        stored[0].staff.email,
        "crm-1",
        9,
        4,
        True,
        "bar;spa",
        None,
        '\'=HYPERLINK("http://evil")',
    ]
    assert rows[2][11] == "'-2 stars, @staff"
    assert rows[4][6] == "'\tref"
    assert len(rows) == 5


def test_parquet_export_has_typed_columns(organisation, survey, stored, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    output, _printed = export_with_command(
        organisation, survey, tmp_path, "parquet", "--channel", "web"
    )
    table = pq.read_table(output)
    assert table.schema.field("nps").type == pa.int64()
    assert table.schema.field("again").type == pa.bool_()
    assert table.schema.field("visited").type == pa.list_(pa.string())
    assert table.schema.field("submitted_at").type == pa.timestamp("us", tz="Europe/London")
    rows = table.to_pylist()
    assert [row["nps"] for row in rows] == [9, 10]
    assert rows[0]["visited"] == ["bar", "spa"]
    assert rows[0]["comment"] == '=HYPERLINK("http://evil")'  # Parquet is data, not a sheet
    assert rows[0]["submitted_at"] == datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    assert rows[1]["again"] is None


def test_an_empty_parquet_export_has_the_schema(organisation, survey, tmp_path):
    import pyarrow.parquet as pq

    output, printed = export_with_command(organisation, survey, tmp_path, "parquet")
    assert printed.startswith("Exported 0 responses")
    assert pq.read_table(output).num_rows == 0
    assert pq.read_table(output).schema.names == HEADER


def test_the_api_streams_the_export_with_the_filters(api, organisation, survey, stored, hotel):
    response = api.get(
        f"/api/v1/surveys/{survey.pk}/export",
        {"format": "csv", "from": "2024-05-01", "to": "2024-05-31", "unit": hotel.pk},
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="acme-survey-{survey.pk}-responses.csv"'
    )
    rows = read_csv(b"".join(response.streaming_content))
    assert [row[0] for row in rows[1:]] == [str(stored[0].pk), str(stored[1].pk)]
    event = AuditEvent.objects.get(action="responses.export")
    assert (event.detail["via"], event.detail["rows"], event.detail["unit_id"]) == (
        "api",
        2,
        hotel.pk,
    )
    assert event.detail["api_key"].startswith("key ")


@pytest.mark.parametrize("file_format", ["xlsx", "parquet"])
def test_the_api_sends_xlsx_and_parquet(api, survey, stored, file_format):
    response = api.get(f"/api/v1/surveys/{survey.pk}/export", {"format": file_format})
    assert response.status_code == 200
    assert response["Content-Type"] == exporting.EXPORT_FORMATS[file_format]
    body = b"".join(response.streaming_content)
    assert body[:4] == (b"PK\x03\x04" if file_format == "xlsx" else b"PAR1")


def test_the_api_refuses_bad_filters(api, survey, other_organisation):
    from heedback.orgs.models import Unit

    foreign_unit = Unit.objects.get(organisation=other_organisation)
    wrong = api.get(f"/api/v1/surveys/{survey.pk}/export", {"format": "pdf"})
    backwards = api.get(
        f"/api/v1/surveys/{survey.pk}/export", {"from": "2024-02-01", "to": "2024-01-01"}
    )
    channel = api.get(f"/api/v1/surveys/{survey.pk}/export", {"channel": "pigeon"})
    foreign = api.get(f"/api/v1/surveys/{survey.pk}/export", {"unit": foreign_unit.pk})
    assert [r.status_code for r in (wrong, backwards, channel, foreign)] == [422, 422, 422, 422]
    assert backwards.json()["errors"] == {"to": ["The end comes before the start."]}
    assert foreign.json()["errors"] == {"unit": ["not found"]}
    assert AuditEvent.objects.filter(action="responses.export").count() == 0


def test_the_export_page_offers_the_filters_and_sends_the_file(admin, admin_client, survey, stored):
    page = admin_client.get(f"/o/acme/surveys/{survey.pk}/export/")
    assert page.status_code == 200
    assert b'name="format"' in page.content
    assert b'name="channel"' in page.content
    response = admin_client.get(
        f"/o/acme/surveys/{survey.pk}/export/",
        {"format": "csv", "period": "all", "channel": "paper"},
    )
    assert response.status_code == 200
    rows = read_csv(b"".join(response.streaming_content))
    assert [row[0] for row in rows[1:]] == [str(stored[1].pk)]
    event = AuditEvent.objects.get(action="responses.export")
    assert (event.actor_id, event.detail["via"], event.detail["channel"]) == (
        admin.user.pk,
        "web",
        "paper",
    )


def test_a_manager_exports_only_their_own_subtree(
    make_member, organisation, survey, stored, other_hotel
):
    manager = make_member(organisation, "manager", unit=other_hotel)
    client = Client()
    client.force_login(manager.user)
    response = client.get(
        f"/o/acme/surveys/{survey.pk}/export/", {"format": "csv", "period": "all"}
    )
    rows = read_csv(b"".join(response.streaming_content))
    assert [row[2] for row in rows[1:]] == ["Hill Hotel"]


def test_a_unit_outside_the_managers_subtree_is_not_a_choice(
    make_member, organisation, survey, stored, hotel, other_hotel
):
    manager = make_member(organisation, "manager", unit=other_hotel)
    client = Client()
    client.force_login(manager.user)
    response = client.get(
        f"/o/acme/surveys/{survey.pk}/export/", {"format": "csv", "unit": hotel.pk}
    )
    assert response.status_code == 400
    assert AuditEvent.objects.filter(action="responses.export").count() == 0


def test_an_answer_of_an_older_version_keeps_its_column(organisation, survey, stored, tmp_path):
    definition = {**DEFINITION, "questions": [DEFINITION["questions"][0]]}
    survey_services.save_draft(survey, definition)
    publish_and_open_links(survey)
    output, _printed = export_with_command(organisation, survey, tmp_path, "csv")
    assert read_csv(output.read_bytes())[0] == HEADER
