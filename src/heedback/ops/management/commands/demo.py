"""``heedback demo``: migrate, seed the demo organisation if the database is empty, then run
the web server and the worker together until one Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from heedback.ops.management.commands.serve import granian_arguments


class Command(BaseCommand):
    help = "Migrate, load demo data into an empty database, and run the server and the worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--responses", type=int, default=20000)

    def handle(self, *args, host: str, port: int, responses: int, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        Organisation = apps.get_model("orgs", "Organisation")
        if not Organisation.objects.exists():
            call_command("seed_demo", responses=responses)
        else:
            self.stdout.write(
                "The database already holds data; not seeding. "
                "Demo login: demo@heedback.local / demo-heedback"
            )
        call_command("collectstatic", interactive=False, verbosity=0)
        children = [
            subprocess.Popen(granian_arguments(host, port, workers=1, threads=4, backpressure=32)),
            subprocess.Popen([sys.executable, "-m", "heedback.cli", "worker"]),
        ]
        self.stdout.write(
            self.style.SUCCESS(f"Heedback demo at http://{host}:{port}/ — Ctrl-C stops it.")
        )
        self.stdout.flush()
        self._supervise(children)

    def _supervise(self, children: list[subprocess.Popen]) -> None:
        """Wait until a child exits or Ctrl-C/SIGTERM arrives, then stop every child."""
        stopping = False

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("Stopped.")
