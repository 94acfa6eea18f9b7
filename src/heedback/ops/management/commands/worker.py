"""``heedback worker``: run queued jobs (django-tasks' database backend) and the periodic jobs.

Apps declare periodic jobs on their AppConfig as ``periodic_jobs = ["module.function", …]``:
functions taking no argument that catch up on work from a saved watermark (rollups, text
enrichment, outbox delivery). Each must be safe to run in several workers at once and to
stop at any moment, because a worker can be killed between any two statements.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger("heedback.worker")


def periodic_jobs() -> list[Callable[[], object]]:
    """Return every periodic job that the installed apps declare, in app order."""
    jobs = []
    for config in apps.get_app_configs():
        for path in getattr(config, "periodic_jobs", ()):
            jobs.append(import_string(path))
    return jobs


def run_periodic_jobs(jobs: list[Callable[[], object]]) -> None:
    """Run each job once; a failing job is logged and never stops the others."""
    for job in jobs:
        close_old_connections()
        try:
            job()
        except Exception:
            logger.exception("periodic job %s failed", getattr(job, "__qualname__", job))
        finally:
            close_old_connections()


class Command(BaseCommand):
    help = "Run the background worker: queued jobs and the apps' periodic jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between polls of an empty queue."
        )
        parser.add_argument(
            "--periodic-interval",
            type=float,
            default=2.0,
            help="Seconds between two rounds of the periodic jobs.",
        )
        parser.add_argument(
            "--once", action="store_true", help="Run the periodic jobs once and exit."
        )

    def handle(
        self, *args, interval: float, periodic_interval: float, once: bool, **options
    ) -> None:
        jobs = periodic_jobs()
        if once:
            run_periodic_jobs(jobs)
            return
        if jobs:
            thread = threading.Thread(
                target=self._loop, args=(jobs, periodic_interval), name="periodic-jobs", daemon=True
            )
            thread.start()
        call_command("db_worker", interval=interval)

    def _loop(self, jobs: list[Callable[[], object]], pause: float) -> None:
        while True:
            run_periodic_jobs(jobs)
            time.sleep(pause)
