"""The ``heedback`` command: Django's management commands with Heedback's settings preset.

Commands are spelt with hyphens on the command line (``heedback seed-demo``) and map to
Django's underscore names (``seed_demo``), so ``heedback migrate``, ``heedback shell`` and
every other Django command work as well.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a Heedback or Django management command."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heedback.settings")
    arguments = list(sys.argv if argv is None else argv)
    if len(arguments) > 1 and not arguments[1].startswith("-"):
        arguments[1] = arguments[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    from heedback.config import ConfigurationError

    try:
        execute_from_command_line(arguments)
    except ConfigurationError as error:
        sys.stderr.write(f"heedback: configuration error: {error}\n")
        raise SystemExit(2) from error


if __name__ == "__main__":
    main()
