"""``heedback export responses …``: write a survey's responses to CSV, XLSX or Parquet.

The export is ``collect.exporting``, the same code as the download page and the API; the
command resolves names to objects, writes to a temporary file beside the output and
renames it, so a half-written export never takes the output's name.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heedback.collect import exporting
from heedback.collect.importing import describe_error
from heedback.core.errors import ServiceError
from heedback.orgs.models import Organisation, Unit
from heedback.surveys.models import Survey

USAGE_ERROR = 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2024-05-31") from error


class Command(BaseCommand):
    help = "Export data to files; see `heedback export responses --help`."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="responses")
        responses = subcommands.add_parser(
            "responses",
            help="Export a survey's responses.",
            description=(
                "Write one row per response: id, submitted_at (ISO, the organisation's time "
                "zone), unit, unit_id, channel, staff, external_id, one column per question, "
                "comment. Filters as on the results page."
            ),
        )
        responses.add_argument("--org", required=True, help="The organisation's slug.")
        responses.add_argument("--survey", required=True, type=int, help="The survey's id.")
        responses.add_argument("--format", required=True, choices=list(exporting.EXPORT_FORMATS))
        responses.add_argument(
            "--from", dest="date_from", type=_date, help="First day (YYYY-MM-DD)."
        )
        responses.add_argument("--to", dest="date_to", type=_date, help="Last day (YYYY-MM-DD).")
        responses.add_argument("--unit", type=int, help="A unit's id: its whole subtree.")
        responses.add_argument("--channel", help="Only this channel (web, email, import, …).")
        responses.add_argument("--output", required=True, type=Path, help="The file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        query = _query(options)
        file_format, output = options["format"], options["output"]
        try:
            query.check()
        except ServiceError as error:
            raise CommandError(describe_error(error), returncode=USAGE_ERROR) from error
        count = exporting.responses_for_export(query).count()
        exporting.record_export(query, file_format, actor=None, via="cli", rows=count)
        directory = output.resolve().parent
        if not directory.is_dir():
            raise CommandError(f"There is no directory {directory}.", returncode=USAGE_ERROR)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{output.name}.")
        try:
            with os.fdopen(handle, "wb") as destination:
                exporting.write_export(query, file_format, destination)
            os.replace(temporary, output)
        finally:
            Path(temporary).unlink(missing_ok=True)
        self.stdout.write(f"Exported {count:,} responses to {output}.")


def _query(options: dict[str, Any]) -> exporting.ExportQuery:
    organisation = Organisation.objects.filter(slug=options["org"]).first()
    if organisation is None:
        raise CommandError(
            f"No organisation has the slug {options['org']!r}.", returncode=USAGE_ERROR
        )
    survey = Survey.objects.for_org(organisation).filter(pk=options["survey"]).first()
    if survey is None:
        raise CommandError(
            f"The organisation {organisation.slug!r} has no survey {options['survey']}.",
            returncode=USAGE_ERROR,
        )
    unit = None
    if options["unit"] is not None:
        unit = Unit.objects.for_org(organisation).filter(pk=options["unit"]).first()
        if unit is None:
            raise CommandError(
                f"The organisation has no unit {options['unit']}.", returncode=USAGE_ERROR
            )
    return exporting.ExportQuery(
        organisation=organisation,
        survey=survey,
        date_from=options["date_from"],
        date_to=options["date_to"],
        unit=unit,
        channel=options["channel"],
    )
