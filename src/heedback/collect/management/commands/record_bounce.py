"""``heedback record-bounce EMAIL… --org SLUG``: record addresses that bounce permanently."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heedback.collect.invitations import record_bounce
from heedback.orgs.models import Organisation


class Command(BaseCommand):
    help = (
        "Record permanent delivery failures (from a mail provider's report): each address is "
        "suppressed for the organisation and its sent invitations count as bounced."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("emails", nargs="+", metavar="EMAIL")
        parser.add_argument("--org", required=True, metavar="SLUG", help="The organisation.")

    def handle(self, *args: Any, emails: list[str], org: str, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation has the slug {org!r}.")
        for email in emails:
            count = record_bounce(organisation, email)
            self.stdout.write(f"{email.strip().lower()}: {count} invitation(s) marked bounced")
