"""``heedback recompute-lapse``: judge every customer again from their interactions."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heedback.customers.services import recompute_lapse
from heedback.orgs.models import Organisation

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Recompute every customer's rhythm and lapse status from their interactions (the "
        "stored status is derived; this rebuilds it). All organisations unless one is named."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organisation", metavar="SLUG", help="Only this organisation (its slug)."
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=5000,
            help="Customers judged per transaction (default 5,000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisations = Organisation.objects.order_by("slug")
        if options["organisation"]:
            organisations = organisations.filter(slug=options["organisation"])
            if not organisations.exists():
                raise CommandError(f"No organisation has the slug {options['organisation']!r}.")
        for organisation in organisations:
            started = time.monotonic()
            judged = recompute_lapse(
                organisation, chunk_size=options["chunk_size"], progress=self._progress
            )
            self.stderr.write("", style_func=_plain)
            self.stdout.write(
                f"Judged {judged:,} customers of {organisation.name} "
                f"in {time.monotonic() - started:.1f} s."
            )

    def _progress(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stderr.write(f"\r[{bar}] {done:,}/{total:,}", ending="", style_func=_plain)
        self.stderr.flush()


def _plain(text: str) -> str:
    return text
