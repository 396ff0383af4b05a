"""Django settings, read from FANGKONG_* environment variables.

Development defaults make `make demo` work on a fresh machine; production mode
(FANGKONG_ENV=production) refuses every demo secret so they can never ship.
"""

import base64
import binascii
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent
ENV = os.environ.get("FANGKONG_ENV", "development")
PRODUCTION = ENV == "production"
DATA_DIR = Path(os.environ.get("FANGKONG_DATA_DIR", BASE_DIR.parent / "var")).resolve()

# Demo values: public on purpose, refused in production below.
DEMO_SECRET_KEY = "fangkong-demo-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
DEMO_FIELD_KEY = "ZmFuZ2tvbmctZGVtby1maWVsZC1rZXktMzItYnl0ZXM="  # 32 bytes, base64
DEMO_BLIND_INDEX_KEY = "ZmFuZ2tvbmctZGVtby1ibGluZC1pbmRleC1rZXktMzI="

SECRET_KEY = os.environ.get("FANGKONG_SECRET_KEY", DEMO_SECRET_KEY)
FIELD_ENCRYPTION_KEY = os.environ.get("FANGKONG_FIELD_KEY", DEMO_FIELD_KEY)
BLIND_INDEX_KEY = os.environ.get("FANGKONG_BLIND_INDEX_KEY", DEMO_BLIND_INDEX_KEY)
# Signs sampling codes and pass QR codes; separate so it can be rotated on its own.
SIGNING_KEY = os.environ.get("FANGKONG_SIGNING_KEY", SECRET_KEY)

MIN_KEY_BYTES = 32


def _key_bytes(value: str, *, encoded: bool) -> int:
    """How many bytes of key `value` holds; 0 when a base64 key does not decode."""
    if not encoded:
        return len(value.encode())
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return 0


def production_key_problems(
    *, secret_key: str, field_key: str, blind_index_key: str, signing_key: str
) -> list[str]:
    """What production refuses in these keys: demo values, short keys, one key for two uses.

    The field key encrypts and the blind-index key hashes; were they one key, a leak of
    either would give away both, so they must differ.
    """
    keys = {
        "FANGKONG_SECRET_KEY": (secret_key, DEMO_SECRET_KEY, False),
        "FANGKONG_FIELD_KEY": (field_key, DEMO_FIELD_KEY, True),
        "FANGKONG_BLIND_INDEX_KEY": (blind_index_key, DEMO_BLIND_INDEX_KEY, True),
        "FANGKONG_SIGNING_KEY": (signing_key, DEMO_SECRET_KEY, False),
    }
    problems = []
    demo = [name for name, (value, demo_value, _) in keys.items() if value == demo_value]
    if demo:
        problems.append("refuses the demo keys; set " + ", ".join(demo))
    short = [
        name
        for name, (value, _, encoded) in keys.items()
        if name not in demo and _key_bytes(value, encoded=encoded) < MIN_KEY_BYTES
    ]
    if short:
        problems.append(
            f"refuses keys shorter than {MIN_KEY_BYTES} bytes (base64 for the field and "
            "blind-index keys): " + ", ".join(short)
        )
    if field_key == blind_index_key and "FANGKONG_FIELD_KEY" not in demo:
        problems.append("refuses FANGKONG_FIELD_KEY equal to FANGKONG_BLIND_INDEX_KEY")
    return problems


if PRODUCTION:
    _problems = production_key_problems(
        secret_key=SECRET_KEY,
        field_key=FIELD_ENCRYPTION_KEY,
        blind_index_key=BLIND_INDEX_KEY,
        signing_key=SIGNING_KEY,
    )
    if _problems:
        raise ImproperlyConfigured("FANGKONG_ENV=production " + "; ".join(_problems))

DEBUG = os.environ.get("FANGKONG_DEBUG", "0" if PRODUCTION else "1") == "1"
ALLOWED_HOSTS = os.environ.get(
    "FANGKONG_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
).split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("FANGKONG_CSRF_ORIGINS", "").split(",") if o]
# Proxies (addresses or CIDRs) whose X-Forwarded-For is believed; none: REMOTE_ADDR is the client.
TRUSTED_PROXIES = os.environ.get("FANGKONG_TRUSTED_PROXIES", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    # Only for its static files: /api/docs then serves Swagger UI from here, not from a CDN
    # (the district's machines are offline, and the CSP refuses other origins anyway).
    "ninja",
    "fangkong.core",
    "fangkong.geo",
    "fangkong.accounts",
    "fangkong.people",
    "fangkong.work",
    "fangkong.testing",
    "fangkong.lab",
    "fangkong.zones",
    "fangkong.governance",
    "fangkong.tracing",
    "fangkong.services",
    "fangkong.command",
    # Last: the commands that wire every app together (demo, seed, serve, worker…).
    "fangkong.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fangkong.core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "fangkong.core.middleware.RuleViolationMiddleware",
    "fangkong.core.middleware.TextInputMiddleware",
    "fangkong.core.middleware.DatabaseUnavailableMiddleware",
]

# Scripts only from our own files: a stored name or note that slipped past escaping cannot run.
# Page-specific <style> blocks carry the request's nonce; bars' widths (computed on the
# server) are the one inline style attribute, hence style-src-attr.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

ROOT_URLCONF = "fangkong.urls"
WSGI_APPLICATION = "fangkong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("FANGKONG_DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        if config["ENGINE"] == "django.db.backends.postgresql":
            # Its health check needs no round trip (see fangkong/core/db/postgresql).
            config["ENGINE"] = "fangkong.core.db.postgresql"
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "fangkong.core.db.sqlite",
        "NAME": DATA_DIR / "fangkong.sqlite3",
        # Keep each worker thread's connection: opening one and running the PRAGMAs below
        # cost 2 ms per request (a quarter of a 20-sample batch), and a fresh connection
        # starts with a cold page cache.
        "CONN_MAX_AGE": 600,
        "OPTIONS": {
            # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
            # BEGIN so concurrent writers queue on busy_timeout instead of failing mid-way.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                # Before WAL: a new database takes this page size when its file is made (an
                # existing one keeps its own). 8 KiB pages made a million-scan import a
                # quarter faster than 4 KiB: a random insert into a large index touches fewer.
                "PRAGMA page_size=8192;"
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                # A bulk import lets the log grow to a few hundred MB between checkpoints
                # (core.db.sqlite.checkpoints); once it starts again, its file shrinks back.
                "PRAGMA journal_size_limit=67108864;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA temp_store=MEMORY;"
                "PRAGMA cache_size=-64000;"
            ),
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["fangkong.accounts.backends.LockoutBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Lockout after repeated failures: counts per account, reset on success.
LOGIN_MAX_FAILURES = int(os.environ.get("FANGKONG_LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("FANGKONG_LOGIN_LOCKOUT_MINUTES", "15"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("FANGKONG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = DATA_DIR / "media"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on a missing root

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION

# Personal data never goes to logs: we log record ids, never document or phone numbers.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FANGKONG_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50


def _num(name: str, default: float) -> float:
    value = os.environ.get(name)
    return type(default)(value) if value is not None else default


# Mass-testing sizing and time limits (PROTOCOL_FACTS.md); every rate is a setting because
# cities differed. Those marked "local" are one practice, not a national rule.
FANGKONG_PEOPLE_PER_SITE_MIN = _num("FANGKONG_PEOPLE_PER_SITE_MIN", 2000)
FANGKONG_PEOPLE_PER_SITE_MAX = _num("FANGKONG_PEOPLE_PER_SITE_MAX", 3000)
FANGKONG_PEOPLE_PER_TABLE_MIN = _num("FANGKONG_PEOPLE_PER_TABLE_MIN", 600)
FANGKONG_PEOPLE_PER_TABLE_MAX = _num("FANGKONG_PEOPLE_PER_TABLE_MAX", 800)
FANGKONG_PEOPLE_PER_SAMPLER = _num("FANGKONG_PEOPLE_PER_SAMPLER", 360)
FANGKONG_SAMPLER_RATE_PER_HOUR = _num("FANGKONG_SAMPLER_RATE_PER_HOUR", 60)  # Zhengzhou, Jan 2022
FANGKONG_SWAB_POINTS_PER_ENV_TUBE = _num("FANGKONG_SWAB_POINTS_PER_ENV_TUBE", 10)
FANGKONG_SAMPLING_TARGET_HOURS = _num("FANGKONG_SAMPLING_TARGET_HOURS", 6)
FANGKONG_COMPLETION_TARGET_HOURS = _num("FANGKONG_COMPLETION_TARGET_HOURS", 24)
# A retest round's window: the people ordered are re-sampled at home within these hours.
FANGKONG_RETEST_DEADLINE_HOURS = _num("FANGKONG_RETEST_DEADLINE_HOURS", 12)
FANGKONG_TRANSPORT_HOURS = _num("FANGKONG_TRANSPORT_HOURS", 2)  # local
FANGKONG_LAB_TURNAROUND_HOURS = _num("FANGKONG_LAB_TURNAROUND_HOURS", 6)  # local
FANGKONG_LAB_TESTS_PER_HOUR = _num("FANGKONG_LAB_TESTS_PER_HOUR", 0)  # 0: capacity unknown
FANGKONG_PLANNING_PREVALENCE = _num("FANGKONG_PLANNING_PREVALENCE", 0.0)
FANGKONG_TUBE_RECEIPT_HOURS = _num("FANGKONG_TUBE_RECEIPT_HOURS", 4)  # local
FANGKONG_RESULT_HOURS_SINGLE = _num("FANGKONG_RESULT_HOURS_SINGLE", 6)  # local
FANGKONG_RESULT_HOURS_POOLED = _num("FANGKONG_RESULT_HOURS_POOLED", 24)  # local
# Borderline results: the district CDC's review is due this many hours after the result (local).
FANGKONG_RESULT_REVIEW_HOURS = _num("FANGKONG_RESULT_REVIEW_HOURS", 2)
# Door-knocking: a household task is due this many hours after it is created (local).
FANGKONG_DOORKNOCK_DUE_HOURS = _num("FANGKONG_DOORKNOCK_DUE_HOURS", 2)
FANGKONG_COVERAGE_POLL_SECONDS = _num("FANGKONG_COVERAGE_POLL_SECONDS", 12)
FANGKONG_DASHBOARD_POLL_SECONDS = _num("FANGKONG_DASHBOARD_POLL_SECONDS", 15)
FANGKONG_DEFAULT_PROTOCOL = os.environ.get("FANGKONG_DEFAULT_PROTOCOL", "cn-three-zones-2022")
# Official documents: the issuer's prefix of document numbers (高新防控〔2022〕1号); empty: the
# district's short name + 防控. PDFs embed the CJK font found in fonts-noto-cjk or named here.
FANGKONG_ISSUER_PREFIX = os.environ.get("FANGKONG_ISSUER_PREFIX", "")
FANGKONG_CJK_FONT = os.environ.get("FANGKONG_CJK_FONT", "")
FANGKONG_CJK_FONT_BOLD = os.environ.get("FANGKONG_CJK_FONT_BOLD", "")
# Venue-code scans are personal data: purged this many days after the scan (Sara Alert: 14).
FANGKONG_SCAN_RETENTION_DAYS = int(_num("FANGKONG_SCAN_RETENTION_DAYS", 14))
# Daily follow-up: a temperature at or above this counts as fever (2020–2022 screening: 37.3).
FANGKONG_FEVER_CELSIUS = _num("FANGKONG_FEVER_CELSIUS", 37.3)

# Notifications: SMS through an HTTP gateway (none configured: development logs the message
# with the number masked; production marks it failed). Limits protect residents from floods.
FANGKONG_SMS_GATEWAY_URL = os.environ.get("FANGKONG_SMS_GATEWAY_URL", "")
FANGKONG_SMS_GATEWAY_TOKEN = os.environ.get("FANGKONG_SMS_GATEWAY_TOKEN", "")
FANGKONG_SMS_GATEWAY_TIMEOUT = _num("FANGKONG_SMS_GATEWAY_TIMEOUT", 10)
FANGKONG_SMS_PER_RECIPIENT_PER_HOUR = _num("FANGKONG_SMS_PER_RECIPIENT_PER_HOUR", 3)
FANGKONG_NOTIFY_MAX_ATTEMPTS = _num("FANGKONG_NOTIFY_MAX_ATTEMPTS", 5)
FANGKONG_NOTIFY_RETRY_SECONDS = _num("FANGKONG_NOTIFY_RETRY_SECONDS", 60)

# Fixed supply packages: the planning figure per person per day (Shanghai 2022: 1.5 kg).
SUPPLY_KG_PER_PERSON_DAY = os.environ.get("FANGKONG_SUPPLY_KG_PER_PERSON_DAY", "1.5")
