"""Background jobs of the collect app: checking and importing files uploaded on the web page.

Each job is enqueued with ``transaction.on_commit`` by the service that creates or
confirms it, and claims its ImportJob row before working, so a job delivered twice runs
once.
"""

from __future__ import annotations

from django_tasks import task

from heedback.collect import importing


@task()
def check_import(job_id: int) -> None:
    """Run the dry run of an uploaded file and save its report."""
    importing.check_import_job(job_id)


@task()
def run_import(job_id: int) -> None:
    """Import a checked and confirmed file."""
    importing.write_import_job(job_id)
