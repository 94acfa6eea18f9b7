"""Settings for the test suite: the real settings, with a fast password hasher.

The database comes from ``HEEDBACK_DATABASE_URL`` like everywhere else, so the same suite
runs on SQLite and on PostgreSQL.
"""

from heedback.settings import *  # noqa: F403
from heedback.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
