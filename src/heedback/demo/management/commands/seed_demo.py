"""``heedback seed-demo``: load the Harbour Hotels demo and print how to log in."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heedback.core.errors import ServiceError
from heedback.demo.seed import DEFAULT_RESPONSES, DEFAULT_SEED, DemoSummary, seed_demo
from heedback.orgs.choices import Role

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Create the demo organisation Harbour Hotels (slug 'demo'): five hotels, their staff, "
        "six surveys and a year of responses. Does nothing if the demo exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--responses",
            type=int,
            default=DEFAULT_RESPONSES,
            help=f"How many responses to create (default {DEFAULT_RESPONSES:,}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed; the same seed gives the same data (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Add the demo even though the database holds other organisations.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            summary = seed_demo(
                responses=options["responses"],
                seed=options["seed"],
                force=options["force"],
                progress=self._progress,
            )
        except ServiceError as error:
            raise CommandError(error.message) from error
        if summary.created:
            self.stderr.write("", style_func=_plain)
            self.stdout.write(
                f'Created the demo organisation "{summary.organisation.name}" '
                f"(slug {summary.organisation.slug}): {len(summary.users)} people, "
                f"{len(summary.surveys)} surveys, {summary.response_count:,} responses "
                f"in {time.monotonic() - started:.1f} s."
            )
        else:
            self.stdout.write(
                f'The demo organisation "{summary.organisation.name}" '
                f"(slug {summary.organisation.slug}) exists already; nothing was changed."
            )
        self._print_logins(summary)

    def _progress(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stderr.write(f"\r[{bar}] {done:,}/{total:,}", ending="", style_func=_plain)
        self.stderr.flush()

    def _print_logins(self, summary: DemoSummary) -> None:
        self.stdout.write(f"Log in as {summary.email} with the password {summary.password}")
        others = [login for login in summary.logins if login.email != summary.email]
        if others:
            self.stdout.write("Other demo logins, same password:")
            for login in others:
                where = f", {login.unit}" if login.unit else ""
                self.stdout.write(
                    f"  {login.email:<36} {login.name} ({Role(login.role).label}{where})"
                )


def _plain(text: str) -> str:
    return text
