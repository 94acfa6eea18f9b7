"""One status partial (templates/core/partials/import_status.html) for both import pages."""

from __future__ import annotations

import pytest

from heedback.collect.models import ImportJob
from heedback.core.import_jobs import ImportStatus
from heedback.customers.models import InteractionImport

pytestmark = pytest.mark.django_db

CHECKED = {
    "file_name": "rows.csv",
    "file_path": "/nowhere/rows.csv",
    "file_format": "csv",
    "mapping": {},
    "status": ImportStatus.CHECKED,
    "skip_invalid": True,
    "rows": 5,
    "created": 3,
    "duplicates": 1,
    "invalid": 1,
    "problems": [{"line": 4, "field": "score", "reason": "not a number"}],
    "problem_count": 1,
    "bad_rows_path": "/nowhere/rows.bad-rows.csv",
}


def responses_job(organisation, survey) -> tuple[str, str, str]:
    job = ImportJob.objects.create(organisation=organisation, survey=survey, **CHECKED)
    return f"/o/acme/imports/{job.pk}/", "Import 3 responses", "See the results"


def interactions_job(organisation, survey) -> tuple[str, str, str]:
    job = InteractionImport.objects.create(organisation=organisation, **CHECKED)
    return f"/o/acme/customers/imports/{job.pk}/", "Import 3 interactions", "See the customers"


@pytest.mark.parametrize("make_job", [responses_job, interactions_job])
def test_both_import_pages_render_the_one_status_partial(
    make_job, admin_client, organisation, published_survey
):
    url, confirm_label, _done_label = make_job(organisation, published_survey)
    partial = admin_client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert [template.name for template in partial.templates][-1:] == [
        "core/partials/import_status.html"
    ]
    content = partial.content.decode()
    assert content.lstrip().startswith('<section id="import-status"')
    assert 'data-status="checked"' in content
    assert "hx-get" not in content  # a checked file waits for the button: no polling
    assert f'<form method="post" action="{url}confirm/">' in content
    assert "1 invalid row will be skipped." in content
    assert f'<button type="submit" class="primary">{confirm_label}</button>' in content
    assert f'<a href="{url}bad-rows/">Download every bad row' in content
    assert '<tr><td class="num">4</td><td>score</td><td>not a number</td></tr>' in content
    assert '<div class="value" data-count="duplicates">1</div>' in content


@pytest.mark.parametrize("make_job", [responses_job, interactions_job])
def test_a_finished_import_links_to_what_it_filled(
    make_job, admin_client, organisation, published_survey
):
    url, _confirm_label, done_label = make_job(organisation, published_survey)
    ImportJob.objects.update(status=ImportStatus.DONE)
    InteractionImport.objects.update(status=ImportStatus.DONE)
    page = admin_client.get(url).content.decode()
    assert 'data-status="done"' in page
    assert done_label in page
    assert '<form method="post" action="' + url + "confirm/" not in page
