"""Django settings for cuakhau.

Every deployment knob is a ``CUAKHAU_*`` environment variable read through :mod:`cuakhau.env`;
README.md lists them all. The defaults give the zero-set-up demo: SQLite under ``var/``, DEBUG off.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from cuakhau.env import (
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_share,
    env_str,
    persistent_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CUAKHAU_VAR_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("CUAKHAU_DEBUG", False)
SECRET_KEY = env_secret("CUAKHAU_SECRET_KEY") or persistent_secret_key(VAR_DIR)
ALLOWED_HOSTS = env_list("CUAKHAU_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CUAKHAU_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "cuakhau",
    "accounts",
    "audit",
    "gates",
    "shipments",
    "notifications",
    "clearance",
    "flow",
    "fees",
    "tradestats",
    "whatif",
]

# Background jobs (the what-if simulator) through Django's tasks API (the django-tasks backport
# of Django 6's django.tasks), stored in the database; `cuakhau dispatch` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cuakhau.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cuakhau.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A one-time password from the board is changed before anything else.
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    # After the language and the user are known (its 400 page speaks and shows the menu), before
    # any view: NUL, surrogates, control and bidi characters, JSON too deep.
    "cuakhau.inputguard.InputGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes must come last: it turns a lockout raised during authentication into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cuakhau.urls"
WSGI_APPLICATION = "cuakhau.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cuakhau.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("CUAKHAU_DATABASE_URL", f"sqlite:///{VAR_DIR / 'cuakhau.sqlite3'}"),
        conn_max_age=env_int("CUAKHAU_DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer writes; IMMEDIATE takes the write lock at the
    # start of a transaction so two gunicorn workers never deadlock upgrading a read lock.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "role-home"  # each role's own page (accounts/views.py)
LOGOUT_REDIRECT_URL = "home"

# Login throttling (django-axes): lock a username from one address after repeated failures.
AXES_FAILURE_LIMIT = env_int("CUAKHAU_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("CUAKHAU_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
# Per user and address, per address across users (spraying), per user across addresses, each
# with its own limit: accounts/throttle.py.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
AXES_HANDLER = "accounts.throttle.LoginThrottleHandler"
CUAKHAU_LOGIN_IP_FAILURE_LIMIT = env_int("CUAKHAU_LOGIN_IP_FAILURE_LIMIT", 20, minimum=1)
CUAKHAU_LOGIN_USER_FAILURE_LIMIT = env_int("CUAKHAU_LOGIN_USER_FAILURE_LIMIT", 10, minimum=1)
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "vi"
LANGUAGES = [
    ("vi", _("Vietnamese")),
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "cuakhau" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

# HTTPS is terminated by the reverse proxy in production; these follow it.
_HTTPS = env_bool("CUAKHAU_HTTPS", False)
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = _HTTPS
SECURE_HSTS_SECONDS = 31536000 if _HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
if _HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous caller then gets 401 with WWW-Authenticate, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "cuakhau.api.BoundedPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cuakhau.api.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cuakhau API",
    "DESCRIPTION": (
        "Digital border gate platform: gate register, declarations and a truck's life. "
        'Every 4xx answers {"error": {"code", "message", "fields"}} in the language '
        "asked for by Accept-Language (vi, en, zh-hans)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and its assets come from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TruckStateEnum": "shipments.choices.TruckState",
        "ChannelEnum": "clearance.choices.Channel",
        "CheckKindEnum": "clearance.choices.CheckKind",
        "CheckStatusEnum": "clearance.choices.CheckStatus",
        "BookingStatusEnum": "flow.choices.BookingStatus",
        "EventStatusEnum": "flow.choices.EventStatus",
        "AdmissionStatusEnum": "flow.choices.AdmissionStatus",
        "WithdrawalReasonEnum": "shipments.choices.WithdrawalReason",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"},
    },
    "filters": {"request_id": {"()": "cuakhau.middleware.RequestIdLogFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("CUAKHAU_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Domain settings.
CUAKHAU_DEMO_PASSWORD = env_str("CUAKHAU_DEMO_PASSWORD", "cuakhau-demo")
#: Largest document a declarant or officer may attach to a declaration, in MB.
CUAKHAU_MAX_DOCUMENT_MB = env_int("CUAKHAU_MAX_DOCUMENT_MB", 10, minimum=1)
#: Flow control: how far ahead slots are booked, the shares of each hour kept for the green
#: lane and for walk-ins, when a late truck loses its slot, and the rules for changing one.
CUAKHAU_BOOKING_DAYS_AHEAD = env_int("CUAKHAU_BOOKING_DAYS_AHEAD", 7, minimum=1)
CUAKHAU_GREEN_LANE_SHARE = env_share("CUAKHAU_GREEN_LANE_SHARE", "0.3")
CUAKHAU_WALKIN_SHARE = env_share("CUAKHAU_WALKIN_SHARE", "0.1")
CUAKHAU_NO_SHOW_MINUTES = env_int("CUAKHAU_NO_SHOW_MINUTES", 60, minimum=1)
CUAKHAU_REBOOK_CUTOFF_MINUTES = env_int("CUAKHAU_REBOOK_CUTOFF_MINUTES", 60, minimum=0)
CUAKHAU_MAX_REBOOKINGS = env_int("CUAKHAU_MAX_REBOOKINGS", 3, minimum=0)
#: Plate cameras: how far a post's timestamp may be from the server clock.
CUAKHAU_DEVICE_MAX_SKEW_SECONDS = env_int("CUAKHAU_DEVICE_MAX_SKEW_SECONDS", 300, minimum=1)
# Content-Security-Policy (django-csp): every script, style, font and image comes from this
# site; no inline script or style (the API docs page alone allows Swagger UI's inline style).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Sessions: staff sign out by themselves after a working day; declarants and drivers stay
# signed in longer on their own phones (accounts/apps.py sets each login's expiry).
CUAKHAU_STAFF_SESSION_HOURS = env_int("CUAKHAU_STAFF_SESSION_HOURS", 12, minimum=1)
CUAKHAU_SESSION_HOURS = env_int("CUAKHAU_SESSION_HOURS", 24 * 7, minimum=1)
SESSION_COOKIE_AGE = CUAKHAU_SESSION_HOURS * 3600

# Input bounds (cuakhau.inputguard and the API's pagination).
CUAKHAU_MAX_JSON_DEPTH = env_int("CUAKHAU_MAX_JSON_DEPTH", 32, minimum=4)
CUAKHAU_API_MAX_LIMIT = env_int("CUAKHAU_API_MAX_LIMIT", 500, minimum=1)
# How late a camera may deliver a read it buffered (e.g. while its link was down).
CUAKHAU_DEVICE_READ_MAX_AGE_HOURS = env_int("CUAKHAU_DEVICE_READ_MAX_AGE_HOURS", 24, minimum=1)
#: Notifications: the SMS gateway (empty: messages to drivers go to the console log).
CUAKHAU_SMS_GATEWAY_URL = env_str("CUAKHAU_SMS_GATEWAY_URL", "")
CUAKHAU_SMS_GATEWAY_TOKEN = env_secret("CUAKHAU_SMS_GATEWAY_TOKEN") or ""
CUAKHAU_DELIVERY_TIMEOUT_SECONDS = env_int("CUAKHAU_DELIVERY_TIMEOUT_SECONDS", 10, minimum=1)
#: Customs selectivity never selects fewer declarations at random than this share.
CUAKHAU_MIN_RANDOM_SELECTION = env_share("CUAKHAU_MIN_RANDOM_SELECTION", "0.02")
#: Fees: the payment callback's clock window; the demo payment provider (on by default, so the
#: demo works without a bank; turn it off in production) and its callback secret (derived from
#: the secret key when empty); how long after gate-out a yard stay is charged automatically
#: (older uncharged stays go to the board's worklist); after how many days a paid trip that has
#: not crossed is listed for reconciliation.
CUAKHAU_PAYMENT_MAX_SKEW_SECONDS = env_int("CUAKHAU_PAYMENT_MAX_SKEW_SECONDS", 300, minimum=1)
# The demo provider "pays" without money: only for the demo (`cuakhau serve --demo` turns it on)
# and tests; `check --deploy` warns when it is on.
CUAKHAU_DEMO_PAYMENTS = env_bool("CUAKHAU_DEMO_PAYMENTS", False)
CUAKHAU_DEMO_PAYMENT_SECRET = env_secret("CUAKHAU_DEMO_PAYMENT_SECRET") or ""
CUAKHAU_YARD_CHARGE_WINDOW_HOURS = env_int("CUAKHAU_YARD_CHARGE_WINDOW_HOURS", 48, minimum=1)
CUAKHAU_PAID_NOT_CROSSED_DAYS = env_int("CUAKHAU_PAID_NOT_CROSSED_DAYS", 7, minimum=1)
