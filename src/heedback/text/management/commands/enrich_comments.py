"""``heedback enrich-comments``: read a backlog of comments now, with a progress bar."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heedback.orgs.models import Organisation
from heedback.text import services

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Read every comment not read yet: language, sentiment, urgency, search index. "
        "Safe to stop at any moment and to run beside the worker; a rerun goes on where it "
        "stopped. Then assign themes where they exist."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="Only this organisation's comments.")
        parser.add_argument(
            "--redo",
            action="store_true",
            help="With --org: forget its analyses first and read everything again.",
        )
        parser.add_argument("--batch-size", type=int, default=services.BATCH_SIZE)

    def handle(self, *args: Any, org: str | None, redo: bool, batch_size: int, **options) -> None:
        if redo and not org:
            raise CommandError("--redo needs --org SLUG.")
        if org:
            organisation = Organisation.objects.filter(slug=org).first()
            if organisation is None:
                raise CommandError(f"No organisation has the slug {org!r}.")
            passed = services.enrich_organisation(
                organisation, redo=redo, batch_size=batch_size, progress=self._progress
            )
        else:
            passed = 0
            while moved := services.enrich_pending(
                batch_size=batch_size, time_budget=0, progress=self._progress
            ):
                passed += moved
        self.stderr.write("", style_func=_plain)
        assigned = services.assign_pending_themes(time_budget=0)
        self.stdout.write(
            f"Read the texts of {passed:,} responses; assigned themes to {assigned:,} texts."
        )

    def _progress(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stderr.write(f"\r[{bar}] {done:,}/{total:,}", ending="", style_func=_plain)
        self.stderr.flush()


def _plain(text: str) -> str:
    return text
