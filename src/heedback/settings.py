"""The one settings module: every value comes from the environment through ``config``.

``HEEDBACK_ENV=production`` switches on what a deployment on the internet needs (secure
cookies, HSTS, a required secret key and host list); the default, ``local``, is what the
two-command quick start runs: embedded SQLite, a generated key, email to files.
"""

from pathlib import Path

from heedback import config

BASE_DIR = Path(__file__).resolve().parent
ENVIRONMENT = config.os.environ.get("HEEDBACK_ENV", "local").strip().lower()
if ENVIRONMENT not in {"local", "production"}:
    raise config.ConfigurationError("HEEDBACK_ENV must be 'local' or 'production'")
IS_PRODUCTION = ENVIRONMENT == "production"

DATA_DIR = config.data_dir()
DEBUG = config.env_bool("HEEDBACK_DEBUG", default=False)
SECRET_KEY = config.secret_key(DATA_DIR, IS_PRODUCTION)

ALLOWED_HOSTS = config.env_list(
    "HEEDBACK_ALLOWED_HOSTS", [] if IS_PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
if IS_PRODUCTION and not ALLOWED_HOSTS:
    raise config.ConfigurationError(
        "HEEDBACK_ALLOWED_HOSTS must name the host names this server answers to"
    )
CSRF_TRUSTED_ORIGINS = config.env_list("HEEDBACK_CSRF_TRUSTED_ORIGINS", [])
BASE_URL = config.os.environ.get("HEEDBACK_BASE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "heedback.orgs",
    "heedback.loop",
    "heedback.notify",
    "heedback.surveys",
    "heedback.customers",
    "heedback.collect",
    "heedback.insights",
    "heedback.text",
    "heedback.continuum",
    "heedback.ops",
    "heedback.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "heedback.core.middleware.ContentSecurityPolicyMiddleware",
    # /api/ takes a short chain from here (core.middleware.API_MIDDLEWARE): no sessions.
    "heedback.core.middleware.ApiMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "heedback.urls"
WSGI_APPLICATION = "heedback.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "heedback.orgs.context_processors.membership",
            ],
        },
    },
]

DATABASES = {"default": config.database(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Failed log-ins allowed per user name and per address in LOGIN_THROTTLE_WINDOW seconds.
LOGIN_THROTTLE_ATTEMPTS = 5
LOGIN_THROTTLE_WINDOW = 15 * 60

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

_email = config.email(DATA_DIR)
EMAIL_BACKEND = _email.backend
EMAIL_FILE_PATH = _email.file_path
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = config.os.environ.get("HEEDBACK_FROM_EMAIL", "Heedback <heedback@localhost>")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Cookies travel only over HTTPS outside debug once deployed; the local quick start
# serves plain HTTP on loopback, where a Secure cookie would make log-in impossible.
_secure = IS_PRODUCTION and not DEBUG
SESSION_COOKIE_SECURE = config.env_bool("HEEDBACK_SECURE_COOKIES", _secure)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = config.env_bool("HEEDBACK_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = config.env_bool("HEEDBACK_HSTS_PRELOAD", False)
    if config.env_bool("HEEDBACK_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

NINJA_PAGINATION_PER_PAGE = 50
# The largest request body read, in bytes: a full batch of 1,000 responses with comments
# fits; a larger body is refused (the API answers 413) before any of it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

CACHES = {"default": config.cache()}
# Networks webhooks may reach although they are private (CIDRs); empty refuses them all.
WEBHOOK_ALLOWED_NETWORKS = config.env_list("HEEDBACK_WEBHOOK_ALLOWED_NETWORKS", [])
# Requests allowed per window, as (requests, seconds); 0 requests switches a limit off.
RATE_LIMITS = {
    "api_key": config.env_limit("HEEDBACK_RATE_LIMIT_API_KEY", (6000, 60)),
    "respond_address": config.env_limit("HEEDBACK_RATE_LIMIT_RESPOND_ADDRESS", (60, 60)),
    "respond_link": config.env_limit("HEEDBACK_RATE_LIMIT_RESPOND_LINK", (600, 60)),
    "invitation_token": config.env_limit("HEEDBACK_RATE_LIMIT_INVITATION_TOKEN", (120, 60)),
    "contact_address": config.env_limit("HEEDBACK_RATE_LIMIT_CONTACT_ADDRESS", (5, 3600)),
    "contact_link": config.env_limit("HEEDBACK_RATE_LIMIT_CONTACT_LINK", (60, 3600)),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"heedback": {"level": "INFO"}},
}
