"""Settings for the test suite: the real settings, with a fast password hasher.

The database comes from ``HEEDBACK_DATABASE_URL`` like everywhere else, so the same suite
runs on SQLite and on PostgreSQL.
"""

import os

from heedback.settings import *  # noqa: F403
from heedback.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Each pytest-xdist worker gets a data directory of its own: the workers are processes on
# one machine, and a stamp one moves (``core.kept``) would drop the copies another's test
# counts on keeping.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _XDIST_WORKER:
    DATA_DIR = DATA_DIR / f"pytest-{_XDIST_WORKER}"  # noqa: F405
    DATA_DIR.mkdir(exist_ok=True)
