"""``heedback createadmin``: an operator who owns an organisation (created if needed)."""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from heedback.core.errors import ServiceError
from heedback.onboarding import create_organisation
from heedback.orgs import services
from heedback.orgs.choices import Role
from heedback.orgs.models import Organisation


class Command(BaseCommand):
    help = "Create an operator (Django admin access) who owns an organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument(
            "--org", required=True, help="The organisation's slug (created if missing)."
        )
        parser.add_argument(
            "--org-name", default="", help="Name of the organisation if it is created."
        )
        parser.add_argument("--password", default=None, help="Read from a prompt when not given.")

    def handle(
        self, *args, email: str, org: str, org_name: str, password: str | None, **options
    ) -> None:
        if password is None:
            password = getpass.getpass("Password: ")
        if len(password) < 8:
            raise CommandError("--password: use at least 8 characters")
        try:
            with transaction.atomic():
                organisation = Organisation.objects.filter(slug=org).first()
                if organisation is None:
                    organisation = create_organisation(name=org_name or org, slug=org)
                user = services.create_user(email=email, password=password, is_superuser=True)
                services.add_member(organisation, user, role=Role.OWNER)
        except ServiceError as error:
            details = "; ".join(
                f"{field}: {', '.join(messages)}" for field, messages in error.errors.items()
            )
            raise CommandError(f"{error.message} {details}".strip()) from error
        self.stdout.write(self.style.SUCCESS(f"{email} owns {organisation.slug} and can log in."))
