"""`heedback import interactions`: a messy export checked by its dry run, then imported.

The importer runs on the responses importer's machinery (``importing.run_rows``); these
tests hold it to the API's rules row by row, through the real command.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from heedback.customers.choices import InteractionKind
from heedback.customers.inputs import InteractionInput
from heedback.customers.models import Customer, Interaction

pytestmark = pytest.mark.django_db

MAPPING = {
    "external_id": "order",
    "customer": "client",
    "occurred_at": "date",
    "kind": "type",
    "unit": "shop",
    "value": "amount",
    "values": {"type": {"Booking": "stay"}},
}
KINDS = ", ".join(InteractionKind.values)
HEADER = ["order", "client", "date", "type", "shop", "amount"]


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path, make_customer, hotel):
    make_customer("C-1", name="Carla")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING))
    return tmp_path, mapping


def heedback_import(path, mapping, *flags, org="acme"):
    """Run the command; return (exit code, stdout, stderr) as a shell would see them."""
    out, err = io.StringIO(), io.StringIO()
    arguments = ["interactions", str(path), "--org", org, "--mapping", str(mapping), *flags]
    try:
        call_command("import", *arguments, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), f"{err.getvalue()}{error}"
    return 0, out.getvalue(), err.getvalue()


MESSY = [
    ["O-1", "C-1", "2025-03-01T10:00", "Visit", "Harbour Hotel", "42,50"],  # 2: good
    ["O-2", "C-1", "2025-03-08", "Booking", "", "10"],  # 3: good, kind recoded
    ["O-1", "C-1", "2025-03-01T10:00", "visit", "Harbour Hotel", "42.50"],  # 4: repeats 2
    ["O-3", "C-404", "2025-03-09", "visit", "", ""],  # 5: unknown customer
    ["O-4", "C-1", "31/02/2025", "visit", "", ""],  # 6: unreadable date
    ["O-5", "C-1", "2999-01-01", "visit", "", ""],  # 7: in the future
    ["O-6", "C-1", "1850-01-01", "visit", "", ""],  # 8: before 1900
    ["O-7", "C-1", "2025-03-10", "walk", "Nowhere", "abc"],  # 9: unit, value
    ["O-9", "C-1", "2025-03-11", "visit", "", ""],  # 10: stored already
    ["O-8", "C-1", "2025-03-12", "sale", "", ""],  # 11: no such kind
]


@pytest.fixture
def stored_o9(organisation):
    from heedback.customers import services

    services.record_interaction(
        organisation, InteractionInput("O-9", "C-1", "visit", datetime.fromisoformat("2025-03-11"))
    )


def test_the_dry_run_names_every_problem_by_line_and_column(files, stored_o9):
    folder, mapping = files
    path = write_csv(folder / "export.csv", MESSY)
    code, out, err = heedback_import(path, mapping, "--dry-run")
    assert code == 1
    assert out.splitlines()[:-1] == [
        "line 4: order: duplicate, not imported again: repeats the id of line 2 (got 'O-1')",
        "line 5: client: no customer with this external id (got 'C-404')",
        "line 6: date: must be a date or time such as 2024-05-31 or 2024-05-31T14:05:00+02:00"
        " (got '31/02/2025')",
        "line 7: date: An interaction cannot be in the future. (got '2999-01-01')",
        "line 8: date: An interaction cannot be before 1900. (got '1850-01-01')",
        "line 9: shop: no unit has this name or id (got 'Nowhere')",
        "line 9: amount: must be an amount such as 42.50 (got 'abc')",
        "line 10: order: duplicate, not imported again: already stored (got 'O-9')",
        f"line 11: type: Choose one of: {KINDS}. (got 'sale')",
    ]
    assert out.splitlines()[-1].startswith("Checked 10 rows in ")
    assert out.splitlines()[-1].endswith(": 2 to create, 2 duplicates, 6 invalid.")
    assert err.endswith("6 of 10 rows are invalid.")
    assert list(Interaction.objects.values_list("external_id", flat=True)) == ["O-9"]


def test_invalid_rows_stop_the_whole_import(files, stored_o9):
    folder, mapping = files
    code, _out, err = heedback_import(write_csv(folder / "export.csv", MESSY), mapping)
    assert code == 1
    assert err.endswith(
        "Nothing was imported: 6 of 10 rows are invalid. "
        "Fix them, or give --skip-invalid to import the 4 good rows."
    )
    assert Interaction.objects.count() == 1


def test_skip_invalid_imports_the_good_rows_and_files_the_bad_ones(files, stored_o9):
    folder, mapping = files
    path = write_csv(folder / "export.csv", MESSY)
    code, out, err = heedback_import(path, mapping, "--skip-invalid")
    assert code == 1
    assert out.splitlines()[-2].endswith(": 2 created, 2 duplicates, 6 invalid.")
    assert err.endswith("6 invalid rows were skipped.")
    stored = {
        i.external_id: (i.kind, i.value, i.unit.name if i.unit else None)
        for i in Interaction.objects.select_related("unit")
    }
    assert stored == {
        "O-1": ("visit", Decimal("42.50"), "Harbour Hotel"),
        "O-2": ("stay", Decimal("10.00"), None),
        "O-9": ("visit", None, None),
    }
    assert Customer.objects.get(external_id="C-1").lapse_stale is True
    with open(folder / "export.bad-rows.csv", encoding="utf-8") as bad:
        rows = list(csv.reader(bad))
    assert rows[0] == ["line", "reason", *HEADER]
    assert [row[0] for row in rows[1:]] == ["5", "6", "7", "8", "9", "11"]
    assert rows[5][1] == (
        "shop: no unit has this name or id (got 'Nowhere'); "
        "amount: must be an amount such as 42.50 (got 'abc')"
    )
    again = write_csv(folder / "again.csv", MESSY[:3])
    code, out, _err = heedback_import(again, mapping)
    assert code == 0
    assert out.splitlines()[-1].endswith(": 0 created, 3 duplicates, 0 invalid.")
    assert Interaction.objects.count() == 3


def test_xlsx_and_json_lines_with_a_fixed_kind(files, hotel):
    from openpyxl import Workbook

    folder, _mapping = files
    mapping = folder / "fixed.json"
    mapping.write_text(
        json.dumps({"external_id": "id", "customer": "who", "occurred_at": "when", "kind": "order"})
    )
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "who", "when"])
    sheet.append([101, "C-1", datetime(2025, 4, 1, 9, 30)])
    book.save(folder / "orders.xlsx")
    code, out, _err = heedback_import(folder / "orders.xlsx", mapping)
    assert (code, out.splitlines()[-1].endswith(": 1 created, 0 duplicates, 0 invalid.")) == (
        0,
        True,
    )
    (folder / "orders.jsonl").write_text(
        json.dumps({"id": "102", "who": "C-1", "when": "2025-04-02T10:00:00+00:00"}) + "\n"
    )
    code, _out, _err = heedback_import(folder / "orders.jsonl", mapping)
    assert code == 0
    assert sorted(Interaction.objects.values_list("external_id", "kind")) == [
        ("101", "order"),
        ("102", "order"),
    ]
    first = Interaction.objects.get(external_id="101")
    assert first.occurred_at.isoformat() == "2025-04-01T08:30:00+00:00"  # London summer time


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            {"external_id": "order", "customer": "client", "occurred_at": "day", "kind": "visit"},
            "The column mapping does not fit the file. occurred_at: no column 'day' in the file.",
        ),
        (
            {"external_id": "order", "customer": "client", "occurred_at": "date", "kind": "x"},
            "The column mapping does not fit the file. kind: 'x' is neither a column of the "
            f"file nor a kind ({KINDS}).",
        ),
        (
            {"customer": "client", "occurred_at": "date", "kind": "visit", "colour": "red"},
            "The column mapping is not valid. colour: unknown field; use external_id, customer, "
            "occurred_at, unit, staff, value, kind, values. external_id: required: name a column.",
        ),
    ],
)
def test_a_mapping_that_does_not_fit_exits_2_naming_the_field(files, mapping, message):
    folder, _mapping = files
    path = write_csv(folder / "export.csv", MESSY[:1])
    (folder / "bad.json").write_text(json.dumps(mapping))
    code, out, err = heedback_import(path, folder / "bad.json")
    assert (code, out) == (2, "")
    assert err == message
    assert Interaction.objects.count() == 0


def test_an_unknown_organisation_is_a_usage_error(files):
    folder, mapping = files
    code, _out, err = heedback_import(write_csv(folder / "e.csv", MESSY[:1]), mapping, org="nope")
    assert (code, err) == (2, "No organisation has the slug 'nope'.")


# --- the web page ---------------------------------------------------------------------------


def csv_upload(rows, name="visits.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(), content_type="text/csv")


@pytest.fixture
def web(settings, tmp_path, make_customer, hotel):
    settings.DATA_DIR = tmp_path
    make_customer("C-1", name="Carla")


def test_the_page_checks_then_imports_with_progress(
    web, admin, admin_client, django_capture_on_commit_callbacks, stored_o9
):
    from heedback.customers.models import InteractionImport
    from heedback.orgs.models import AuditEvent

    form = admin_client.get("/o/acme/customers/import/")
    assert form.status_code == 200
    assert b'enctype="multipart/form-data"' in form.content
    with django_capture_on_commit_callbacks(execute=True):
        uploaded = admin_client.post(
            "/o/acme/customers/import/",
            {"file": csv_upload(MESSY), "mapping": json.dumps(MAPPING)},
        )
    job = InteractionImport.objects.get()
    assert uploaded.status_code == 302
    assert uploaded["Location"] == f"/o/acme/customers/imports/{job.pk}/"
    assert (job.status, job.rows, job.created, job.duplicates, job.invalid) == (
        "checked",
        10,
        2,
        2,
        6,
    )
    assert job.problems[0] == {
        "line": 5,
        "field": "client",
        "reason": "no customer with this external id (got 'C-404')",
    }
    assert job.duplicate_rows == [
        {"line": 4, "field": "order", "reason": "repeats the id of line 2 (got 'O-1')"},
        {"line": 10, "field": "order", "reason": "already stored (got 'O-9')"},
    ]
    page = admin_client.get(f"/o/acme/customers/imports/{job.pk}/").content.decode()
    assert "Nothing will be written while rows are invalid" in page
    assert "repeats the id of line 2" in page
    refused = admin_client.post(f"/o/acme/customers/imports/{job.pk}/confirm/", follow=True)
    assert b"fix the invalid rows" in refused.content
    assert Interaction.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/o/acme/customers/import/",
            {"file": csv_upload(MESSY), "mapping": json.dumps(MAPPING), "skip_invalid": "on"},
        )
    skipping = InteractionImport.objects.order_by("-pk").first()
    assert skipping.can_confirm
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = admin_client.post(f"/o/acme/customers/imports/{skipping.pk}/confirm/")
    assert confirmed.status_code == 302
    skipping.refresh_from_db()
    assert (skipping.status, skipping.created, skipping.invalid) == ("done", 2, 6)
    assert Interaction.objects.count() == 3
    assert AuditEvent.objects.get(action="customers.import_interactions").detail == {
        "job_id": skipping.pk,
        "rows": 10,
    }
    bad_rows = admin_client.get(f"/o/acme/customers/imports/{skipping.pk}/bad-rows/")
    assert bad_rows["Content-Disposition"] == 'attachment; filename="visits.bad-rows.csv"'
    lines = b"".join(bad_rows.streaming_content).decode().splitlines()
    assert [line.split(",")[0] for line in lines] == ["line", "5", "6", "7", "8", "9", "11"]


def test_a_running_import_polls_through_a_partial(web, admin_client, organisation):
    from heedback.customers.models import InteractionImport

    job = InteractionImport.objects.create(
        organisation=organisation,
        file_name="big.csv",
        file_path="/nowhere/big.csv",
        file_format="csv",
        mapping=MAPPING,
        status="importing",
        phase="writing",
        fraction=0.42,
        rows=42000,
    )
    partial = admin_client.get(
        f"/o/acme/customers/imports/{job.pk}/", headers={"HX-Request": "true"}
    ).content.decode()
    assert partial.lstrip().startswith('<section id="import-status"')
    assert f'hx-get="/o/acme/customers/imports/{job.pk}/"' in partial
    assert '<progress max="100" value="42"' in partial
    assert "Writing the rows" in partial


def test_a_mapping_that_misfits_the_file_shows_on_the_form(web, admin_client):
    from heedback.customers.models import InteractionImport

    wrong = {**MAPPING, "occurred_at": "day"}
    response = admin_client.post(
        "/o/acme/customers/import/",
        {"file": csv_upload(MESSY[:1]), "mapping": json.dumps(wrong)},
    )
    assert response.status_code == 422
    assert "occurred_at: no column &#x27;day&#x27; in the file." in response.content.decode()
    assert InteractionImport.objects.count() == 0
