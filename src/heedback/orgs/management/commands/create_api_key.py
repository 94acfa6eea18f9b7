"""``heedback create-api-key --org SLUG --name NAME [--survey ID]``: prints the key last."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heedback.core.errors import ServiceError
from heedback.orgs import services
from heedback.orgs.choices import ApiKeyRole
from heedback.orgs.models import ApiKey, Organisation


class Command(BaseCommand):
    help = "Create an API key for an organisation and print it (it is shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument("--name", required=True, help="What the key is for.")
        parser.add_argument("--role", default=ApiKeyRole.ADMIN, choices=ApiKeyRole.values)
        parser.add_argument(
            "--survey", type=int, help="Limit the key to this survey (submit to and read it only)."
        )

    def handle(self, *args, org: str, name: str, role: str, survey: int | None, **options) -> None:
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"--org: no organisation with slug {org!r}")
        scope = None
        if survey is not None:
            model = ApiKey._meta.get_field("survey").related_model
            scope = model.objects.filter(organisation=organisation, pk=survey).first()
            if scope is None:
                raise CommandError(f"--survey: no survey {survey} in {organisation.slug}")
        try:
            created = services.create_api_key(organisation, name=name, role=role, survey=scope)
        except ServiceError as error:
            details = "; ".join(
                f"{field}: {', '.join(messages)}" for field, messages in error.errors.items()
            )
            raise CommandError(f"{error.message} {details}".strip()) from error
        self.stdout.write(
            f"API key {created.api_key.name!r} for {organisation.slug} ({role}"
            f"{f', survey {survey} only' if scope is not None else ''}); "
            "it is shown only once:"
        )
        self.stdout.write(created.secret)
