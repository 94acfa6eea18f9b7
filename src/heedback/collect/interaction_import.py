"""Import interactions (visits, orders, stays, service calls) from CSV, XLSX and JSON Lines.

The file machinery is the responses importer's (``importing.run_rows``: streaming readers,
chunks, the dry run, all or nothing unless skipping, the bad-rows file, progress); this
module supplies the plan for interactions. Rows become ``InteractionInput`` values checked
by ``customers.services.check_interactions`` and stored by ``record_interactions``, exactly
as the API's, so an import obeys the API's rules: idempotent by external id, impossible
dates (unreadable, in the future, before 1900) and unknown customers, units and staff
refused by field. Each row's problems name its line and its column.

A mapping says which column holds what::

    {"external_id": "order", "customer": "client", "occurred_at": "date",
     "kind": "visit", "unit": "shop", "staff": "served_by", "value": "amount",
     "values": {"type": {"Booking": "stay"}}}

``kind`` is a column or one kind for every row; ``values`` recodes a column's raw text.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import time
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from heedback.collect import importing
from heedback.core.errors import Conflict, InvalidInput, ServiceError
from heedback.core.import_jobs import ImportStatus
from heedback.customers import services as customer_services
from heedback.customers.choices import InteractionKind
from heedback.customers.inputs import InteractionInput
from heedback.customers.models import InteractionImport
from heedback.orgs.models import Organisation
from heedback.orgs.services import record_audit

REQUIRED_FIELDS = ("external_id", "customer", "occurred_at")
COLUMN_FIELDS = (*REQUIRED_FIELDS, "unit", "staff", "value")
MAPPING_FIELDS = (*COLUMN_FIELDS, "kind", "values")


@dataclass(frozen=True)
class InteractionMapping:
    """Which column of the file holds what; ``kind`` is a column or a fixed kind."""

    external_id: str
    customer: str
    occurred_at: str
    kind: str
    unit: str | None = None
    staff: str | None = None
    value: str | None = None
    values: dict[str, dict[str, object]] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        """Return the mapping as the JSON document it was read from."""
        data: dict[str, object] = {
            name: getattr(self, name)
            for name in (*COLUMN_FIELDS, "kind")
            if getattr(self, name) is not None
        }
        if self.values:
            data["values"] = {column: dict(codes) for column, codes in self.values.items()}
        return data


def parse_mapping(data: object) -> InteractionMapping:
    """Check the shape of a mapping document; raise InvalidInput naming every fault."""
    if not isinstance(data, dict):
        raise InvalidInput.from_pairs(
            _("The column mapping is not valid."), [("mapping", _("must be a JSON object"))]
        )
    errors: list[tuple[str, str]] = [
        (str(key), _("unknown field; use %s") % ", ".join(MAPPING_FIELDS))
        for key in data
        if key not in MAPPING_FIELDS
    ]
    for name in (*REQUIRED_FIELDS, "kind"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            errors.append((name, _("required: name a column")))
    for name in ("unit", "staff", "value"):
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            errors.append((name, _("must name a column")))
    values = data.get("values", {})
    if not isinstance(values, dict) or not all(
        isinstance(codes, dict) and all(isinstance(v, str) for v in codes.values())
        for codes in values.values()
    ):
        errors.append(("values", _('must map a column to {"raw value": "new value", …}')))
        values = {}
    if errors:
        raise InvalidInput.from_pairs(_("The column mapping is not valid."), errors)
    return InteractionMapping(
        **{name: data.get(name) for name in (*COLUMN_FIELDS, "kind")},
        values={column: dict(codes) for column, codes in values.items()},
    )


def check_mapping(mapping: InteractionMapping, columns: list[str]) -> None:
    """Check the mapping against the file's header, before the first row is read."""
    header = set(columns)
    errors = [
        (name, _("no column '%s' in the file") % getattr(mapping, name))
        for name in COLUMN_FIELDS
        if getattr(mapping, name) is not None and getattr(mapping, name) not in header
    ]
    if mapping.kind not in header and mapping.kind not in InteractionKind.values:
        message = _("'%(value)s' is neither a column of the file nor a kind (%(kinds)s)")
        errors.append(
            ("kind", message % {"value": mapping.kind, "kinds": ", ".join(InteractionKind.values)})
        )
    errors += [
        (f"values.{column}", _("no column '%s' in the file") % column)
        for column in mapping.values
        if column not in header
    ]
    if errors:
        raise InvalidInput.from_pairs(_("The column mapping does not fit the file."), errors)


@dataclass(frozen=True)
class InteractionImportRequest:
    """What to import where; ``bad_rows_path`` is where rows that are not imported go."""

    organisation: Organisation
    path: Path
    mapping: InteractionMapping
    options: importing.ImportOptions = field(default_factory=importing.ImportOptions)
    file_format: str | None = None
    bad_rows_path: Path | None = None
    actor: AbstractBaseUser | None = None


def run_interaction_import(
    request: InteractionImportRequest, listener: importing.ImportListener | None = None
) -> importing.ImportReport:
    """Check and import a file of interactions; raise InvalidInput for a mapping that misfits.

    All or nothing by default (a first pass checks every row); with ``skip_invalid`` the
    good rows are stored and the bad ones written to ``bad_rows_path``. Importing a file
    again stores nothing new: its external ids are stored already.
    """
    started = time.monotonic()
    columns = importing.read_columns(request.path, request.file_format)
    check_mapping(request.mapping, columns)
    units = importing.UnitDirectory(request.organisation, create_missing=False)
    report = importing.run_rows(
        importing.FileSource(request.path, request.file_format, columns),
        lambda: InteractionPlan(request, columns, units),
        request.options,
        listener,
        bad_rows_path=request.bad_rows_path,
    )
    report.seconds = time.monotonic() - started
    return report


class InteractionPlan(importing.RowPlan):
    """Rows become InteractionInputs, judged and stored by the customers services."""

    def __init__(
        self, request: InteractionImportRequest, columns: list[str], units: importing.UnitDirectory
    ) -> None:
        self.organisation = request.organisation
        self.mapping = request.mapping
        self.units = units
        self.kind_is_column = self.mapping.kind in columns
        self.zone = zoneinfo.ZoneInfo(self.organisation.time_zone)
        self.codes = {
            column: {str(raw).strip().casefold(): new for raw, new in codes.items()}
            for column, codes in self.mapping.values.items()
        }
        # The first line of each external id in the file (a 64-bit fingerprint each).
        self.first_lines: dict[int, int] = {}
        self.lines: list[int] = []

    def _cell(self, values: Mapping[str, Any], column: str | None) -> object:
        if column is None:
            return None
        raw = values.get(column)
        codes = self.codes.get(column)
        if codes is not None:
            return codes.get(importing.cell_text(raw).casefold(), raw)
        return raw

    def convert(self, row: importing.SourceRow) -> InteractionInput | ServiceError:
        self.lines.append(row.line)
        if row.error is not None:
            return InvalidInput.from_pairs(_("The row is not valid."), [("row", row.error)])
        values, mapping = row.values, self.mapping
        errors: list[tuple[str, str]] = []
        occurred_at = self._cell(values, mapping.occurred_at)
        when = None
        if importing.cell_text(occurred_at) == "":
            errors.append(("occurred_at", _("no date given")))
        else:
            try:
                when = importing.parse_when(occurred_at, self.zone)
            except ValueError as error:
                errors.append(("occurred_at", str(error)))
        unit_id = self._unit(values, errors)
        value = self._value(values, errors)
        kind = (
            importing.cell_text(self._cell(values, mapping.kind)).lower()
            if self.kind_is_column
            else mapping.kind
        )
        if errors or when is None:
            return InvalidInput.from_pairs(_("The interaction is not valid."), errors)
        return InteractionInput(
            external_id=importing.cell_text(self._cell(values, mapping.external_id)),
            customer_external_id=importing.cell_text(self._cell(values, mapping.customer)),
            kind=kind,
            occurred_at=when,
            unit_id=unit_id,
            staff_email=importing.cell_text(self._cell(values, mapping.staff)),
            value=value,
        )

    def _unit(self, values: Mapping[str, Any], errors: list[tuple[str, str]]) -> int | None:
        raw = self._cell(values, self.mapping.unit)
        if importing.cell_text(raw) == "":
            return None
        try:
            return self.units.resolve(raw).pk
        except ValueError as error:
            errors.append(("unit", str(error).removesuffix(" (--create-units creates it)")))
            return None

    def _value(self, values: Mapping[str, Any], errors: list[tuple[str, str]]) -> Decimal | None:
        raw = self._cell(values, self.mapping.value)
        text = importing.cell_text(raw)
        if text == "":
            return None
        if isinstance(raw, float):
            text = repr(round(raw, 2))
        elif "," in text and "." not in text:
            text = text.replace(",", ".")  # 42,50 as much of Europe writes it
        try:
            amount = Decimal(text)
        except InvalidOperation:
            errors.append(("value", _("must be an amount such as 42.50")))
            return None
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            errors.append(("value", _("at most two decimals")))
            return None
        return amount

    def check(self, items: list) -> list:
        results = customer_services.check_interactions(self.organisation, items)
        return self._note_duplicates(items, results)

    def write(self, items: list) -> list:
        results = customer_services.record_interactions(self.organisation, items)
        return self._note_duplicates(items, results)

    def _note_duplicates(self, items: list, results: list) -> list:
        """Say why each duplicate is one: stored already, or repeating an earlier line."""
        lines, self.lines = self.lines, []
        noted = []
        for item, result, line in zip(items, results, lines, strict=True):
            if not isinstance(item, InteractionInput) or result.status == "invalid":
                noted.append(result)
                continue
            external_id = item.external_id.strip()
            digest = hashlib.blake2b(external_id.encode(), digest_size=8).digest()
            fingerprint = int.from_bytes(digest, "big")
            first = self.first_lines.setdefault(fingerprint, line)
            if first != line:
                message = _("repeats the id of line %d") % first
            elif result.status == "duplicate":
                message = _("already stored")
            else:
                noted.append(result)
                continue
            noted.append(
                customer_services.ItemResult(
                    result.index,
                    customer_services.ItemStatus.DUPLICATE,
                    result.id,
                    {"external_id": [message]},
                )
            )
        return noted

    def describe(
        self, row: importing.SourceRow, errors: Mapping[str, list[str]]
    ) -> list[importing.RowProblem]:
        return importing.describe_row(row, errors, self._column_of)

    def _column_of(self, path: str) -> str:
        if path in COLUMN_FIELDS:
            return getattr(self.mapping, path) or path
        if path == "kind":
            return self.mapping.kind if self.kind_is_column else "kind"
        return "row" if path in {"__all__", "row"} else path


# --- the web page's imports, run by the worker ----------------------------------------------


def create_interaction_import(
    organisation: Organisation,
    *,
    file_name: str,
    chunks: Iterable[bytes],
    mapping: InteractionMapping,
    skip_invalid: bool,
    actor: AbstractBaseUser | None,
) -> InteractionImport:
    """Keep an uploaded file, check its header against the mapping and queue its dry run.

    The mapping is checked at once, so a wrong column name shows on the form instead of
    in a failed job.
    """
    file_format = importing.detect_format(Path(file_name))
    directory = importing.imports_directory() / secrets.token_hex(16)
    directory.mkdir(parents=True)
    # The stored name is ours: a file name from a browser never becomes part of a path.
    path = directory / f"upload{Path(file_name).suffix.lower()}"
    try:
        importing.save_upload(path, chunks)
        check_mapping(mapping, importing.read_columns(path, file_format))
    except ServiceError:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    job = InteractionImport.objects.create(
        organisation=organisation,
        created_by=actor if actor is not None and actor.pk else None,
        file_name=Path(file_name).name[:255],
        file_path=str(path),
        file_format=file_format,
        mapping=mapping.as_json(),
        skip_invalid=skip_invalid,
    )
    transaction.on_commit(partial(_enqueue, "check_interaction_import", job.pk))
    return job


def _enqueue(task_name: str, job_id: int) -> None:
    from heedback.collect import interaction_tasks

    getattr(interaction_tasks, task_name).enqueue(job_id)


def confirm_interaction_import(job: InteractionImport, *, actor: AbstractBaseUser | None) -> None:
    """Queue the import of a checked file; a second click finds it queued and changes nothing."""
    if not job.can_confirm:
        raise Conflict(_("This file cannot be imported: fix the invalid rows and upload it again."))
    with transaction.atomic():
        jobs = InteractionImport.objects.all()
        if not importing.claim_job(jobs, job.pk, ImportStatus.CHECKED, ImportStatus.QUEUED_IMPORT):
            raise Conflict(_("This import has been started already."))
        record_audit(
            job.organisation,
            actor,
            "customers.import_interactions",
            job.file_name,
            job_id=job.pk,
            rows=job.rows,
        )
        transaction.on_commit(partial(_enqueue, "run_interaction_import", job.pk))


def check_interaction_import(job_id: int) -> None:
    """Run the dry run of a queued upload (the worker calls this)."""
    _run_job(job_id, ImportStatus.QUEUED_CHECK, ImportStatus.CHECKING, ImportStatus.CHECKED)


def write_interaction_import(job_id: int) -> None:
    """Import a confirmed upload (the worker calls this)."""
    _run_job(job_id, ImportStatus.QUEUED_IMPORT, ImportStatus.IMPORTING, ImportStatus.DONE)


def _run_job(job_id: int, waiting: str, running: str, finished: str) -> None:
    jobs = InteractionImport.objects.all()
    if not importing.claim_job(jobs, job_id, waiting, running):
        return
    job = jobs.select_related("organisation", "created_by").get(pk=job_id)
    path = Path(job.file_path)

    def run(listener: importing.ImportListener) -> importing.ImportReport:
        request = InteractionImportRequest(
            organisation=job.organisation,
            path=path,
            mapping=parse_mapping(job.mapping),
            options=importing.ImportOptions(
                dry_run=finished == ImportStatus.CHECKED, skip_invalid=job.skip_invalid
            ),
            file_format=job.file_format,
            bad_rows_path=path.parent / importing.BAD_ROWS_NAME,
            actor=job.created_by,
        )
        return run_interaction_import(request, listener)

    importing.run_job(jobs, job_id, run, finished=finished)
