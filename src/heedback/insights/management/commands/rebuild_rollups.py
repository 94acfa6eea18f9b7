"""``heedback rebuild-rollups``: recompute the rollups from the responses, with a progress bar."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heedback.insights.services import rebuild_rollups
from heedback.orgs.models import Organisation

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Recompute the metric rollups from the responses, for one organisation or all. "
        "Safe while responses arrive and while workers run; figures stay exact throughout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="Only this organisation.")

    def handle(self, *args: Any, org: str | None, **options: Any) -> None:
        organisations = Organisation.objects.order_by("pk")
        if org is not None:
            organisations = organisations.filter(slug=org)
            if not organisations.exists():
                raise CommandError(f"No organisation has the slug {org!r}.")
        started = time.monotonic()
        counted = 0
        for organisation in organisations:
            self._slug = organisation.slug
            counted += rebuild_rollups(organisation, progress=self._progress)
            self.stderr.write("", style_func=_plain)
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Rebuilt the rollups of {organisations.count()} organisation(s) from "
            f"{counted:,} responses in {seconds:.1f} s."
        )

    def _progress(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stderr.write(
            f"\r{self._slug} [{bar}] {done:,}/{total:,}", ending="", style_func=_plain
        )
        self.stderr.flush()


def _plain(text: str) -> str:
    return text
