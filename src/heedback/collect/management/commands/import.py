"""``heedback import responses|interactions FILE …``: import from CSV, XLSX or JSON Lines.

The command only parses arguments, draws the progress bar and prints the report; the
import itself is ``collect.importing.run_import`` (responses) or
``collect.interaction_import.run_interaction_import`` (interactions), the same code the
web pages run, both on the one file machinery of ``importing.run_rows``.
Exit codes: 0 every row imported (or would be), 1 invalid rows or a refused import,
2 a usage error (unknown organisation or survey, unreadable file, a mapping that does not
fit the file).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heedback.collect import importing, interaction_import
from heedback.core.errors import Conflict, ServiceError
from heedback.orgs.models import Organisation
from heedback.surveys.models import Survey

BAR_WIDTH = 30
USAGE_ERROR = 2
REFUSED = 1


class Command(BaseCommand):
    help = (
        "Import data from files; see `heedback import responses --help` and "
        "`heedback import interactions --help`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{responses,interactions}"
        )
        responses = subcommands.add_parser(
            "responses",
            help="Import responses and reviews from a CSV, XLSX or JSON Lines file.",
            description=(
                "Import responses from FILE into a survey, mapping its columns with a JSON "
                "mapping. Re-importing a file creates no duplicates. Without --skip-invalid, "
                "nothing is written if any row is invalid."
            ),
        )
        responses.add_argument("file", type=Path, help="A .csv, .tsv, .xlsx or .jsonl file.")
        responses.add_argument("--org", required=True, help="The organisation's slug.")
        responses.add_argument("--survey", required=True, type=int, help="The survey's id.")
        responses.add_argument(
            "--mapping", required=True, type=Path, help="The column mapping (a JSON file)."
        )
        responses.add_argument(
            "--format", choices=importing.FORMATS, help="Read as this format, whatever the name."
        )
        responses.add_argument(
            "--dry-run", action="store_true", help="Check every row and report; write nothing."
        )
        responses.add_argument(
            "--create-units",
            action="store_true",
            help="Create units named in the file that do not exist, under the root unit.",
        )
        responses.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the good rows; write the bad ones, with a reason, next to FILE.",
        )
        _add_interactions_parser(subcommands)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "interactions":
            self._import_interactions(options)
            return
        survey = _survey(options["org"], options["survey"])
        request = importing.ImportRequest(
            survey=survey,
            path=options["file"],
            mapping=_mapping(options["mapping"]),
            options=importing.ImportOptions(
                dry_run=options["dry_run"],
                create_units=options["create_units"],
                skip_invalid=options["skip_invalid"],
            ),
            file_format=options["format"],
            bad_rows_path=_bad_rows_path(options["file"]) if options["skip_invalid"] else None,
        )
        self._run(lambda listener: importing.run_import(request, listener))

    def _import_interactions(self, options: dict[str, Any]) -> None:
        organisation = _organisation(options["org"])
        try:
            document = importing.read_mapping_document(options["mapping"])
            mapping = interaction_import.parse_mapping(document)
        except ServiceError as error:
            raise CommandError(importing.describe_error(error), returncode=USAGE_ERROR) from error
        request = interaction_import.InteractionImportRequest(
            organisation=organisation,
            path=options["file"],
            mapping=mapping,
            options=importing.ImportOptions(
                dry_run=options["dry_run"], skip_invalid=options["skip_invalid"]
            ),
            file_format=options["format"],
            bad_rows_path=_bad_rows_path(options["file"]) if options["skip_invalid"] else None,
        )
        self._run(lambda listener: interaction_import.run_interaction_import(request, listener))

    def _run(self, run_import: Callable[[ProgressBar], importing.ImportReport]) -> None:
        """Run an import with the progress bar; print its report and exit as it went."""
        listener = ProgressBar(self)
        try:
            report = run_import(listener)
        except Conflict as error:
            listener.clear()
            raise CommandError(importing.describe_error(error), returncode=REFUSED) from error
        except ServiceError as error:
            listener.clear()
            raise CommandError(importing.describe_error(error), returncode=USAGE_ERROR) from error
        listener.clear()
        self._print_report(report)
        if not report.is_clean:
            raise CommandError(_failure(report), returncode=REFUSED)

    def _print_report(self, report: importing.ImportReport) -> None:
        counts = (
            f"{report.created:,} {'to create' if report.dry_run else 'created'}, "
            f"{report.duplicates:,} duplicates, {report.invalid:,} invalid"
        )
        if report.dry_run:
            verb = "Checked"
        elif report.written:
            verb = "Imported"
        else:
            verb = "Checked"
        self.stdout.write(f"{verb} {report.rows:,} rows in {report.seconds:.1f} s: {counts}.")
        if report.units_planned:
            self.stdout.write("Units to create: " + ", ".join(report.units_planned))
        if report.units_created:
            self.stdout.write("Units created: " + ", ".join(report.units_created))
        if report.bad_rows_path is not None:
            self.stdout.write(f"Bad rows, with the reason of each: {report.bad_rows_path}")


class ProgressBar(importing.ImportListener):
    """Draw ``\\r[####....] n/N`` on stderr and print each bad row on stdout."""

    def __init__(self, command: BaseCommand) -> None:
        self.command = command
        self.drawn = False

    def progress(self, progress: importing.ImportProgress) -> None:
        if progress.total:
            fraction = progress.rows / progress.total
            count = f"{progress.rows:,}/{progress.total:,}"
        else:
            fraction = progress.fraction
            count = f"{progress.rows:,} rows, {fraction:.0%} of the file"
        filled = min(BAR_WIDTH, int(BAR_WIDTH * fraction))
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.command.stderr.write(
            f"\r{progress.phase:<8} [{bar}] {count}", ending="", style_func=_plain
        )
        self.command.stderr.flush()
        self.drawn = True

    def problem(self, problem: importing.RowProblem) -> None:
        self.clear()
        self.command.stdout.write(f"line {problem.line}: {problem.field}: {problem.reason}")

    def duplicate(self, notice: importing.RowProblem) -> None:
        self.clear()
        self.command.stdout.write(
            f"line {notice.line}: {notice.field}: duplicate, not imported again: {notice.reason}"
        )

    def clear(self) -> None:
        """End the bar's line so that what follows starts on a line of its own."""
        if self.drawn:
            self.command.stderr.write("", style_func=_plain)
            self.drawn = False


def _add_interactions_parser(subcommands: Any) -> None:
    interactions = subcommands.add_parser(
        "interactions",
        help="Import interactions (visits, orders, stays, service calls) from a file.",
        description=(
            "Import interactions from FILE, mapping its columns with a JSON mapping "
            '(e.g. {"external_id": "order", "customer": "client", "occurred_at": "date", '
            '"kind": "visit", "unit": "shop", "staff": "served_by", "value": "amount"}). '
            "Idempotent by external id: re-importing a file creates no duplicates. Without "
            "--skip-invalid, nothing is written if any row is invalid."
        ),
    )
    interactions.add_argument("file", type=Path, help="A .csv, .tsv, .xlsx or .jsonl file.")
    interactions.add_argument("--org", required=True, help="The organisation's slug.")
    interactions.add_argument(
        "--mapping", required=True, type=Path, help="The column mapping (a JSON file)."
    )
    interactions.add_argument(
        "--format", choices=importing.FORMATS, help="Read as this format, whatever the name."
    )
    interactions.add_argument(
        "--dry-run",
        action="store_true",
        help="Check every row and report (duplicate ids, impossible dates, unknown "
        "customers, bad values); write nothing.",
    )
    interactions.add_argument(
        "--skip-invalid",
        action="store_true",
        help="Import the good rows; write the bad ones, with a reason, next to FILE.",
    )


def _organisation(slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise CommandError(f"No organisation has the slug {slug!r}.", returncode=USAGE_ERROR)
    return organisation


def _survey(slug: str, survey_id: int) -> Survey:
    organisation = _organisation(slug)
    survey = (
        Survey.objects.for_org(organisation)
        .select_related("organisation", "published_version")
        .filter(pk=survey_id)
        .first()
    )
    if survey is None:
        raise CommandError(
            f"The organisation {slug!r} has no survey {survey_id}.", returncode=USAGE_ERROR
        )
    return survey


def _mapping(path: Path) -> importing.ColumnMapping:
    try:
        return importing.load_mapping(path)
    except ServiceError as error:
        raise CommandError(importing.describe_error(error), returncode=USAGE_ERROR) from error


def _bad_rows_path(file: Path) -> Path:
    path = file.with_name(f"{file.stem}.bad-rows.csv")
    if not os.access(path.parent, os.W_OK):
        raise CommandError(
            f"Cannot write the bad rows next to the file: {path.parent} is read-only.",
            returncode=USAGE_ERROR,
        )
    return path


def _failure(report: importing.ImportReport) -> str:
    if report.refused:
        good = report.created + report.duplicates
        return (
            f"Nothing was imported: {report.invalid:,} of {report.rows:,} rows are invalid. "
            f"Fix them, or give --skip-invalid to import the {good:,} good rows."
        )
    if report.dry_run:
        return f"{report.invalid:,} of {report.rows:,} rows are invalid."
    return f"{report.invalid:,} invalid rows were skipped."


def _plain(text: str) -> str:
    return text
