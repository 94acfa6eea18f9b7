"""``heedback worker``: run background jobs from the database queue (django-tasks)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background job worker (django-tasks database backend)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between polls of an empty queue."
        )

    def handle(self, *args, interval: float, **options) -> None:
        call_command("db_worker", interval=interval)
