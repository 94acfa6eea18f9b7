"""Import historical responses and reviews from CSV, XLSX and JSON Lines files.

Every row goes through ``collect.services`` like any other channel: ``build_row``
checks it during the dry run and ``submit_batch`` stores it, so an imported response obeys
exactly the rules of a web or API one. This module only reads files, applies the column
mapping and reports, row by row, what it found.

Files are read as a stream, in chunks of ``IMPORT_CHUNK_SIZE`` rows, so the memory an import
needs does not grow with the file, with one exception written down at ``KeyTracker``.
Each row's idempotency key is derived from the survey and the row's external id (or the
row's content), so importing a file twice stores every response once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import logging
import os
import re
import secrets
import shutil
import time
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from heedback.collect import services, storage
from heedback.collect.choices import Channel
from heedback.collect.models import ImportJob, ImportMapping
from heedback.core.errors import Conflict, InvalidInput, ServiceError
from heedback.core.import_jobs import ImportJobFields, ImportStatus
from heedback.orgs import services as org_services
from heedback.orgs.models import Organisation, Unit
from heedback.orgs.selectors import root_unit
from heedback.orgs.services import record_audit
from heedback.surveys.definition import (
    CHOICE_TYPES,
    NUMERIC_TYPES,
    Question,
    QuestionType,
    SurveyDefinition,
    clean_answers,
)
from heedback.surveys.models import Survey

# submit_batch takes at most MAX_BATCH_SIZE items; one chunk is one batch and one transaction.
IMPORT_CHUNK_SIZE = services.MAX_BATCH_SIZE
# The report keeps this many problems for pages; the listener hears every one of them.
MAX_KEPT_PROBLEMS = 1000
# A typo in a unit column must not grow the unit tree by thousands of nodes.
MAX_NEW_UNITS = 500
FORMATS = ("csv", "xlsx", "jsonl")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
MAPPING_FIELDS = ("answers", "unit", "submitted_at", "external_id", "comment", "staff", "channel")
_COLUMN_FIELDS = ("unit", "submitted_at", "external_id", "comment", "staff")
_DECIMAL_WHOLE = re.compile(r"[+-]?[0-9]{1,9}\.0*")
_OPTION_SEPARATORS = re.compile(r"[;,|]")
_SHOWN_VALUE_LENGTH = 40


class ImportFileError(ServiceError):
    """The file cannot be read at all (wrong format, bad encoding, no header)."""

    status = 422


# --- the column mapping -------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMapping:
    """Say which column of the file holds what.

    ``answers`` maps a column to a question key; ``values`` recodes the raw text of an
    answer column (``{"satisfied": 5, "0": null}``, where null means unanswered);
    ``channel`` names a column or is a fixed channel for every row.
    """

    answers: dict[str, str]
    unit: str | None = None
    submitted_at: str | None = None
    external_id: str | None = None
    comment: str | None = None
    staff: str | None = None
    channel: str | None = None
    values: dict[str, dict[str, object]] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        """Return the mapping as the JSON document it was read from."""
        data: dict[str, object] = {"answers": dict(self.answers)}
        for name in MAPPING_FIELDS[1:]:
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.values:
            data["values"] = {column: dict(codes) for column, codes in self.values.items()}
        return data


def parse_mapping(data: object) -> ColumnMapping:
    """Check the shape of a mapping document and return it; raise InvalidInput naming each fault."""
    if not isinstance(data, dict):
        raise InvalidInput.from_pairs(
            _("The column mapping is not valid."), [("mapping", _("must be a JSON object"))]
        )
    errors: list[tuple[str, str]] = []
    for key in data:
        if key not in (*MAPPING_FIELDS, "values"):
            allowed = ", ".join((*MAPPING_FIELDS, "values"))
            errors.append((str(key), _("unknown field; use %s") % allowed))
    answers = data.get("answers", {})
    if not isinstance(answers, dict) or not all(
        isinstance(value, str) and value for value in answers.values()
    ):
        errors.append(("answers", _("must map column names to question keys")))
        answers = {}
    for name in MAPPING_FIELDS[1:]:
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            errors.append((name, _("must name a column")))
    values = data.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        errors.append(("values", _('must map a column to {"raw value": mapped value, …}')))
        values = {}
    for column, codes in values.items():
        for raw, mapped in codes.items():
            if not _is_recoded_value(mapped):
                errors.append(
                    (f"values.{column}.{raw}", _("must be text, a number, true, false or null"))
                )
    if errors:
        raise InvalidInput.from_pairs(_("The column mapping is not valid."), errors)
    fixed = {name: data.get(name) for name in MAPPING_FIELDS[1:]}
    return ColumnMapping(answers=dict(answers), values=dict(values), **fixed)


def _is_recoded_value(value: object) -> bool:
    if value is None or isinstance(value, str | int | bool):
        return True
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def load_mapping(path: Path) -> ColumnMapping:
    """Read a mapping from a JSON file, reporting unreadable JSON like any other fault."""
    return parse_mapping(read_mapping_document(path))


def read_mapping_document(path: Path) -> object:
    """Return the JSON document of a mapping file; raise InvalidInput when it is unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidInput.from_pairs(
            _("The column mapping cannot be read."), [("mapping", str(error.strerror or error))]
        ) from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidInput.from_pairs(
            _("The column mapping is not valid JSON."), [("mapping", str(error))]
        ) from error
    return data


def check_mapping(mapping: ColumnMapping, survey: Survey, columns: list[str]) -> None:
    """Check the mapping against the survey's questions and the file's columns, all at once.

    Run before the first row is read, so that a wrong column name costs one message and
    not one per row.
    """
    if not survey.is_published or survey.published_version_id is None:
        raise Conflict(
            _("Publish the survey before importing responses into it."),
            errors={"survey": [_("not open")]},
        )
    definition = survey.published_version.parsed()
    header = set(columns)
    errors = _answer_mapping_errors(mapping, definition, header)
    for name in _COLUMN_FIELDS:
        column = getattr(mapping, name)
        if column is not None and column not in header:
            errors.append((name, _("no column '%s' in the file") % column))
    channel = mapping.channel
    if channel is not None and channel not in header and channel not in Channel.values:
        message = _("'%(value)s' is neither a column of the file nor a channel (%(channels)s)")
        errors.append(("channel", message % {"value": channel, "channels": ", ".join(Channel)}))
    if errors:
        raise InvalidInput.from_pairs(
            _("The column mapping does not fit the file and the survey."), errors
        )


def _answer_mapping_errors(
    mapping: ColumnMapping, definition: SurveyDefinition, header: set[str]
) -> list[tuple[str, str]]:
    questions = {question.key: question for question in definition.questions}
    errors: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for column, key in mapping.answers.items():
        path = f"answers.{column}"
        if column not in header:
            errors.append((path, _("no column '%s' in the file") % column))
        if key not in questions:
            message = _("unknown question '%(key)s'; the survey asks: %(keys)s")
            errors.append((path, message % {"key": key, "keys": ", ".join(questions)}))
        elif key in seen:
            message = _("question '%(key)s' is already mapped from column '%(column)s'")
            errors.append((path, message % {"key": key, "column": seen[key]}))
        seen.setdefault(key, column)
    for question in definition.questions:
        if question.required and question.show_if is None and question.key not in seen:
            message = _("question '%s' is required by the survey; map a column to it")
            errors.append(("answers", message % question.key))
    if not mapping.answers and mapping.comment is None:
        errors.append(("answers", _("map at least one column to a question")))
    for column, codes in mapping.values.items():
        key = mapping.answers.get(column)
        if key is None:
            errors.append((f"values.{column}", _("the column is not mapped to a question")))
        elif key in questions:
            errors.extend(_recode_errors(column, codes, questions[key], definition))
    return errors


def _recode_errors(
    column: str, codes: Mapping[str, object], question: Question, definition: SurveyDefinition
) -> list[tuple[str, str]]:
    """Check each recoded value is a valid answer, so a typo in the mapping fails early."""
    errors = []
    for raw, mapped in codes.items():
        value = normalise_answer(question, mapped)
        if value is None:
            continue
        found = clean_answers(definition, {question.key: value}, partial=True).errors
        errors.extend(
            (f"values.{column}.{raw}", error.message)
            for error in found
            if error.path == question.key
        )
    return errors


# --- reading files ------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    """One record of the file: the line it starts on, its values by column, or why not."""

    line: int
    values: dict[str, Any]
    error: str | None = None


def detect_format(path: Path, given: str | None = None) -> str:
    """Return the file's format from ``given`` or its extension."""
    if given:
        if given not in FORMATS:
            raise ImportFileError(_("Choose a format among %s.") % ", ".join(FORMATS))
        return given
    found = _EXTENSIONS.get(Path(path).suffix.lower())
    if found is None:
        raise ImportFileError(
            _("Cannot tell the format of %s: name it .csv, .xlsx or .jsonl.") % Path(path).name
        )
    return found


_NOT_UTF8 = _lazy("The file is not UTF-8 text (near line %d): save it as “CSV UTF-8”.")


class CsvSource:
    """Read a CSV file (UTF-8, with or without BOM) record by record.

    The line of a record is the physical line it starts on, so a comment holding line
    breaks does not shift the numbers a person sees in a text editor. Lines are decoded
    one by one, so a byte that is not UTF-8 is reported on its own line.
    """

    def __init__(self, path: Path) -> None:
        self._raw = open(path, "rb")  # noqa: SIM115 (closed by close())
        self._size = max(os.fstat(self._raw.fileno()).st_size, 1)
        self._line = 0
        lines = self._decoded_lines()
        first = next(lines, None)
        if first is None:
            raise ImportFileError(_("The file is empty: it needs a header row."))
        delimiter = "\t" if Path(path).suffix.lower() == ".tsv" else _guess_delimiter(first)
        self._reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
        header = next(self._reader)
        self.columns = _checked_header([cell.strip() for cell in header])

    def _decoded_lines(self) -> Iterator[str]:
        for raw in self._raw:
            self._line += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ImportFileError(_NOT_UTF8 % self._line) from error
            yield text.removeprefix("\ufeff") if self._line == 1 else text

    def rows(self) -> Iterator[SourceRow]:
        width = len(self.columns)
        while True:
            start = self._reader.line_num + 1
            try:
                record = next(self._reader, None)
            except csv.Error as error:
                yield SourceRow(start, {}, _("unreadable CSV: %s") % error)
                continue
            if record is None:
                return
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != width:
                message = _("has %(found)d values where the header has %(width)d columns")
                yield SourceRow(start, {}, message % {"found": len(record), "width": width})
                continue
            yield SourceRow(start, dict(zip(self.columns, record, strict=True)))

    def fraction(self) -> float:
        return min(self._raw.tell() / self._size, 1.0)

    def close(self) -> None:
        self._raw.close()


def _guess_delimiter(header: str) -> str:
    """Return the delimiter the header line uses most.

    Spreadsheets in much of Europe save CSV with semicolons; the header, made of short
    names, tells which without the guesswork of sniffing quoted text.
    """
    counts = {candidate: header.count(candidate) for candidate in (",", ";", "\t", "|")}
    best = max(counts, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


class JsonLinesSource:
    """Read JSON Lines: one object per line, its keys are the columns.

    Objects may leave out keys they have no value for, so the columns are the keys seen
    in the first chunk of lines.
    """

    def __init__(self, path: Path) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 (closed by close())
        self._size = max(os.fstat(self._file.fileno()).st_size, 1)
        self._lines = enumerate(self._file, start=1)
        self._ahead: list[SourceRow] = []
        columns: dict[str, None] = {}
        for row in self._read(IMPORT_CHUNK_SIZE):
            self._ahead.append(row)
            columns.update(dict.fromkeys(row.values))
        if not self._ahead:
            raise ImportFileError(_("The file is empty."))
        self.columns = list(columns)

    def _read(self, limit: int | None = None) -> Iterator[SourceRow]:
        count = 0
        for line, raw in self._lines:
            if not raw.strip():
                continue
            yield self._parse(line, raw)
            count += 1
            if limit is not None and count >= limit:
                return

    @staticmethod
    def _parse(line: int, raw: bytes) -> SourceRow:
        try:
            value = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            return SourceRow(line, {}, _("not valid JSON: %s") % error)
        if not isinstance(value, dict):
            return SourceRow(line, {}, _("must be a JSON object"))
        return SourceRow(line, value)

    def rows(self) -> Iterator[SourceRow]:
        yield from self._ahead
        self._ahead = []
        yield from self._read()

    def fraction(self) -> float:
        return min(self._file.tell() / self._size, 1.0)

    def close(self) -> None:
        self._file.close()


class XlsxSource:
    """Read the first worksheet of an XLSX workbook with openpyxl's streaming reader.

    Read-only mode parses the sheet's XML as it goes, so a sheet of a million rows needs
    no more memory than one of a hundred. The line of a row is its row number in Excel.
    """

    def __init__(self, path: Path) -> None:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, OSError, KeyError, ValueError) as error:
            raise ImportFileError(_("The file is not an XLSX workbook.")) from error
        except Exception as error:  # zipfile.BadZipFile and the XML parser's own errors
            raise ImportFileError(_("The file is not an XLSX workbook.")) from error
        self._sheet = self._book.worksheets[0]
        self._rows = enumerate(self._sheet.iter_rows(values_only=True), start=1)
        self._line = 0
        header: tuple = ()
        for line, values in self._rows:
            if any(value is not None and str(value).strip() for value in values):
                header, self._line = values, line
                break
        names = [str(value).strip() if value is not None else "" for value in header]
        while names and not names[-1]:
            names.pop()
        if not names:
            raise ImportFileError(_("The first worksheet is empty: it needs a header row."))
        self.columns = _checked_header(names)
        self._total = self._sheet.max_row or 0

    def rows(self) -> Iterator[SourceRow]:
        for line, cells in self._rows:
            self._line = line
            if not any(cell is not None and str(cell).strip() != "" for cell in cells):
                continue
            values = {name: cell for name, cell in zip(self.columns, cells, strict=False) if name}
            yield SourceRow(line, values)

    def fraction(self) -> float:
        return min(self._line / self._total, 1.0) if self._total else 0.0

    def close(self) -> None:
        self._book.close()


def _checked_header(names: list[str]) -> list[str]:
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise ImportFileError(_("The header names the column '%s' twice.") % name)
        seen.add(name)
    return names


Source = CsvSource | JsonLinesSource | XlsxSource


def open_source(path: Path, file_format: str | None = None) -> Source:
    """Open a file for streaming; the caller closes it."""
    kind = detect_format(path, file_format)
    if not Path(path).is_file():
        raise ImportFileError(_("There is no file %s.") % path)
    readers = {"csv": CsvSource, "xlsx": XlsxSource, "jsonl": JsonLinesSource}
    return readers[kind](Path(path))


def read_columns(path: Path, file_format: str | None = None) -> list[str]:
    """Return the column names of a file (its header)."""
    source = open_source(path, file_format)
    try:
        return list(source.columns)
    finally:
        source.close()


# --- from a row to a submission -----------------------------------------------------------


def cell_text(value: object) -> str:
    """Return a cell as text the way a person reads it (3.0 as "3", True as "true")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(cell_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def normalise_answer(question: Question, value: object) -> object:
    """Return the cell as the answer ``clean_answers`` expects, or None when it is empty.

    Spreadsheets store whole numbers as 3.0 and CSV files hold a list of options as
    "a;b": both are read as a person means them. Anything else is left for the survey's
    own validation to judge, so every channel refuses the same values.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if question.type in NUMERIC_TYPES or question.type is QuestionType.YES_NO:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _DECIMAL_WHOLE.fullmatch(value.strip()):
            return int(float(value))
        return value
    if question.type is QuestionType.MULTI_CHOICE:
        if isinstance(value, str):
            return [part.strip() for part in _OPTION_SEPARATORS.split(value) if part.strip()]
        return value
    if question.type in CHOICE_TYPES or question.type is QuestionType.TEXT:
        return value if isinstance(value, str) else cell_text(value)
    return value


def parse_when(value: object, zone: zoneinfo.ZoneInfo) -> datetime:
    """Read a date or time; one without a time zone is taken in the organisation's zone."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=zone)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=zone)
    raise ValueError(_("must be a date or time such as 2024-05-31 or 2024-05-31T14:05:00+02:00"))


class UnitDirectory:
    """The organisation's units by name (any case) and by id, looked up once per import.

    With ``create_missing``, an unknown name becomes a unit under the root: planned (an
    unsaved placeholder) while checking, created just before the rows that need it are
    written.
    """

    def __init__(self, organisation: Organisation, *, create_missing: bool) -> None:
        self.organisation = organisation
        self.create_missing = create_missing
        self.by_id: dict[str, Unit] = {}
        self.by_name: dict[str, list[Unit]] = {}
        for unit in Unit.objects.for_org(organisation):
            self._remember(unit)
        self.planned: dict[str, Unit] = {}

    def _remember(self, unit: Unit) -> None:
        self.by_id[str(unit.pk)] = unit
        self.by_name.setdefault(unit.name.strip().casefold(), []).append(unit)

    def resolve(self, raw: object) -> Unit:
        """Return the unit a cell names; raise ValueError saying why there is none."""
        name = cell_text(raw)
        if not name:
            raise ValueError(_("no unit given"))
        matches = self.by_name.get(name.casefold(), [])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValueError(_("%d units have this name; give the unit's id") % len(matches))
        if name in self.by_id:
            return self.by_id[name]
        if not self.create_missing:
            raise ValueError(_("no unit has this name or id (--create-units creates it)"))
        return self._plan(name)

    def _plan(self, name: str) -> Unit:
        key = name.casefold()
        if key not in self.planned:
            if len(self.planned) >= MAX_NEW_UNITS:
                raise ValueError(_("more than %d new units; create them first") % MAX_NEW_UNITS)
            if len(name) > 200:
                raise ValueError(_("a unit name has at most 200 characters"))
            self.planned[key] = Unit(organisation_id=self.organisation.pk, name=name)
        return self.planned[key]

    def create_planned(self, actor: AbstractBaseUser | None) -> list[Unit]:
        """Create the planned units under the root unit; return them."""
        parent = root_unit(self.organisation)
        created = []
        for placeholder in self.planned.values():
            unit = org_services.create_unit(
                self.organisation, name=placeholder.name, parent=parent, actor=actor
            )
            # Rows already read point at the placeholder: it becomes the stored unit.
            for name in ("id", "parent_id", "kind", "path", "created_at"):
                setattr(placeholder, name, getattr(unit, name))
            placeholder._state.adding, placeholder._state.db = False, unit._state.db
            self._remember(placeholder)
            created.append(placeholder)
        self.planned = {}
        return created


class KeyTracker:
    """Count how often a row's content repeats in the file, and spot keys seen before.

    Two paper cards with the same scores on the same day are two responses, so a key
    made from content carries the number of its occurrence; importing the file again
    gives every row the same key again. This is the one structure that grows with the
    file: one 64-bit fingerprint per row, about 70 bytes in Python (70 MB per million
    rows), far under the 1 GB an import may use.
    """

    def __init__(self) -> None:
        self._contents: set[int] = set()
        self._repeats: dict[int, int] = {}
        self._external_keys: set[int] = set()

    def occurrence(self, digest: bytes) -> int:
        """Return how many rows with this content came before (0 for the first)."""
        fingerprint = int.from_bytes(digest[:8], "big")
        if fingerprint not in self._contents:
            self._contents.add(fingerprint)
            return 0
        count = self._repeats.get(fingerprint, 0) + 1
        self._repeats[fingerprint] = count
        return count

    def first_time(self, key: str) -> bool:
        """Return whether an external id's key is new to this file (and remember it).

        Only the dry run needs this: when writing, the database itself tells a repeat.
        A content key is never repeated within a file, its occurrence number sees to that.
        """
        fingerprint = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest())
        if fingerprint in self._external_keys:
            return False
        self._external_keys.add(fingerprint)
        return True


def external_key(survey: Survey, external_id: str) -> str:
    """Return the idempotency key of an imported row that has an external id."""
    digest = hashlib.sha256(f"{survey.pk}\x1f{external_id}".encode()).hexdigest()
    return f"import:{digest[:40]}"


def content_key(survey: Survey, values: Mapping[str, Any], tracker: KeyTracker) -> str:
    """Return the idempotency key of a row without an external id, from all of its cells."""
    canonical = "\x1e".join(f"{name}\x1f{cell_text(values[name])}" for name in sorted(values))
    digest = hashlib.sha256(f"{survey.pk}\x1d{canonical}".encode()).digest()
    return f"import:{digest.hex()[:40]}:{tracker.occurrence(digest)}"


# --- the import ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportOptions:
    """How to run: only check (``dry_run``), create units named in the file, skip bad rows."""

    dry_run: bool = False
    create_units: bool = False
    skip_invalid: bool = False


@dataclass(frozen=True)
class ImportRequest:
    """What to import where; ``bad_rows_path`` is where rows that are not imported go (CSV)."""

    survey: Survey
    path: Path
    mapping: ColumnMapping
    options: ImportOptions = ImportOptions()
    file_format: str | None = None
    bad_rows_path: Path | None = None
    actor: AbstractBaseUser | None = None


@dataclass(frozen=True)
class RowProblem:
    """Why one row cannot be imported: its line, the column at fault and the reason."""

    line: int
    field: str
    reason: str


@dataclass(frozen=True)
class ImportProgress:
    """How far a pass over the file has come; ``total`` is known once a check pass has run."""

    phase: str
    rows: int
    fraction: float
    created: int
    duplicates: int
    invalid: int
    total: int | None = None


class ImportListener:
    """Hear an import as it goes: the command draws a bar, the web job saves its counts."""

    def progress(self, progress: ImportProgress) -> None:
        """Take the state after each chunk of rows."""

    def problem(self, problem: RowProblem) -> None:
        """Take one problem of one row (every problem, not only the kept ones)."""

    def duplicate(self, notice: RowProblem) -> None:
        """Take a row not imported because its id is stored or earlier in the file."""


@dataclass
class ImportReport:
    """The outcome: counts, the first problems, what was created and where the bad rows went.

    After a dry run the counts say what an import would do; ``refused`` says that nothing
    was written because some rows are invalid and ``skip_invalid`` was not given.
    """

    rows: int = 0
    created: int = 0
    duplicates: int = 0
    invalid: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    # Rows already stored or repeated in the file, when the import can say which.
    duplicate_rows: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False
    refused: bool = False
    written: bool = False
    units_created: list[str] = field(default_factory=list)
    units_planned: list[str] = field(default_factory=list)
    bad_rows_path: Path | None = None
    seconds: float = 0.0

    @property
    def is_clean(self) -> bool:
        """Tell whether every row was (or would be) imported or already there."""
        return not self.refused and self.invalid == 0


def run_import(request: ImportRequest, listener: ImportListener | None = None) -> ImportReport:
    """Check and import a file of responses; raise InvalidInput for a mapping that does not fit.

    All or nothing by default: a first pass checks every row and nothing is written when
    one is invalid. With ``skip_invalid`` one pass writes the good rows and puts the bad
    ones in ``bad_rows_path``. Each chunk of rows is stored in its own transaction, so a
    large import never holds the database for long; a run stopped half way is finished by
    running it again, since rows already stored count as duplicates.
    """
    started = time.monotonic()
    columns = read_columns(request.path, request.file_format)
    check_mapping(request.mapping, request.survey, columns)
    units = UnitDirectory(request.survey.organisation, create_missing=request.options.create_units)
    source = FileSource(request.path, request.file_format, columns)
    report = run_rows(
        source,
        lambda: _ResponsePlan(request, columns, units),
        request.options,
        listener,
        bad_rows_path=request.bad_rows_path,
    )
    report.seconds = time.monotonic() - started
    return report


# --- one mechanism for every kind of import -----------------------------------------------


@dataclass(frozen=True)
class FileSource:
    """The file an import reads: where, in which format, with the columns of its header."""

    path: Path
    file_format: str | None
    columns: list[str]


class RowPlan:
    """What one kind of import does with the rows of a file, during one pass over it.

    ``run_rows`` reads the file in chunks, reports, writes the bad rows and draws the
    progress; a plan turns a row into an item (``convert``, an error for an unreadable
    row), judges a chunk without writing (``check``) or stores it (``write``), and says a
    row's problems in the file's terms (``describe``). Results are the batch services'
    ``ItemResult`` values (status created, duplicate or invalid, with errors). A new plan
    is made for each pass, so what a plan remembers of the file starts afresh.
    """

    def convert(self, row: SourceRow) -> object:
        raise NotImplementedError

    def check(self, items: list) -> list:
        raise NotImplementedError

    def write(self, items: list) -> list:
        raise NotImplementedError

    def describe(self, row: SourceRow, errors: Mapping[str, list[str]]) -> list[RowProblem]:
        raise NotImplementedError

    def prepare_write(self) -> list[str]:
        """Create what the next chunk needs before it is written; return what was created."""
        return []

    def planned(self) -> list[str]:
        """Return what a write would create besides the rows (units), for the report."""
        return []


def run_rows(
    source: FileSource,
    new_plan: Callable[[], RowPlan],
    options: ImportOptions,
    listener: ImportListener | None = None,
    *,
    bad_rows_path: Path | None = None,
) -> ImportReport:
    """Check and import the rows of a file with a plan: all or nothing unless skipping.

    Without ``skip_invalid`` a first pass checks every row and nothing is written when one
    is invalid (``refused``); with it, one pass writes the good rows and puts the bad ones
    in ``bad_rows_path``. A dry run only checks.
    """
    started = time.monotonic()
    listener = listener or ImportListener()
    total = None
    if options.dry_run or not options.skip_invalid:
        report = _run_pass(source, new_plan(), options, listener, bad_rows_path, write=False)
        if options.dry_run or report.invalid:
            report.refused = not options.dry_run
            report.seconds = time.monotonic() - started
            return report
        total = report.rows
    report = _run_pass(
        source, new_plan(), options, listener, bad_rows_path, write=True, total=total
    )
    report.seconds = time.monotonic() - started
    return report


def _run_pass(
    file: FileSource,
    plan: RowPlan,
    options: ImportOptions,
    listener: ImportListener,
    bad_rows_path: Path | None,
    *,
    write: bool,
    total: int | None = None,
) -> ImportReport:
    """Read the whole file once, checking (``write=False``) or storing each chunk."""
    report = ImportReport(dry_run=options.dry_run)
    bad_rows = BadRowsFile(bad_rows_path, file.columns) if bad_rows_path else None
    phase = "writing" if write else "checking"
    source = open_source(file.path, file.file_format)
    try:
        for chunk in _chunks(source.rows(), IMPORT_CHUNK_SIZE):
            items = [plan.convert(row) for row in chunk]
            if write:
                report.units_created += plan.prepare_write()
                results = plan.write(items)
            else:
                results = plan.check(items)
            _tally(report, chunk, results, plan, listener, bad_rows)
            listener.progress(
                ImportProgress(
                    phase,
                    report.rows,
                    source.fraction(),
                    report.created,
                    report.duplicates,
                    report.invalid,
                    total,
                )
            )
    finally:
        source.close()
        if bad_rows is not None:
            bad_rows.close()
    report.written = write
    report.units_planned = plan.planned()
    report.bad_rows_path = bad_rows.path if bad_rows is not None and bad_rows.count else None
    return report


class _ResponsePlan(RowPlan):
    """Responses: rows become Submissions, checked and stored by the collect services."""

    def __init__(self, request: ImportRequest, columns: list[str], units: UnitDirectory) -> None:
        self.request, self.units = request, units
        self.tracker = KeyTracker()
        self.converter = RowConverter(request, columns, units, self.tracker)

    def convert(self, row: SourceRow) -> services.Submission | ServiceError:
        return self.converter.convert(row)

    def check(self, items: list) -> list:
        return _check_batch(self.request.survey, items, self.tracker)

    def write(self, items: list) -> list:
        return services.submit_batch(self.request.survey, items)

    def describe(self, row: SourceRow, errors: Mapping[str, list[str]]) -> list[RowProblem]:
        return self.converter.describe(row, errors)

    def prepare_write(self) -> list[str]:
        if not self.units.planned:
            return []
        return [unit.name for unit in self.units.create_planned(self.request.actor)]

    def planned(self) -> list[str]:
        return [unit.name for unit in self.units.planned.values()]


def _chunks(rows: Iterator[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    chunk: list[SourceRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def check_submission(submission: services.Submission) -> None:
    """Raise the error ``build_row`` would raise for a submission, building nothing.

    A thin wrapper over the service's own validation: the dry run must judge a row by
    exactly the rules the write applies, and building the unsaved rows as well would
    cost four times as much on a large file. (``collect.services`` could make this
    function public; until then the wrapper keeps the private call in one place.)
    """
    services._validate(submission)


def _check_batch(
    survey: Survey, items: list[services.Submission | ServiceError], tracker: KeyTracker
) -> list[services.ItemResult]:
    """Judge a chunk as ``submit_batch`` would, without writing: same rules, same keys."""
    results: list[services.ItemResult] = []
    for index, item in enumerate(items):
        error: ServiceError | None = item if isinstance(item, ServiceError) else None
        if isinstance(item, services.Submission):
            try:
                check_submission(item)
            except ServiceError as found:
                error = found
        if error is not None:
            errors = error.errors or {"__all__": [error.message]}
            results.append(services.ItemResult(index, services.ItemStatus.INVALID, errors=errors))
            continue
        assert isinstance(item, services.Submission)
        is_new = tracker.first_time(item.idempotency_key) if item.external_id else True
        status = services.ItemStatus.CREATED if is_new else services.ItemStatus.DUPLICATE
        results.append(services.ItemResult(index, status))
    new_keys = [
        item.idempotency_key
        for item, result in zip(items, results, strict=True)
        if result.status == services.ItemStatus.CREATED and isinstance(item, services.Submission)
    ]
    stored = storage.stored_keys(survey.pk, new_keys)
    return [
        services.ItemResult(result.index, services.ItemStatus.DUPLICATE)
        if isinstance(item, services.Submission) and item.idempotency_key in stored
        else result
        for item, result in zip(items, results, strict=True)
    ]


def _tally(
    report: ImportReport,
    chunk: list[SourceRow],
    results: list,
    plan: RowPlan,
    listener: ImportListener,
    bad_rows: BadRowsFile | None,
) -> None:
    for row, result in zip(chunk, results, strict=True):
        report.rows += 1
        if result.status == services.ItemStatus.CREATED:
            report.created += 1
        elif result.status == services.ItemStatus.DUPLICATE:
            report.duplicates += 1
            for notice in plan.describe(row, result.errors) if result.errors else ():
                listener.duplicate(notice)
                if len(report.duplicate_rows) < MAX_KEPT_PROBLEMS:
                    report.duplicate_rows.append(notice)
        else:
            report.invalid += 1
            problems = plan.describe(row, result.errors)
            for problem in problems:
                listener.problem(problem)
                if len(report.problems) < MAX_KEPT_PROBLEMS:
                    report.problems.append(problem)
            if bad_rows is not None:
                bad_rows.write(row, problems)


class RowConverter:
    """Turn a row of the file into a Submission through the mapping, and back for reports.

    Problems found while reading a cell (an unknown unit, an unreadable date) travel in
    ``Submission.errors``, so the service reports them together with its own findings.
    """

    def __init__(
        self,
        request: ImportRequest,
        columns: list[str],
        units: UnitDirectory,
        tracker: KeyTracker,
    ) -> None:
        survey = request.survey
        self.survey, self.mapping = survey, request.mapping
        self.units, self.tracker = units, tracker
        # Without a unit column every row belongs to the organisation as a whole.
        self.default_unit = None if self.mapping.unit else root_unit(survey.organisation)
        definition = survey.published_version.parsed()
        self.questions = {
            column: definition.question(key) for column, key in self.mapping.answers.items()
        }
        self.columns_of_keys = {key: column for column, key in self.mapping.answers.items()}
        self.codes = {column: _code_table(codes) for column, codes in self.mapping.values.items()}
        self.zone = zoneinfo.ZoneInfo(survey.organisation.time_zone)
        self.channel_is_column = self.mapping.channel in columns
        self.staff = _staff_by_email(survey.organisation) if self.mapping.staff else {}
        self.now = timezone.now()

    def convert(self, row: SourceRow) -> services.Submission | ServiceError:
        """Return the row's Submission, or the error that makes the row unreadable."""
        if row.error is not None:
            return InvalidInput.from_pairs(_("The row is not valid."), [("row", row.error)])
        values, mapping = row.values, self.mapping
        errors: list[tuple[str, str]] = []
        unit = self._unit(values, errors)
        submitted_at = self._submitted_at(values, errors)
        staff = self._staff(values, errors)
        external_id = cell_text(values.get(mapping.external_id)) if mapping.external_id else ""
        key = (
            external_key(self.survey, external_id)
            if external_id
            else content_key(self.survey, values, self.tracker)
        )
        return services.Submission(
            survey=self.survey,
            unit=unit,
            answers=self._answers(values),
            idempotency_key=key,
            channel=self._channel(values),
            submitted_at=submitted_at,
            comment=cell_text(values.get(mapping.comment)) if mapping.comment else "",
            staff=staff,
            external_id=external_id,
            errors=errors,
        )

    def _answers(self, values: Mapping[str, Any]) -> dict[str, object]:
        answers: dict[str, object] = {}
        for column, question in self.questions.items():
            raw = values.get(column)
            codes = self.codes.get(column)
            if codes is not None:
                raw = _recode(codes, raw)
            value = normalise_answer(question, raw)
            if value is not None:
                answers[question.key] = value
        return answers

    def _unit(self, values: Mapping[str, Any], errors: list[tuple[str, str]]) -> Unit:
        if self.mapping.unit is None and self.default_unit is not None:
            return self.default_unit
        try:
            return self.units.resolve(values.get(self.mapping.unit))
        except ValueError as error:
            errors.append(("unit", str(error)))
            return Unit(organisation_id=self.survey.organisation_id)

    def _submitted_at(
        self, values: Mapping[str, Any], errors: list[tuple[str, str]]
    ) -> datetime | None:
        if self.mapping.submitted_at is None:
            return self.now
        raw = values.get(self.mapping.submitted_at)
        if raw is None or cell_text(raw) == "":
            errors.append(("submitted_at", _("no date given")))
            return None
        try:
            return parse_when(raw, self.zone)
        except ValueError as error:
            errors.append(("submitted_at", str(error)))
            return None

    def _staff(
        self, values: Mapping[str, Any], errors: list[tuple[str, str]]
    ) -> AbstractBaseUser | None:
        email = cell_text(values.get(self.mapping.staff)).lower() if self.mapping.staff else ""
        if not email:
            return None
        member = self.staff.get(email)
        if member is None:
            errors.append(("staff", _("no member with this email")))
        return member

    def _channel(self, values: Mapping[str, Any]) -> str:
        channel = self.mapping.channel
        if channel is None:
            return Channel.IMPORT
        if self.channel_is_column:
            return cell_text(values.get(channel)).lower() or Channel.IMPORT
        return channel

    def describe(self, row: SourceRow, errors: Mapping[str, list[str]]) -> list[RowProblem]:
        """Return the problems of a row in the file's own terms: its columns and values."""
        return describe_row(row, errors, self._column_of)

    def _column_of(self, path: str) -> str:
        if path.startswith("answers."):
            return self.columns_of_keys.get(path.removeprefix("answers."), path)
        if path in _COLUMN_FIELDS:
            return getattr(self.mapping, path) or path
        if path == "channel" and self.channel_is_column:
            return str(self.mapping.channel)
        if path == "idempotency_key":
            return self.mapping.external_id or "row"
        return "row" if path == "__all__" else path


def describe_row(
    row: SourceRow, errors: Mapping[str, list[str]], column_of: Callable[[str], str]
) -> list[RowProblem]:
    """Return a row's problems by the column at fault, each with the value found there."""
    problems = []
    for path, messages in errors.items():
        column = column_of(path)
        shown = cell_text(row.values.get(column)) if column in row.values else ""
        if len(shown) > _SHOWN_VALUE_LENGTH:
            shown = shown[: _SHOWN_VALUE_LENGTH - 1] + "…"
        for message in messages:
            reason = f"{message} (got '{shown}')" if shown else message
            problems.append(RowProblem(row.line, column, reason))
    return problems


def _code_table(codes: Mapping[str, object]) -> dict[str, object]:
    """Return the recoding of one column, keyed by raw text in any case."""
    table = {str(raw).strip().casefold(): mapped for raw, mapped in codes.items()}
    return table


_MISSING = object()


def _recode(table: Mapping[str, object], raw: object) -> object:
    text = cell_text(raw).casefold()
    found = table.get(text, _MISSING)
    if found is _MISSING and _DECIMAL_WHOLE.fullmatch(text):
        found = table.get(str(int(float(text))), _MISSING)  # "0.0" is recoded like "0"
    return raw if found is _MISSING else found


def _staff_by_email(organisation: Organisation) -> dict[str, AbstractBaseUser]:
    members = get_user_model().objects.filter(memberships__organisation=organisation)
    return {member.email.lower(): member for member in members}


class BadRowsFile:
    """Write the rows that were not imported as CSV: their line, the reason, then the row.

    The original columns come back unchanged, so the file can be fixed and imported again
    with the same mapping; only our own reason column is neutralised for spreadsheets.
    """

    def __init__(self, path: Path, columns: list[str]) -> None:
        from heedback.collect.exporting import neutralise_cell

        self._neutralise = neutralise_cell
        self.path = Path(path)
        self.columns = columns
        self.count = 0
        self._file: io.TextIOWrapper | None = None
        self._writer: Any = None
        self.path.unlink(missing_ok=True)

    def write(self, row: SourceRow, problems: list[RowProblem]) -> None:
        if self._writer is None:
            self._file = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._writer = csv.writer(self._file)
            line_name, reason_name = ("line", "reason")
            if {"line", "reason"} & set(self.columns):
                line_name, reason_name = ("import_line", "import_reason")
            self._writer.writerow([line_name, reason_name, *self.columns])
        reason = "; ".join(f"{problem.field}: {problem.reason}" for problem in problems)
        cells = [_original_cell(row.values.get(column)) for column in self.columns]
        self._writer.writerow([row.line, self._neutralise(reason), *cells])
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _original_cell(value: object) -> str:
    return value if isinstance(value, str) else cell_text(value)


# --- import jobs: the web page's imports, run by the worker -------------------------------

MAX_UPLOAD_BYTES = 1024**3
JOB_PROBLEMS_KEPT = 200
# Progress is saved at most this often (seconds): the page polls every second.
JOB_PROGRESS_INTERVAL = 0.5
BAD_ROWS_NAME = "bad-rows.csv"
logger = logging.getLogger("heedback.collect.importing")


def imports_directory() -> Path:
    """Return where uploaded files and their bad-rows reports are kept."""
    return Path(settings.DATA_DIR) / "imports"


def bad_rows_download(job: ImportJobFields) -> tuple[Path, str] | None:
    """Return the job's bad-rows file and its download name, or None when there is none.

    The path is read from the database, so it is served only when it lies inside the
    imports directory: a tampered row can never make the page send another file.
    """
    path = Path(job.bad_rows_path) if job.bad_rows_path else None
    if path is None or not path.resolve().is_relative_to(imports_directory()):
        return None
    if not path.is_file():
        return None
    return path, f"{Path(job.file_name).stem}.bad-rows.csv"


def create_import_job(
    survey: Survey,
    *,
    file_name: str,
    chunks: Iterable[bytes],
    mapping: ColumnMapping,
    options: ImportOptions,
    actor: AbstractBaseUser | None,
) -> ImportJob:
    """Keep an uploaded file, check its header against the mapping and queue its dry run.

    The mapping is checked at once, before the worker is involved, so a wrong column name
    shows on the form instead of in a failed job.
    """
    file_format = detect_format(Path(file_name))
    directory = imports_directory() / secrets.token_hex(16)
    directory.mkdir(parents=True)
    # The stored name is ours: a file name from a browser never becomes part of a path.
    path = directory / f"upload{Path(file_name).suffix.lower()}"
    try:
        save_upload(path, chunks)
        check_mapping(mapping, survey, read_columns(path, file_format))
    except ServiceError:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    job = ImportJob.objects.create(
        organisation_id=survey.organisation_id,
        survey=survey,
        created_by=actor if actor is not None and actor.pk else None,
        file_name=Path(file_name).name[:255],
        file_path=str(path),
        file_format=file_format,
        mapping=mapping.as_json(),
        create_units=options.create_units,
        skip_invalid=options.skip_invalid,
    )
    transaction.on_commit(partial(_enqueue, "check_import", job.pk))
    return job


def save_upload(path: Path, chunks: Iterable[bytes]) -> None:
    """Write an upload's chunks to ``path``, refusing a file over ``MAX_UPLOAD_BYTES``."""
    size = 0
    with open(path, "wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise InvalidInput.from_pairs(
                    _("The file is too large."),
                    [("file", _("At most %d MB.") % (MAX_UPLOAD_BYTES // 1024**2))],
                )
            out.write(chunk)


def _enqueue(task_name: str, job_id: int) -> None:
    from heedback.collect import tasks

    getattr(tasks, task_name).enqueue(job_id)


def confirm_import_job(job: ImportJob, *, actor: AbstractBaseUser | None) -> None:
    """Queue the import of a checked file; a second click finds it queued and changes nothing."""
    if not job.can_confirm:
        raise Conflict(_("This file cannot be imported: fix the invalid rows and upload it again."))
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKED).update(
            status=ImportStatus.QUEUED_IMPORT, updated_at=timezone.now()
        )
        if not claimed:
            raise Conflict(_("This import has been started already."))
        record_audit(
            job.organisation,
            actor,
            "responses.import",
            job.survey.name,
            survey_id=job.survey_id,
            job_id=job.pk,
            file=job.file_name,
        )
        transaction.on_commit(partial(_enqueue, "run_import", job.pk))


def check_import_job(job_id: int) -> None:
    """Run the dry run of a queued job (the worker calls this)."""
    job = _claim(job_id, ImportStatus.QUEUED_CHECK, ImportStatus.CHECKING)
    if job is not None:
        _run_job(job, dry_run=True, finished=ImportStatus.CHECKED)


def write_import_job(job_id: int) -> None:
    """Import a confirmed job's file (the worker calls this)."""
    job = _claim(job_id, ImportStatus.QUEUED_IMPORT, ImportStatus.IMPORTING)
    if job is not None:
        _run_job(job, dry_run=False, finished=ImportStatus.DONE)


def _claim(job_id: int, waiting: str, running: str) -> ImportJob | None:
    """Move a job from waiting to running; only one worker wins, a repeat finds nothing."""
    if not claim_job(ImportJob.objects.all(), job_id, waiting, running):
        return None
    return ImportJob.objects.select_related(
        "survey__organisation", "survey__published_version", "created_by"
    ).get(pk=job_id)


def claim_job(jobs: QuerySet, job_id: int, waiting: str, running: str) -> bool:
    """Move a job of ``jobs`` from waiting to running; tell whether this caller won it."""
    return bool(
        jobs.filter(pk=job_id, status=waiting).update(status=running, updated_at=timezone.now())
    )


def _run_job(job: ImportJob, *, dry_run: bool, finished: str) -> None:
    path = Path(job.file_path)

    def run(listener: ImportListener) -> ImportReport:
        request = ImportRequest(
            survey=job.survey,
            path=path,
            mapping=parse_mapping(job.mapping),
            options=ImportOptions(dry_run, job.create_units, job.skip_invalid),
            file_format=job.file_format,
            bad_rows_path=path.parent / BAD_ROWS_NAME,
            actor=job.created_by,
        )
        return run_import(request, listener)

    run_job(ImportJob.objects.all(), job.pk, run, finished=finished)


def run_job(
    jobs: QuerySet,
    job_id: int,
    run: Callable[[ImportListener], ImportReport],
    *,
    finished: str,
) -> None:
    """Run a claimed job's pass, saving its progress and its report on the job's row.

    ``jobs`` is the job model's queryset: any model with ImportJob's status and report
    fields (the responses' ImportJob, the customers' interaction imports).
    """
    listener = JobListener(job_id, jobs)
    try:
        report = run(listener)
    except ServiceError as error:
        _finish_job(jobs, job_id, ImportStatus.FAILED, message=describe_error(error))
        return
    except Exception:
        logger.exception("import job %s failed", job_id)
        message = _("The import stopped on an error.")
        _finish_job(jobs, job_id, ImportStatus.FAILED, message=message)
        raise
    message = ""
    if report.refused:
        # Rows that passed the dry run failed now (the survey or the units changed).
        finished = ImportStatus.FAILED
        message = _("Some rows are no longer valid; nothing was written.")
    _finish_job(jobs, job_id, finished, report=report, listener=listener, message=message)


def _finish_job(
    jobs: QuerySet,
    job_id: int,
    status: str,
    *,
    report: ImportReport | None = None,
    listener: JobListener | None = None,
    message: str = "",
) -> None:
    fields: dict[str, object] = {"status": status, "message": message}
    if report is not None and listener is not None:
        fields.update(
            phase="",
            fraction=1.0,
            rows=report.rows,
            created=report.created,
            duplicates=report.duplicates,
            invalid=report.invalid,
            problems=listener.problems,
            problem_count=listener.problem_count,
            duplicate_rows=listener.duplicate_rows,
            units_planned=report.units_planned,
            units_created=report.units_created,
            bad_rows_path=str(report.bad_rows_path or ""),
        )
    # A job model keeps what its kind of import reports (interactions create no units).
    kept = {field.name for field in jobs.model._meta.get_fields()}
    fields = {name: value for name, value in fields.items() if name in kept}
    now = timezone.now()
    jobs.filter(pk=job_id).update(updated_at=now, finished_at=now, **fields)


class JobListener(ImportListener):
    """Save a job's progress for the page to poll, and keep its first problems."""

    def __init__(self, job_id: int, jobs: QuerySet | None = None) -> None:
        self.job_id = job_id
        self.jobs = jobs if jobs is not None else ImportJob.objects.all()
        self.problems: list[dict[str, object]] = []
        self.problem_count = 0
        self.duplicate_rows: list[dict[str, object]] = []
        self._saved_at = 0.0

    def progress(self, progress: ImportProgress) -> None:
        if time.monotonic() - self._saved_at < JOB_PROGRESS_INTERVAL:
            return
        self._saved_at = time.monotonic()
        self.jobs.filter(pk=self.job_id).update(
            phase=progress.phase,
            fraction=progress.fraction,
            rows=progress.rows,
            total_rows=progress.total,
            created=progress.created,
            duplicates=progress.duplicates,
            invalid=progress.invalid,
            updated_at=timezone.now(),
        )

    def problem(self, problem: RowProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < JOB_PROBLEMS_KEPT:
            self.problems.append(
                {"line": problem.line, "field": problem.field, "reason": problem.reason}
            )

    def duplicate(self, notice: RowProblem) -> None:
        if len(self.duplicate_rows) < JOB_PROBLEMS_KEPT:
            self.duplicate_rows.append(
                {"line": notice.line, "field": notice.field, "reason": notice.reason}
            )


def describe_error(error: ServiceError) -> str:
    """Return a service error as one sentence followed by each field's messages."""
    details = [
        f"{path}: {message}" for path, messages in error.errors.items() for message in messages
    ]
    return " ".join([error.message, *(f"{detail}." for detail in details)]).strip()


def save_mapping(survey: Survey, name: str, mapping: ColumnMapping) -> ImportMapping:
    """Save a mapping under a name for the survey's next imports (replacing one of that name)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput.from_pairs(
            _("The mapping name is not valid."), [("mapping_name", _("Use 1–100 characters."))]
        )
    saved, _created = ImportMapping.objects.update_or_create(
        organisation_id=survey.organisation_id,
        survey=survey,
        name=name,
        defaults={"mapping": mapping.as_json(), "updated_at": timezone.now()},
    )
    return saved
