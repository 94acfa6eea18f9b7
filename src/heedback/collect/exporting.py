"""Export a survey's responses to CSV, XLSX and Parquet, cut like the results page.

Exports read raw rows (architecture principle 5 allows it for exports) in chunks through
the database's cursor, so an export of a million responses never holds them all in
memory. One row per response: the fixed columns, then one column per question key of
every version of the survey. Cells that a spreadsheet would run as a formula are
neutralised in CSV and XLSX, because an exported comment is text a customer wrote.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from heedback.collect.choices import Channel
from heedback.collect.models import Response
from heedback.core.errors import InvalidInput
from heedback.orgs.models import Organisation, Unit
from heedback.orgs.services import record_audit
from heedback.surveys.confidentiality import refuse_individual_responses
from heedback.surveys.definition import NUMERIC_TYPES, Question, QuestionType
from heedback.surveys.models import Survey

FIXED_COLUMNS = ("id", "submitted_at", "unit", "unit_id", "channel", "staff", "external_id")
LAST_COLUMN = "comment"
EXPORT_FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
# OWASP's list: a cell starting with one of these is a formula (or becomes one) in Excel,
# LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
READ_CHUNK = 2000
PARQUET_ROW_GROUP = 50_000
# Control characters XLSX cannot hold (openpyxl refuses them).
_XLSX_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_SPOOL_IN_MEMORY = 8 * 1024 * 1024


def neutralise_cell(value: object) -> object:
    """Return a text cell prefixed with ' when a spreadsheet would run it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class ExportQuery:
    """Which responses to export: the results page's period, unit subtree and channel.

    ``visible_unit_paths`` limits a manager or front-line member to their own subtree;
    None means the whole organisation.
    """

    organisation: Organisation
    survey: Survey
    date_from: date | None = None
    date_to: date | None = None
    unit: Unit | None = None
    channel: str | None = None
    visible_unit_paths: tuple[str, ...] | None = None

    def check(self) -> None:
        """Raise InvalidInput when the filters contradict each other or name no channel.

        Raise Forbidden for a confidential (employee) survey: its responses are never
        exported one by one, by any route (page, API, command).
        """
        refuse_individual_responses(self.survey)
        errors = []
        if self.date_from and self.date_to and self.date_from > self.date_to:
            errors.append(("to", _("The end comes before the start.")))
        if self.channel and self.channel not in Channel.values:
            errors.append(("channel", _("Choose one of: %s.") % ", ".join(Channel.values)))
        if errors:
            raise InvalidInput.from_pairs(_("The export filters are not valid."), errors)


def responses_for_export(query: ExportQuery) -> QuerySet[Response]:
    """Return the responses the query selects, oldest first."""
    responses = Response.objects.filter(organisation=query.organisation, survey=query.survey)
    if query.unit is not None:
        responses = responses.filter(unit__path__startswith=query.unit.path)
    if query.visible_unit_paths is not None:
        visible = Q(pk__in=[])
        for path in query.visible_unit_paths:
            visible |= Q(unit__path__startswith=path)
        responses = responses.filter(visible)
    zone = zoneinfo.ZoneInfo(query.organisation.time_zone)
    if query.date_from is not None:
        responses = responses.filter(
            submitted_at__gte=datetime.combine(query.date_from, time.min, zone)
        )
    if query.date_to is not None:
        end = datetime.combine(query.date_to + timedelta(days=1), time.min, zone)
        responses = responses.filter(submitted_at__lt=end)
    if query.channel:
        responses = responses.filter(channel=query.channel)
    return responses.order_by("submitted_at", "id")


def export_questions(survey: Survey) -> list[Question]:
    """Return one question per key over every version, newest wording first.

    A key asked only by an older version still gets its column, so no stored answer is
    left out of an export.
    """
    versions = survey.versions.order_by("-number")
    questions: dict[str, Question] = {}
    for version in versions:
        for question in version.parsed().questions:
            questions.setdefault(question.key, question)
    return list(questions.values())


def export_header(questions: list[Question]) -> list[str]:
    """Return the column names: fixed columns, one per question key, the comment last.

    A question keyed like a fixed column (the templates ask "staff" and "comment") gets
    its column as ``answer_<key>``, so every column name is unique.
    """
    taken = {*FIXED_COLUMNS, LAST_COLUMN}
    names = []
    for question in questions:
        name = question.key
        while name in taken:
            name = f"answer_{name}"
        taken.add(name)
        names.append(name)
    return [*FIXED_COLUMNS, *names, LAST_COLUMN]


def iter_rows(query: ExportQuery, questions: list[Question]) -> Iterator[list[Any]]:
    """Yield each response as a list of typed values in header order."""
    zone = zoneinfo.ZoneInfo(query.organisation.time_zone)
    types = {question.key: question.type for question in questions}
    responses = (
        responses_for_export(query)
        .select_related("unit", "staff")
        .prefetch_related("answers")
        .iterator(chunk_size=READ_CHUNK)
    )
    for response in responses:
        answers = {answer.question_key: answer for answer in response.answers.all()}
        yield [
            response.pk,
            response.submitted_at.astimezone(zone),
            response.unit.name,
            response.unit_id,
            response.channel,
            response.staff.email if response.staff_id else None,
            response.external_id or None,
            *(_answer_value(answers.get(key), kind) for key, kind in types.items()),
            response.comment or None,
        ]


def _answer_value(answer: Any, kind: QuestionType) -> object:
    if answer is None:
        return None
    if kind is QuestionType.YES_NO:
        return bool(answer.number) if answer.number is not None else None
    if kind in NUMERIC_TYPES:
        return answer.number
    if kind is QuestionType.MULTI_CHOICE:
        return list(answer.choices or [])
    if kind is QuestionType.SINGLE_CHOICE:
        return (answer.choices or [None])[0]
    return answer.text or None


def _spreadsheet_cell(value: object) -> object:
    """Return a value as a CSV or XLSX cell: ISO times, joined options, neutralised text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(value)
    return neutralise_cell(value)


def iter_csv(query: ExportQuery) -> Iterator[bytes]:
    """Yield the export as UTF-8 CSV (with the BOM Excel needs), a few hundred rows at a time."""
    questions = export_questions(query.survey)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(export_header(questions))
    for count, row in enumerate(iter_rows(query, questions), start=1):
        writer.writerow(
            [
                ("true" if cell else "false") if isinstance(cell, bool) else _spreadsheet_cell(cell)
                for cell in row
            ]
        )
        if count % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def write_xlsx(query: ExportQuery, destination: IO[bytes]) -> int:
    """Write the export as an XLSX workbook (openpyxl's streaming writer); return the row count."""
    from openpyxl import Workbook

    questions = export_questions(query.survey)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Responses")[:31])
    sheet.append(export_header(questions))
    count = 0
    for row in iter_rows(query, questions):
        cells = [_spreadsheet_cell(cell) for cell in row]
        sheet.append([_XLSX_ILLEGAL.sub("", c) if isinstance(c, str) else c for c in cells])
        count += 1
    book.save(destination)
    return count


def write_parquet(query: ExportQuery, destination: IO[bytes]) -> int:
    """Write the export as Parquet with typed columns; return the row count.

    Scores are integers, yes/no answers booleans, multiple choices lists of option keys
    and the time a timestamp in the organisation's time zone, so DuckDB or pandas read
    the file without guessing.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    questions = export_questions(query.survey)
    schema = _parquet_schema(query.organisation, questions)
    names = schema.names
    count = 0
    with pq.ParquetWriter(destination, schema) as writer:
        batch: list[list[Any]] = []
        for row in iter_rows(query, questions):
            batch.append(row)
            if len(batch) >= PARQUET_ROW_GROUP:
                writer.write_table(_parquet_table(pa, schema, names, batch))
                count += len(batch)
                batch = []
        if batch or count == 0:
            writer.write_table(_parquet_table(pa, schema, names, batch))
            count += len(batch)
    return count


def _parquet_schema(organisation: Organisation, questions: list[Question]) -> Any:
    import pyarrow as pa

    kinds = {
        QuestionType.YES_NO: pa.bool_(),
        QuestionType.MULTI_CHOICE: pa.list_(pa.string()),
        **{kind: pa.int64() for kind in NUMERIC_TYPES},
    }
    fixed = [
        pa.int64(),
        pa.timestamp("us", tz=organisation.time_zone),
        pa.string(),
        pa.int64(),
        pa.string(),
        pa.string(),
        pa.string(),
    ]
    types = [*fixed, *(kinds.get(q.type, pa.string()) for q in questions), pa.string()]
    return pa.schema(list(zip(export_header(questions), types, strict=True)))


def _parquet_table(pa: Any, schema: Any, names: list[str], rows: list[list[Any]]) -> Any:
    columns = list(zip(*rows, strict=True)) if rows else [() for _name in names]
    return pa.table(
        {
            name: pa.array(list(values), type=schema.field(name).type)
            for name, values in zip(names, columns, strict=True)
        },
        schema=schema,
    )


def write_export(query: ExportQuery, file_format: str, destination: IO[bytes]) -> None:
    """Write the export in ``file_format`` to an open binary file."""
    query.check()
    if file_format == "csv":
        for chunk in iter_csv(query):
            destination.write(chunk)
    elif file_format == "xlsx":
        write_xlsx(query, destination)
    elif file_format == "parquet":
        write_parquet(query, destination)
    else:
        raise InvalidInput.from_pairs(
            _("Unknown export format."),
            [("format", _("Choose one of: %s.") % ", ".join(EXPORT_FORMATS))],
        )


def stream_export(query: ExportQuery, file_format: str) -> Iterator[bytes]:
    """Yield the export in pieces for an HTTP response.

    CSV streams as it is read. XLSX and Parquet are zip and columnar files that are only
    complete at the end, so they are built in a spooled temporary file first (in memory
    up to 8 MB, on disk past that) and then sent.
    """
    query.check()
    if file_format == "csv":
        yield from iter_csv(query)
        return
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        write_export(query, file_format, spool)
        spool.seek(0)
        while chunk := spool.read(256 * 1024):
            yield chunk


def export_filename(query: ExportQuery, file_format: str) -> str:
    """Return a file name saying what the export holds."""
    return f"{query.organisation.slug}-survey-{query.survey.pk}-responses.{file_format}"


def record_export(
    query: ExportQuery,
    file_format: str,
    *,
    actor: AbstractBaseUser | None,
    via: str,
    **detail: object,
) -> None:
    """Write the audit event of an export: responses leaving the product is a privileged act."""
    record_audit(
        query.organisation,
        actor,
        "responses.export",
        query.survey.name,
        survey_id=query.survey.pk,
        format=file_format,
        via=via,
        date_from=query.date_from.isoformat() if query.date_from else None,
        date_to=query.date_to.isoformat() if query.date_to else None,
        unit_id=query.unit.pk if query.unit else None,
        channel=query.channel or None,
        **detail,
    )


@dataclass(frozen=True)
class ExportDownload:
    """An export ready to send: its pieces (produced as they are sent), name, type and size."""

    chunks: Iterator[bytes]
    filename: str
    content_type: str
    rows: int


def start_export(
    query: ExportQuery,
    file_format: str,
    *,
    actor: AbstractBaseUser | None,
    via: str,
    **detail: object,
) -> ExportDownload:
    """Check the filters, write the audit event and return the export to stream.

    The audit event is written before the first byte leaves, so an export cut short by
    the client is still on record.
    """
    query.check()
    if file_format not in EXPORT_FORMATS:
        choices = ", ".join(EXPORT_FORMATS)
        raise InvalidInput.from_pairs(
            _("Unknown export format."), [("format", _("Choose one of: %s.") % choices)]
        )
    rows = responses_for_export(query).count()
    record_export(query, file_format, actor=actor, via=via, rows=rows, **detail)
    return ExportDownload(
        chunks=stream_export(query, file_format),
        filename=export_filename(query, file_format),
        content_type=EXPORT_FORMATS[file_format],
        rows=rows,
    )
