"""What every file import started on the web shares: its status, progress and report.

Responses (``collect.ImportJob``) and interactions (``customers.InteractionImport``) are
checked, then imported, by the worker through one importer (``collect.importing``), and
one page pattern polls them; so their rows carry the same fields, declared once here.
An abstract model has no table: each app keeps its own, beside what is particular to it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    """Where an import started from the web page stands; the page polls it."""

    QUEUED_CHECK = "queued_check", _("Waiting to be checked")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked")
    QUEUED_IMPORT = "queued_import", _("Waiting to be imported")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJobFields(models.Model):
    """A file uploaded for import: its dry-run report, then the import, run by the worker.

    The counts are written as the worker goes, so the page shows progress on large files;
    the complete list of bad rows is the CSV file at ``bad_rows_path``.
    """

    RUNNING = (
        ImportStatus.QUEUED_CHECK,
        ImportStatus.CHECKING,
        ImportStatus.QUEUED_IMPORT,
        ImportStatus.IMPORTING,
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(_("file"), max_length=255)
    file_path = models.CharField(max_length=1000)
    file_format = models.CharField(max_length=10)
    mapping = models.JSONField()
    skip_invalid = models.BooleanField(_("skip invalid rows"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus, default=ImportStatus.QUEUED_CHECK
    )
    phase = models.CharField(max_length=20, blank=True)
    fraction = models.FloatField(default=0.0)
    rows = models.PositiveIntegerField(default=0)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.PositiveIntegerField(default=0)
    bad_rows_path = models.CharField(max_length=1000, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def can_confirm(self) -> bool:
        """Tell whether the checked file may be imported: clean, or its bad rows skipped."""
        return self.status == ImportStatus.CHECKED and (self.invalid == 0 or self.skip_invalid)

    @property
    def percent(self) -> int:
        return round(self.fraction * 100)
