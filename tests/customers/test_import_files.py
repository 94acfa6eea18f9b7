"""Import files outside the database: erasure reaches them, and only they are served.

An import keeps its upload until it is confirmed and a CSV of its bad rows for download:
copies of a spreadsheet a person may stand in, outside every table. Erasure deletes those
that name the person; the download serves a bad-rows file only from the imports folder.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from heedback.collect import importing, interaction_import
from heedback.collect.models import ImportJob
from heedback.core.import_jobs import ImportStatus
from heedback.customers import privacy
from heedback.customers.models import InteractionImport

pytestmark = pytest.mark.django_db

NAME, EMAIL = "Philippa Quennell-Stroud", "philippa.q@stroud.example"
MAPPING = {"external_id": "order", "customer": "client", "occurred_at": "date", "kind": "type"}


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def upload(organisation, admin, name: str, content: bytes) -> InteractionImport:
    return interaction_import.create_interaction_import(
        organisation,
        file_name=name,
        chunks=[content],
        mapping=interaction_import.parse_mapping(MAPPING),
        skip_invalid=False,
        actor=admin.user,
    )


def xlsx_bytes(tmp_path: Path, rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "made.xlsx"
    book.save(path)
    return path.read_bytes()


def test_files_naming_the_person_are_deleted_and_the_others_kept(
    organisation, admin, make_customer, published_survey, tmp_path
):
    person = make_customer("C-77", name=NAME, email=EMAIL)
    header = ["order", "client", "date", "type"]
    theirs = upload(
        organisation,
        admin,
        "visits.xlsx",
        xlsx_bytes(tmp_path, [header, ["O-1", EMAIL.upper(), "2025-03-01", "visit"]]),
    )
    someone_else = upload(
        organisation, admin, "others.csv", b"order,client,date,type\nO-2,C-9,2025-03-02,visit\n"
    )
    bad_rows = importing.imports_directory() / "bad-rows.csv"
    bad_rows.write_text(f"line,reason,comment\n4,too long,Signed {NAME}\n", encoding="utf-8")
    responses_job = ImportJob.objects.create(
        organisation=organisation,
        survey=published_survey,
        file_name="cards.csv",
        file_path="",
        file_format="csv",
        mapping={"answers": {"nps": "nps"}},
        status=ImportStatus.DONE,
        bad_rows_path=str(bad_rows),
        problems=[{"line": 4, "field": "comment", "reason": f"too long: Signed {NAME}"}],
    )
    their_upload = Path(theirs.file_path)

    summary = privacy.erase_customer(person, actor=admin.user)

    assert summary.rows_by_app["responses"] == 2  # the two files; no response named them
    assert not their_upload.exists()
    assert not bad_rows.exists()
    assert Path(someone_else.file_path).exists()
    theirs.refresh_from_db()
    assert (theirs.file_path, theirs.status) == ("", ImportStatus.FAILED)
    assert "erasure request" in theirs.message
    responses_job.refresh_from_db()
    assert (responses_job.bad_rows_path, responses_job.status) == ("", ImportStatus.DONE)
    assert responses_job.problems == [
        {"line": 4, "field": "comment", "reason": "(removed by an erasure request)"}
    ]
    someone_else.refresh_from_db()
    assert (someone_else.status, someone_else.message) == (ImportStatus.QUEUED_CHECK, "")


@pytest.mark.parametrize("kind", ["responses", "interactions"])
def test_a_bad_rows_path_outside_the_imports_directory_is_never_served(
    kind, organisation, admin, admin_client, published_survey, tmp_path
):
    secret = tmp_path.parent / f"secret-{kind}.csv"
    secret.write_text("line,reason\n1,private\n", encoding="utf-8")
    fields = {
        "organisation": organisation,
        "file_name": "cards.csv",
        "file_path": "",
        "file_format": "csv",
        "mapping": {},
        "status": ImportStatus.DONE,
        "bad_rows_path": str(secret),
    }
    if kind == "responses":
        job = ImportJob.objects.create(survey=published_survey, **fields)
        url = f"/o/acme/imports/{job.pk}/bad-rows/"
    else:
        job = InteractionImport.objects.create(**fields)
        url = f"/o/acme/customers/imports/{job.pk}/bad-rows/"
    answer = admin_client.get(url)
    assert answer.status_code == 302
    assert importing.bad_rows_download(job) is None
    inside = importing.imports_directory() / "bad.csv"
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_text("line,reason\n2,too long\n", encoding="utf-8")
    job.bad_rows_path = str(inside)
    job.save(update_fields=["bad_rows_path"])
    served = admin_client.get(url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == b"line,reason\n2,too long\n"
