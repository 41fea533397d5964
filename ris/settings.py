"""Lumen settings: one module, driven by environment variables.

With no environment at all Lumen runs embedded on one machine: SQLite under
``var/``, files under ``var/storage/``, Celery tasks run in-process.  Production
sets ``DEBUG=false``, ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL`` and
``CELERY_BROKER_URL``; see ``deploy/lumen.env.example`` for every variable.
Malformed values stop start-up with ``ImproperlyConfigured`` naming the variable.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from common.env import env_bool, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core ------------------------------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", True)

VAR_DIR = env_path("LUMEN_VAR_DIR", BASE_DIR / "var")
STORAGE_ROOT = env_path("LUMEN_STORAGE_ROOT", VAR_DIR / "storage")
try:
    STORAGE_ROOT.mkdir(parents=True, exist_ok=True)
except OSError as exc:
    raise ImproperlyConfigured(f"LUMEN_STORAGE_ROOT={STORAGE_ROOT} cannot be created: {exc.strerror}") from None


def _embedded_secret_key() -> str:
    """A random key kept in var/ so sessions survive restarts of an embedded instance."""
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key


SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (at least 50 random characters)")
    SECRET_KEY = _embedded_secret_key()
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY is too weak: use at least 50 random characters")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names Lumen is served under when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "ris.admin_site.LumenAdminConfig",
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
    "auditlog",
    "axes",
    "ris.accounts",
    "ris.audit",
    "ris.numbering",
    "ris.patients",
    "ris.orders",
    "ris.equipment",
    "ris.hl7",
    "pacs",
    "scheduling",
    "reporting",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
    "ris.accounts.middleware.RoleGateMiddleware",
    "pacs.dicomweb.cors.CorsMiddleware",
]

ROOT_URLCONF = "ris.urls"
WSGI_APPLICATION = "ris.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

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
                "ris.accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL")
if _database_url:
    try:
        _default_db = dj_database_url.parse(_database_url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL Lumen understands: {exc}") from None
    if _default_db.get("ENGINE") not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
        raise ImproperlyConfigured("DATABASE_URL must be a postgres:// or sqlite:// URL")
    _default_db["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _default_db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "lumen.sqlite3",
        # Kept open between requests, as with PostgreSQL: opening SQLite and setting its pragmas costs about
        # 2 ms a request.
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        "CONN_HEALTH_CHECKS": True,
    }
if _default_db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers queue (up to `timeout`
    # seconds) instead of failing on a lock upgrade; WAL lets readers run beside the writer; synchronous=FULL
    # makes every commit durable before it returns (a C-STORE success promises exactly that).
    # Tests run DICOM and web servers in threads and subprocesses: they need a database file, not memory.
    _default_db["TEST"] = {"NAME": str(VAR_DIR / "test-lumen.sqlite3")}
    _default_db["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
    }
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -------------------------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication and sessions -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in lockout (django-axes): after LUMEN_LOGIN_FAILURE_LIMIT wrong passwords for one user name from one
# address, that pair is locked for LUMEN_LOGIN_LOCKOUT_MINUTES.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LUMEN_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("LUMEN_LOGIN_LOCKOUT_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password"]
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Idle timeout: the session expires this long after the user's last request (every request renews it).
SESSION_IDLE_MINUTES = env_int("LUMEN_SESSION_IDLE_MINUTES", 30, minimum=1, maximum=24 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Transport security (on by default whenever DEBUG is off) ------------------------------------------------------
_production = not DEBUG
SECURE_SSL_REDIRECT = env_bool("LUMEN_SSL_REDIRECT", _production)
SESSION_COOKIE_SECURE = env_bool("LUMEN_SECURE_COOKIES", _production)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("LUMEN_HSTS_SECONDS", 31_536_000 if _production else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("LUMEN_HSTS_INCLUDE_SUBDOMAINS", _production)
SECURE_HSTS_PRELOAD = env_bool("LUMEN_HSTS_PRELOAD", _production)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Load balancers probe /health/ over plain HTTP on the private side.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
LUMEN_BEHIND_TLS_PROXY = env_bool("LUMEN_BEHIND_TLS_PROXY", False)
if LUMEN_BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# --- Internationalisation ----------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env_path("LUMEN_STATIC_ROOT", VAR_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": STORAGE_ROOT}},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- REST API ------------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so an unauthenticated API call gets 401 with "WWW-Authenticate: Token".
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ris.accounts.roles.HasRole"],
    "DEFAULT_PAGINATION_CLASS": "ris.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ris.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lumen RIS/PACS API",
    "DESCRIPTION": "REST API of Lumen. Session authentication for the web UI, token authentication "
    "(`Authorization: Token <key>`) for machines. Every endpoint is limited to the roles it names.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderPriority": "ris.orders.choices.Priority",
        "OrderStatus": "ris.orders.choices.OrderStatus",
        "CoveragePriority": "ris.patients.choices.CoveragePriority",
    },
}

# --- Celery --------------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = TIME_ZONE
# Each app's block below adds its queues and periodic jobs to these.
CELERY_TASK_ROUTES: dict[str, dict[str, str]] = {}
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}

# --- Audit ---------------------------------------------------------------------------------------------------------
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Lumen ---------------------------------------------------------------------------------------------------------
LUMEN_SITE_NAME = env_str("LUMEN_SITE_NAME", "Lumen")
# Assigning authority of the MRNs Lumen generates (PID-3.4 in HL7, Issuer of Patient ID in DICOM).
LUMEN_MRN_ISSUER = env_str("LUMEN_MRN_ISSUER", "LUMEN")
LUMEN_MRN_PREFIX = env_str("LUMEN_MRN_PREFIX", "M")
# Accession numbers are PREFIX + year + a zero-padded yearly counter; DICOM allows 16 characters (SH).
LUMEN_ACCESSION_PREFIX = env_str("LUMEN_ACCESSION_PREFIX", "A")
if len(LUMEN_ACCESSION_PREFIX) > 5 or not LUMEN_ACCESSION_PREFIX.isascii() or not LUMEN_ACCESSION_PREFIX.isalnum():
    raise ImproperlyConfigured("LUMEN_ACCESSION_PREFIX must be 1 to 5 ASCII letters or digits (DICOM allows 16 in all)")
for _name, _value in (("LUMEN_MRN_ISSUER", LUMEN_MRN_ISSUER), ("LUMEN_MRN_PREFIX", LUMEN_MRN_PREFIX)):
    if not (_value.isascii() and _value.replace("-", "").replace("_", "").isalnum()) or len(_value) > 20:
        raise ImproperlyConfigured(f"{_name}={_value!r}: use up to 20 ASCII letters, digits, - or _")

# --- PACS / DICOM ----------------------------------------------------------------------------------------------------
# Root for the UIDs Lumen makes (Study Instance UID given to each order). Empty: UUID-derived "2.25." UIDs,
# which need no registered root (PS3.5 B.2).
LUMEN_UID_ROOT = env_str("LUMEN_UID_ROOT", "")
if LUMEN_UID_ROOT and (
    len(LUMEN_UID_ROOT) > 40 or not re.fullmatch(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*", LUMEN_UID_ROOT)
):
    raise ImproperlyConfigured("LUMEN_UID_ROOT must be a DICOM UID root (digits and dots) of at most 40 characters")

LUMEN_DICOM_AE_TITLE = env_str("LUMEN_DICOM_AE_TITLE", "LUMEN")
if not (0 < len(LUMEN_DICOM_AE_TITLE) <= 16 and LUMEN_DICOM_AE_TITLE.isascii() and "\\" not in LUMEN_DICOM_AE_TITLE):
    raise ImproperlyConfigured("LUMEN_DICOM_AE_TITLE must be 1 to 16 ASCII characters without backslash")
LUMEN_DICOM_HOST = env_str("LUMEN_DICOM_HOST", "127.0.0.1")
LUMEN_DICOM_PORT = env_int("LUMEN_DICOM_PORT", 11112, minimum=1, maximum=65535)
LUMEN_DICOM_PROCESSES = env_int("LUMEN_DICOM_PROCESSES", os.cpu_count() or 1, minimum=1, maximum=64)
LUMEN_DICOM_MAX_ASSOCIATIONS = env_int("LUMEN_DICOM_MAX_ASSOCIATIONS", 32, minimum=1)
LUMEN_DICOM_TIMEOUT = env_int("LUMEN_DICOM_TIMEOUT", 60, minimum=1)
# Accept associations from unregistered AEs (closed demo networks only).
LUMEN_DICOM_ACCEPT_ANY = env_bool("LUMEN_DICOM_ACCEPT_ANY", False)
# The same SOP Instance UID received again: keep the first copy, or replace it with the newest.
LUMEN_DUPLICATE_POLICY = env_str("LUMEN_DUPLICATE_POLICY", "keep_first")
if LUMEN_DUPLICATE_POLICY not in ("keep_first", "replace"):
    raise ImproperlyConfigured("LUMEN_DUPLICATE_POLICY must be keep_first or replace")
# Origins (scheme://host[:port]) whose pages may call /dicomweb/ from the browser (CORS); none by default.
LUMEN_CORS_ORIGINS = env_list("LUMEN_CORS_ORIGINS", [])
LUMEN_QIDO_MAX_LIMIT = env_int("LUMEN_QIDO_MAX_LIMIT", 1000, minimum=1)
# How long a DICOMweb token's user and roles are remembered between requests (0: looked up on every request).
# Revoking the token or changing the user takes effect at once in the web process that did it, in the others
# within this time.
LUMEN_TOKEN_CACHE_SECONDS = env_int("LUMEN_TOKEN_CACHE_SECONDS", 10, minimum=0)
# The largest STOW-RS body accepted (streamed to disk part by part; more is answered 413).
LUMEN_STOW_MAX_BYTES = env_int("LUMEN_STOW_MAX_BYTES", 2 * 1024**3, minimum=1024)
LUMEN_ORPHAN_MIN_AGE_SECONDS = env_int("LUMEN_ORPHAN_MIN_AGE_SECONDS", 300, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "pynetdicom": {"level": "WARNING"},
    },
}

# --- Scheduling (calendar, worklist, MPPS, technologist board) ---
# How often the technologist board refreshes its rows in the browser.
LUMEN_BOARD_REFRESH_SECONDS = env_int("LUMEN_BOARD_REFRESH_SECONDS", 10, minimum=1, maximum=600)
# Tomorrow's appointment reminders are queued every hour (idempotent: each appointment gets one).
CELERY_BEAT_SCHEDULE["queue-reminders"] = {"task": "scheduling.tasks.queue_reminders_task", "schedule": 3600.0}
# --- HL7 v2 interfaces (ris.hl7) --------------------------------------------------------------------------------
# Lumen's own names in MSH-3/4 (and what inbound MSH-5 must say when it is filled in).
LUMEN_HL7_APPLICATION = env_str("LUMEN_HL7_APPLICATION", "LUMEN")
LUMEN_HL7_FACILITY = env_str("LUMEN_HL7_FACILITY", "RADIOLOGY")
for _name, _value in (("LUMEN_HL7_APPLICATION", LUMEN_HL7_APPLICATION), ("LUMEN_HL7_FACILITY", LUMEN_HL7_FACILITY)):
    if len(_value) > 180 or any(ch in _value for ch in "|^~\\&\r\n"):
        raise ImproperlyConfigured(f"{_name} must be at most 180 characters without HL7 delimiters (|^~\\&)")
LUMEN_HL7_CONTROL_PREFIX = env_str("LUMEN_HL7_CONTROL_PREFIX", "LUMEN")
if len(LUMEN_HL7_CONTROL_PREFIX) > 8 or not LUMEN_HL7_CONTROL_PREFIX.isalnum():
    raise ImproperlyConfigured("LUMEN_HL7_CONTROL_PREFIX must be 1 to 8 letters or digits")
LUMEN_HL7_HOST = env_str("LUMEN_HL7_HOST", "127.0.0.1")
LUMEN_HL7_PORT = env_int("LUMEN_HL7_PORT", 2575, minimum=1, maximum=65535)
# Largest message accepted (bytes); a longer frame is answered AR and its first bytes are kept in the log.
LUMEN_HL7_MAX_MESSAGE_BYTES = env_int("LUMEN_HL7_MAX_MESSAGE_BYTES", 1024 * 1024, minimum=1024)
# Seconds a peer may stall in the middle of a frame before its connection is closed.
LUMEN_HL7_TIMEOUT = env_int("LUMEN_HL7_TIMEOUT", 30, minimum=1)
LUMEN_HL7_MAX_CONNECTIONS = env_int("LUMEN_HL7_MAX_CONNECTIONS", 64, minimum=1)
# Listener processes sharing the port (PostgreSQL; keep 1 on SQLite, which has one writer at a time).
LUMEN_HL7_PROCESSES = env_int("LUMEN_HL7_PROCESSES", 1, minimum=1, maximum=64)
# TLS: with a certificate and key the listener speaks MLLP over TLS; with a CA it also requires client
# certificates signed by it. Outbound partners marked "use TLS" are verified against the CA (or the system's).
LUMEN_HL7_TLS_CERT = env_str("LUMEN_HL7_TLS_CERT", "")
LUMEN_HL7_TLS_KEY = env_str("LUMEN_HL7_TLS_KEY", "")
LUMEN_HL7_TLS_CA = env_str("LUMEN_HL7_TLS_CA", "")
if bool(LUMEN_HL7_TLS_KEY) and not LUMEN_HL7_TLS_CERT:
    raise ImproperlyConfigured("LUMEN_HL7_TLS_KEY is set without LUMEN_HL7_TLS_CERT")
# Outbound delivery: timeouts, retry budget and exponential backoff (base * 2^(attempt-1), capped).
LUMEN_HL7_CONNECT_TIMEOUT = env_int("LUMEN_HL7_CONNECT_TIMEOUT", 3, minimum=1)
LUMEN_HL7_ACK_TIMEOUT = env_int("LUMEN_HL7_ACK_TIMEOUT", 30, minimum=1)
LUMEN_HL7_MAX_ATTEMPTS = env_int("LUMEN_HL7_MAX_ATTEMPTS", 12, minimum=1)
LUMEN_HL7_RETRY_BASE_SECONDS = env_int("LUMEN_HL7_RETRY_BASE_SECONDS", 30, minimum=0)
LUMEN_HL7_RETRY_MAX_SECONDS = env_int("LUMEN_HL7_RETRY_MAX_SECONDS", 3600, minimum=1)
# Without a broker, a delivery run inside a web request sends at most this many messages; the sweep (every
# LUMEN_HL7_SWEEP_SECONDS, in the HL7 listener or `manage.py hl7_deliver`) sends the rest and the retries.
LUMEN_HL7_EAGER_BATCH = env_int("LUMEN_HL7_EAGER_BATCH", 5, minimum=1)
LUMEN_HL7_SWEEP_SECONDS = env_int("LUMEN_HL7_SWEEP_SECONDS", 10, minimum=1)
CELERY_TASK_ROUTES["ris.hl7.tasks.*"] = {"queue": "hl7"}
CELERY_BEAT_SCHEDULE["hl7-deliver-due"] = {
    "task": "ris.hl7.tasks.deliver_due_task",
    "schedule": float(LUMEN_HL7_SWEEP_SECONDS),
}
# --- Reporting and the referring physician portal ------------------------------------------------------------------
# django-guardian: per-object grants (studies shared with a consulting physician, see pacs.models.StudyShare).
INSTALLED_APPS.append("guardian")
# Study shares are decided by reporting's backend (exact expiry); guardian's answers for every other model.
AUTHENTICATION_BACKENDS += ["reporting.backends.StudyShareBackend", "guardian.backends.ObjectPermissionBackend"]
ANONYMOUS_USER_NAME = None  # no guardian "AnonymousUser" row: anonymous requests see nothing anyway
# Letterhead printed at the top of report PDFs (one line per "|").
LUMEN_REPORT_LETTERHEAD = env_str("LUMEN_REPORT_LETTERHEAD", "Department of Radiology|Lumen RIS/PACS")
# Dictation audio: largest upload accepted, and the speech-to-text engine (dotted path to a Transcriber class).
LUMEN_DICTATION_MAX_BYTES = env_int("LUMEN_DICTATION_MAX_BYTES", 25 * 1024**2, minimum=1024)
LUMEN_TRANSCRIBER = env_str("LUMEN_TRANSCRIBER", "reporting.transcription.NotAvailable")
# Critical results: minutes the referring physician has to acknowledge before escalation, and who is told then
# (usernames; empty: every active department lead).
LUMEN_CRITICAL_ACK_MINUTES = env_int("LUMEN_CRITICAL_ACK_MINUTES", 60, minimum=1)
LUMEN_CRITICAL_SECOND_CONTACTS = env_list("LUMEN_CRITICAL_SECOND_CONTACTS", [])
LUMEN_CRITICAL_ESCALATE_EVERY_SECONDS = env_int("LUMEN_CRITICAL_ESCALATE_EVERY_SECONDS", 300, minimum=10)
# Peer review: share of final reports offered to a second radiologist, in percent (0 turns it off).
LUMEN_PEER_REVIEW_PERCENT = env_int("LUMEN_PEER_REVIEW_PERCENT", 5, minimum=0, maximum=100)
# Longest time a study may be shared with a consulting physician.
LUMEN_SHARE_MAX_DAYS = env_int("LUMEN_SHARE_MAX_DAYS", 30, minimum=1)
CELERY_BEAT_SCHEDULE["escalate-critical-results"] = {
    "task": "reporting.tasks.escalate_critical_results_task",
    "schedule": float(LUMEN_CRITICAL_ESCALATE_EVERY_SECONDS),
}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["ReportStatus"] = "reporting.choices.ReportStatus"
# --- Billing (billing/) --------------------------------------------------------------------------------------------
# The billing provider on every claim (X12 loop 2010AA). With DEBUG on, demo values fill what is not set so the
# demo can export at once; in production an unset value blocks export with a message naming the variable.
LUMEN_BILLING_NAME = env_str("LUMEN_BILLING_NAME", "Lumen Demo Imaging" if DEBUG else "")
LUMEN_BILLING_NPI = env_str("LUMEN_BILLING_NPI", "1003000126" if DEBUG else "")
LUMEN_BILLING_TAX_ID = env_str("LUMEN_BILLING_TAX_ID", "123456789" if DEBUG else "")
LUMEN_BILLING_ADDRESS = env_str("LUMEN_BILLING_ADDRESS", "1 Main Street" if DEBUG else "")
LUMEN_BILLING_CITY = env_str("LUMEN_BILLING_CITY", "Springfield" if DEBUG else "")
LUMEN_BILLING_STATE = env_str("LUMEN_BILLING_STATE", "IL" if DEBUG else "")
LUMEN_BILLING_ZIP = env_str("LUMEN_BILLING_ZIP", "627010001" if DEBUG else "")
LUMEN_BILLING_PHONE = env_str("LUMEN_BILLING_PHONE", "5550100000" if DEBUG else "")
LUMEN_BILLING_SUBMITTER_ID = env_str("LUMEN_BILLING_SUBMITTER_ID", "LUMENDEMO" if DEBUG else "")
LUMEN_BILLING_RECEIVER_ID = env_str("LUMEN_BILLING_RECEIVER_ID", "CLEARINGHOUSE" if DEBUG else "")
if LUMEN_BILLING_NPI:
    from ris.accounts.validators import npi_check_digit_ok

    if not npi_check_digit_ok(LUMEN_BILLING_NPI):
        raise ImproperlyConfigured("LUMEN_BILLING_NPI must be a 10-digit NPI with a valid check digit")
if LUMEN_BILLING_TAX_ID and not re.fullmatch(r"\d{9}", LUMEN_BILLING_TAX_ID):
    raise ImproperlyConfigured("LUMEN_BILLING_TAX_ID must be the 9-digit employer identification number")
if LUMEN_BILLING_STATE and not re.fullmatch(r"[A-Z]{2}", LUMEN_BILLING_STATE):
    raise ImproperlyConfigured("LUMEN_BILLING_STATE must be a two-letter state code")
if LUMEN_BILLING_ZIP and not re.fullmatch(r"\d{9}", LUMEN_BILLING_ZIP):
    raise ImproperlyConfigured("LUMEN_BILLING_ZIP must be a 9-digit ZIP+4 code (837P billing provider)")
for _name, _value in (
    ("LUMEN_BILLING_SUBMITTER_ID", LUMEN_BILLING_SUBMITTER_ID),
    ("LUMEN_BILLING_RECEIVER_ID", LUMEN_BILLING_RECEIVER_ID),
):
    if _value and not re.fullmatch(r"[A-Za-z0-9]{2,15}", _value):
        raise ImproperlyConfigured(f"{_name} must be 2 to 15 letters or digits (X12 ISA06/ISA08)")
# global: one charge per exam; split: technical (TC) at completion + professional (26) when the report is final.
LUMEN_BILLING_SPLIT = env_str("LUMEN_BILLING_SPLIT", "global")
if LUMEN_BILLING_SPLIT not in ("global", "split"):
    raise ImproperlyConfigured("LUMEN_BILLING_SPLIT must be global or split")
# CMS place of service code on each charge (11 office, 22 outpatient hospital, ...).
LUMEN_BILLING_PLACE_OF_SERVICE = env_str("LUMEN_BILLING_PLACE_OF_SERVICE", "11")
if not re.fullmatch(r"\d{2}", LUMEN_BILLING_PLACE_OF_SERVICE):
    raise ImproperlyConfigured("LUMEN_BILLING_PLACE_OF_SERVICE must be a two-digit place of service code")
# HCPCS code billed when the technologist records contrast given (empty: contrast is not billed separately).
LUMEN_BILLING_CONTRAST_CODE = env_str("LUMEN_BILLING_CONTRAST_CODE", "Q9967")
if LUMEN_BILLING_CONTRAST_CODE and not re.fullmatch(r"[A-V]\d{4}|\d{5}", LUMEN_BILLING_CONTRAST_CODE):
    raise ImproperlyConfigured("LUMEN_BILLING_CONTRAST_CODE must be a HCPCS or CPT code")
# X12 ISA15: T (test) until the clearinghouse has approved Lumen's files, then P (production).
LUMEN_BILLING_X12_USAGE = env_str("LUMEN_BILLING_X12_USAGE", "T")
if LUMEN_BILLING_X12_USAGE not in ("T", "P"):
    raise ImproperlyConfigured("LUMEN_BILLING_X12_USAGE must be T or P")
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ChargeStatus": "billing.choices.ChargeStatus",
        "ClaimStatus": "billing.choices.ClaimStatus",
        "ClaimFormat": "billing.choices.ClaimFormat",
    }
)
