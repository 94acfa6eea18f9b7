"""Uploaded import files and their bad-rows files, as far as an erasure request is concerned.

An import keeps its upload until someone confirms it, and a CSV of its bad rows for
download: both are copies of a spreadsheet in which the erased person may stand. Erasure
reads them with the importer's own readers (so an XLSX is searched cell by cell, not as
compressed bytes) and deletes every file that names the person; the job says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.collect import importing
from heedback.collect.models import ImportJob
from heedback.core.import_jobs import ImportStatus
from heedback.customers.models import InteractionImport
from heedback.orgs.models import Organisation

JOB_MODELS: tuple[type[Model], ...] = (ImportJob, InteractionImport)


def names_anyone(path: Path, file_format: str | None, needles: Sequence[str]) -> bool:
    """Tell whether any cell of the file contains one of ``needles`` (lower case).

    A file the readers cannot open cannot be cleared of the person either, so it counts
    as naming them: an erasure would rather delete an unreadable upload than keep it.
    """
    try:
        source = importing.open_source(path, file_format)
    except importing.ImportFileError:
        return path.exists()
    try:
        cells: Iterable[str] = (name.lower() for name in source.columns)
        if any(needle in cell for cell in cells for needle in needles):
            return True
        for row in source.rows():
            for value in row.values.values():
                text = importing.cell_text(value).lower()
                if text and any(needle in text for needle in needles):
                    return True
        return False
    finally:
        source.close()


def erase_from_import_files(organisation: Organisation, needles: Sequence[str]) -> int:
    """Delete the organisation's import files that name the person; return how many.

    A job whose upload is gone can no longer be confirmed, so one that was still waiting
    fails with a message saying why; its report keeps counts and line numbers only.
    """
    needles = [needle.lower() for needle in needles if needle]
    if not needles:
        return 0
    deleted = 0
    for model in JOB_MODELS:
        jobs = model.objects.filter(organisation=organisation).exclude(
            file_path="", bad_rows_path=""
        )
        for job in jobs:
            deleted += _erase_from_job(job, needles)
    return deleted


def _erase_from_job(job, needles: Sequence[str]) -> int:
    files = {"file_path": job.file_format, "bad_rows_path": "csv"}
    gone = []
    for attribute, file_format in files.items():
        raw = getattr(job, attribute)
        if raw and names_anyone(Path(raw), file_format, needles):
            Path(raw).unlink(missing_ok=True)
            setattr(job, attribute, "")
            gone.append(attribute)
    if not gone:
        return 0
    fields = [*gone, "problems", "updated_at"]
    job.problems = [_without_values(problem, needles) for problem in job.problems]
    if hasattr(job, "duplicate_rows"):
        job.duplicate_rows = [_without_values(notice, needles) for notice in job.duplicate_rows]
        fields.append("duplicate_rows")
    if "file_path" in gone and job.status != ImportStatus.DONE:
        job.status = ImportStatus.FAILED
        job.message = _(
            "The file was deleted by a customer's erasure request; upload it again without them."
        )
        fields += ["status", "message"]
    job.updated_at = timezone.now()
    job.save(update_fields=fields)
    return len(gone)


def _without_values(problem: dict, needles: Sequence[str]) -> dict:
    """Keep a reported problem's line and column, and drop a reason quoting the person."""
    reason = str(problem.get("reason", ""))
    if any(needle in reason.lower() for needle in needles):
        return {**problem, "reason": _("(removed by an erasure request)")}
    return problem
