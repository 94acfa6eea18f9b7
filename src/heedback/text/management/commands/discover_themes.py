"""``heedback discover-themes --org SLUG``: find an organisation's themes now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heedback.orgs.models import Organisation
from heedback.text import services
from heedback.text.choices import Representation, ThemeStatus


class Command(BaseCommand):
    help = (
        "Cluster an organisation's sentences into themes (keeping the curated ones), then "
        "assign every text. Uses sentence embeddings when the extra is installed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", required=True)
        parser.add_argument("--representation", choices=Representation.values, default=None)

    def handle(self, *args: Any, org: str, representation: str | None, **options) -> None:
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation has the slug {org!r}.")
        space = services.discover_themes(organisation, representation=representation)
        if space is None:
            raise CommandError("Too few analysed English comments to discover themes.")
        services.assign_pending_themes(time_budget=0)
        themes = space.themes.filter(status=ThemeStatus.ACTIVE)
        self.stdout.write(f"{themes.count()} themes ({space.representation}):")
        for theme in themes.order_by("-size"):
            self.stdout.write(f"  {theme.name:<40} {theme.size:>6} sentences in the sample")
