"""Background jobs of the interaction import page: the dry run, then the import.

Enqueued with ``transaction.on_commit`` by ``interaction_import``; each claims its row
before working, so a job delivered twice runs once.
"""

from __future__ import annotations

from django_tasks import task

from heedback.collect import interaction_import


@task()
def check_interaction_import(job_id: int) -> None:
    """Run the dry run of an uploaded file of interactions and save its report."""
    interaction_import.check_interaction_import(job_id)


@task()
def run_interaction_import(job_id: int) -> None:
    """Import a checked and confirmed file of interactions."""
    interaction_import.write_interaction_import(job_id)
