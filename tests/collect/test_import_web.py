"""The import page: upload → dry run in the worker → report → confirm → progress → done."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from heedback.collect.models import ImportJob, ImportMapping, Response
from heedback.core.import_jobs import ImportStatus
from heedback.orgs.models import AuditEvent
from tests.collect.test_import import GOOD_ROWS, HEADER, MAPPING, make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(organisation, hotel, other_hotel):
    return make_survey(organisation)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def csv_upload(rows, name="cards.csv") -> SimpleUploadedFile:
    lines = [",".join(HEADER), *(",".join(row) for row in rows)]
    return SimpleUploadedFile(name, "\n".join(lines).encode(), content_type="text/csv")


def upload(client, survey, rows, capture, mapping=MAPPING, **fields):
    with capture(execute=True):
        return client.post(
            f"/o/acme/surveys/{survey.pk}/import/",
            {"file": csv_upload(rows), "mapping": json.dumps(mapping), **fields},
        )


def test_upload_dry_run_confirm_progress_done(
    admin, admin_client, survey, django_capture_on_commit_callbacks, data_dir
):
    page = admin_client.get(f"/o/acme/surveys/{survey.pk}/import/")
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content

    uploaded = upload(admin_client, survey, GOOD_ROWS, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert uploaded.status_code == 302
    assert uploaded["Location"] == f"/o/acme/imports/{job.pk}/"
    # The worker (run at once by the test settings' task backend) has checked the file.
    assert job.status == ImportStatus.CHECKED
    assert (job.rows, job.created, job.duplicates, job.invalid) == (3, 3, 0, 0)
    assert Response.objects.count() == 0
    assert (data_dir / "imports").is_dir()

    report = admin_client.get(f"/o/acme/imports/{job.pk}/")
    assert report.status_code == 200
    assert b"Import 3 responses" in report.content
    assert b"every 1s" not in report.content  # nothing runs: no polling

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = admin_client.post(f"/o/acme/imports/{job.pk}/confirm/")
    assert confirmed.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.rows, job.created, job.duplicates, job.invalid) == (3, 3, 0, 0)
    assert job.finished_at is not None
    assert Response.objects.count() == 3
    assert AuditEvent.objects.get(action="responses.import").detail == {
        "survey_id": survey.pk,
        "job_id": job.pk,
        "file": "cards.csv",
    }
    done = admin_client.get(f"/o/acme/imports/{job.pk}/", headers={"HX-Request": "true"})
    assert b"<html" not in done.content
    assert b'data-status="done"' in done.content
    assert b"See the results" in done.content

    again = admin_client.post(f"/o/acme/imports/{job.pk}/confirm/", follow=True)
    assert b"This file cannot be imported" in again.content
    assert Response.objects.count() == 3


def test_a_running_job_polls_every_second_through_a_partial(admin_client, survey):
    job = ImportJob.objects.create(
        organisation=survey.organisation,
        survey=survey,
        file_name="big.csv",
        file_path="/nowhere/big.csv",
        file_format="csv",
        mapping=MAPPING,
        status=ImportStatus.IMPORTING,
        phase="writing",
        fraction=0.42,
        rows=42000,
        created=41000,
    )
    partial = admin_client.get(f"/o/acme/imports/{job.pk}/", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    content = partial.content.decode()
    assert content.lstrip().startswith('<section id="import-status"')
    assert 'hx-trigger="every 1s"' in content
    assert f'hx-get="/o/acme/imports/{job.pk}/"' in content
    assert '<progress max="100" value="42"' in content
    assert "Writing the rows" in content
    full = admin_client.get(f"/o/acme/imports/{job.pk}/")
    assert b"<html" in full.content


def test_a_dry_run_with_bad_rows_shows_them_and_refuses_to_import(
    admin_client, survey, django_capture_on_commit_callbacks
):
    rows = [*GOOD_ROWS, ["r4", "Harbour Hotel", "2024-05-01", "11", "", "", "", ""]]
    upload(admin_client, survey, rows, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert (job.status, job.invalid, job.problem_count) == (ImportStatus.CHECKED, 1, 1)
    assert job.problems == [
        {"line": 5, "field": "Score", "reason": "must be a whole number from 0 to 10 (got '11')"}
    ]
    page = admin_client.get(f"/o/acme/imports/{job.pk}/")
    assert b"Nothing will be written while rows are invalid" in page.content
    assert b"must be a whole number from 0 to 10" in page.content
    refused = admin_client.post(f"/o/acme/imports/{job.pk}/confirm/", follow=True)
    assert b"fix the invalid rows" in refused.content
    bad_rows = admin_client.get(f"/o/acme/imports/{job.pk}/bad-rows/")
    assert bad_rows.status_code == 200
    assert bad_rows["Content-Disposition"] == 'attachment; filename="cards.bad-rows.csv"'
    assert (
        b"".join(bad_rows.streaming_content)
        .decode()
        .splitlines()[1]
        .startswith("5,Score: must be a whole number from 0 to 10 (got '11'),r4,")
    )
    assert Response.objects.count() == 0


def test_skip_invalid_imports_the_good_rows_from_the_page(
    admin_client, survey, django_capture_on_commit_callbacks
):
    rows = [*GOOD_ROWS, ["r4", "Harbour Hotel", "2024-05-01", "11", "", "", "", ""]]
    upload(admin_client, survey, rows, django_capture_on_commit_callbacks, skip_invalid="on")
    job = ImportJob.objects.get()
    assert job.can_confirm
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/o/acme/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert (job.status, job.created, job.invalid) == (ImportStatus.DONE, 3, 1)
    assert Response.objects.count() == 3


def test_a_mapping_that_does_not_fit_is_shown_on_the_form_and_starts_nothing(
    admin_client, survey, django_capture_on_commit_callbacks, data_dir
):
    mapping = {**MAPPING, "unit": "Branch"}
    response = upload(admin_client, survey, GOOD_ROWS, django_capture_on_commit_callbacks, mapping)
    assert response.status_code == 422
    assert "unit: no column &#x27;Branch&#x27; in the file" in response.content.decode()
    assert ImportJob.objects.count() == 0
    assert list((data_dir / "imports").iterdir()) == []


def test_bad_json_and_a_wrong_file_type_are_form_errors(admin_client, survey):
    bad_json = admin_client.post(
        f"/o/acme/surveys/{survey.pk}/import/",
        {"file": csv_upload(GOOD_ROWS), "mapping": "{answers: }"},
    )
    assert bad_json.status_code == 422
    assert b"This is not valid JSON" in bad_json.content
    wrong_type = admin_client.post(
        f"/o/acme/surveys/{survey.pk}/import/",
        {"file": csv_upload(GOOD_ROWS, name="cards.pdf"), "mapping": json.dumps(MAPPING)},
    )
    assert wrong_type.status_code == 422
    assert b"name it .csv, .xlsx or .jsonl" in wrong_type.content
    assert ImportJob.objects.count() == 0


def test_a_saved_mapping_is_offered_and_reused(
    admin_client, survey, django_capture_on_commit_callbacks
):
    upload(admin_client, survey, GOOD_ROWS, django_capture_on_commit_callbacks, save_as="Cards")
    saved = ImportMapping.objects.get()
    assert (saved.name, saved.mapping["unit"]) == ("Cards", "Hotel")
    page = admin_client.get(f"/o/acme/surveys/{survey.pk}/import/")
    assert b'<option value="%d">Cards</option>' % saved.pk in page.content
    with django_capture_on_commit_callbacks(execute=True):
        reused = admin_client.post(
            f"/o/acme/surveys/{survey.pk}/import/",
            {"file": csv_upload(GOOD_ROWS), "saved_mapping": saved.pk, "mapping": ""},
        )
    assert reused.status_code == 302
    assert ImportJob.objects.count() == 2
