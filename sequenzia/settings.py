"""Django settings for Sequenzia.

Everything comes from the environment through :mod:`sequenzia.env`, which
refuses malformed values. With no variables set, Sequenzia runs embedded:
SQLite and local storage under ``./data``, the in-memory channel layer and a
Celery broker on the filesystem, so ``make run`` needs no server. Each
production part is one variable away: ``DATABASE_URL``, ``REDIS_URL``,
``CELERY_BROKER_URL``, ``STORAGE_BACKEND``.
"""

from __future__ import annotations

import secrets
import socket
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from sequenzia.env import Env

env = Env()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.str("DATA_DIR", str(BASE_DIR / "data"))).resolve()

DEBUG = env.bool("DEBUG", False)

# A secret key must come from the environment in production. In the embedded
# default one is generated once and kept under DATA_DIR, so sessions survive a
# restart without anyone committing a key.
SECRET_KEY = env.str("SECRET_KEY")
if not SECRET_KEY:
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        SECRET_KEY = key_file.read_text().strip()
    else:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        SECRET_KEY = secrets.token_urlsafe(50)
        key_file.write_text(SECRET_KEY)
        key_file.chmod(0o600)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env.str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.discord",
    "allauth.mfa",
    "ninja",
    "authware",
    "junefs",
    "cds",
    "cms",
    "sequenzia",
    "sequenzia.ads",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "authware.middleware.TokenMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "authware.middleware.AdminMFAMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sequenzia.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "sequenzia.urls"
ASGI_APPLICATION = "sequenzia.asgi.application"
WSGI_APPLICATION = "sequenzia.wsgi.application"

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
                "sequenzia.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------

DATABASES = {"default": env.database("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.mysql":
    # eq_range_index_dive_limit: the gallery filters by folder with IN lists of
    # up to a few hundred ids; above this many values the optimizer estimates
    # from index statistics instead of diving into each index once per value
    # (which cost ~6 ms of planning on a 1M-row table for a 0.5 ms query).
    _db.setdefault("OPTIONS", {}).update(
        {
            "charset": "utf8mb4",
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES', eq_range_index_dive_limit=10",
        }
    )
    _db.setdefault("TEST", {}).update({"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_bin"})
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process read while the worker writes.
    _db.setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # The test database is a file, so a worker or server started by a test
    # (a separate process) sees the same data.
    _db.setdefault("TEST", {}).setdefault("NAME", str(DATA_DIR / "test.sqlite3"))
_db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", 0, minimum=0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "authware.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# --- AuthWare: logins (django-allauth), two-factor, Discord OAuth2 -------------

ACCOUNT_ADAPTER = "authware.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "authware.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
# none / optional / mandatory. Optional: a link is mailed, logging in works without it.
ACCOUNT_EMAIL_VERIFICATION = env.choice(
    "AUTHWARE_EMAIL_VERIFICATION", "optional", ("none", "optional", "mandatory")
)
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
# allauth's rate limits (login failures per IP and per account, sign-ups, resets),
# kept in the cache; its defaults, with failed logins a little stricter.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# Anyone may create a local account (off: the admin creates users).
AUTHWARE_OPEN_SIGNUP = env.bool("AUTHWARE_OPEN_SIGNUP", False)
# Members of the Discord guilds may create an account by logging in with Discord.
AUTHWARE_DISCORD_SIGNUP = env.bool("AUTHWARE_DISCORD_SIGNUP", True)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", "Sequenzia")
# Staff and admins must set up TOTP before they can use the site or the admin.
AUTHWARE_ADMIN_REQUIRE_MFA = env.bool("AUTHWARE_ADMIN_REQUIRE_MFA", False)

DISCORD_CLIENT_ID = env.str("DISCORD_CLIENT_ID")
DISCORD_CLIENT_SECRET = env.str("DISCORD_CLIENT_SECRET")
if bool(DISCORD_CLIENT_ID) != bool(DISCORD_CLIENT_SECRET):
    raise ImproperlyConfigured("set both DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET, or neither")
# With no client configured there is no app, and allauth hides the Discord button.
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, object]] = {
    "discord": {
        "SCOPE": ["identify", "guilds"],
        "APPS": (
            [{"client_id": DISCORD_CLIENT_ID, "secret": DISCORD_CLIENT_SECRET, "key": ""}]
            if DISCORD_CLIENT_ID
            else []
        ),
    }
}
SOCIALACCOUNT_STORE_TOKENS = False

# Mail: printed on the console unless an SMTP server is configured.
EMAIL_HOST = env.str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env.int("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "sequenzia@localhost")

# --- Security headers ----------------------------------------------------------

_https = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", _https)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", _https)
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", False) else None
)
X_FRAME_OPTIONS = "DENY"

# Threads per web process for synchronous code (views, the ORM) under ASGI; each
# keeps its own database connection when DATABASE_CONN_MAX_AGE is set.
WEB_SYNC_THREADS = env.int("WEB_SYNC_THREADS", 8, minimum=1, maximum=256)

# --- Gallery -----------------------------------------------------------------

GALLERY_PAGE_SIZE = env.int("GALLERY_PAGE_SIZE", 60, minimum=10, maximum=500)
# Largest upload through the web page, in bytes (0: no limit beyond JUNEFS_MAX_FILE_SIZE).
UPLOAD_MAX_SIZE = env.int("UPLOAD_MAX_SIZE", 2 * 1024**3, minimum=0)
# Kinds of file the upload page accepts (image, video, audio, other).
UPLOAD_KINDS = env.list("UPLOAD_KINDS", ["image", "video", "audio", "other"])
if not set(UPLOAD_KINDS) <= {"image", "video", "audio", "other"}:
    raise ImproperlyConfigured(
        f"UPLOAD_KINDS={','.join(UPLOAD_KINDS)!r} may only list image, video, audio, other"
    )
# How many recent queries and files a user's history keeps.
HISTORY_LIMIT = env.int("HISTORY_LIMIT", 200, minimum=10)

# --- ADS (screens) and DWS (wallpapers) -------------------------------------

# How long a signed image URL handed to a screen or a wallpaper client stays valid.
AUTHWARE_SIGNED_URL_SECONDS = env.int("AUTHWARE_SIGNED_URL_SECONDS", 3600, minimum=60)
# A TV's pairing code lives this long before the TV asks for a new one.
ADS_PAIRING_SECONDS = env.int("ADS_PAIRING_SECONDS", 600, minimum=60, maximum=3600)
# Pairing requests one address may start per hour (codes are short; keep guessing slow).
ADS_PAIRING_PER_HOUR = env.int("ADS_PAIRING_PER_HOUR", 30, minimum=1)
# DWS: how much a wallpaper may be scaled up to cover the screen (1.0: never).
DWS_MAX_UPSCALE = env.float("DWS_MAX_UPSCALE", 1.25, minimum=1.0)

# --- Redis: cache, channel layer, Celery results -------------------------

REDIS_URL = env.url("REDIS_URL", schemes=("redis", "rediss", "unix"))
# Prefix for every key this instance writes to shared services, so several
# checkouts (or instances) can share one Redis without seeing each other.
INSTANCE_PREFIX = env.str("INSTANCE_PREFIX", "sequenzia")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": INSTANCE_PREFIX,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{INSTANCE_PREFIX}:asgi"},
        }
    }
    # Sessions read from the shared cache, written through to the database. (Not
    # with the per-process cache below: a session ended in one process could live
    # on in another's memory.)
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery ----------------------------------------------------------------

CELERY_BROKER_URL = env.url(
    "CELERY_BROKER_URL",
    "filesystem://",
    schemes=("filesystem", "redis", "rediss", "amqp", "amqps", "pyamqp", "memory"),
)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: messages are files in one folder, which
    # a worker on the same machine polls. Needs no server at all.
    _broker_dir = DATA_DIR / "broker"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        # Exchange tables; kombu would otherwise write them into the working directory.
        "control_folder": str(_broker_dir / "control"),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
elif CELERY_BROKER_URL.startswith(("redis", "rediss")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{INSTANCE_PREFIX}:"}
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = f"{INSTANCE_PREFIX}.default"
# Uploads are long and must not be lost when a worker dies mid-task: ack after
# the task ran, and take one task at a time so a crash loses at most that one.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# The periodic schedule, as data. Apps add their entries here.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "resume-unfinished-uploads": {"task": "junefs.resume_uploads", "schedule": 300.0},
    "remove-stale-store-temps": {"task": "junefs.remove_stale_temps", "schedule": 3600.0},
    # CDS: keep the unpacked cache under its cap, fetch the folders marked
    # keep_cached ("autofetch"), and drop access records past their retention.
    "evict-unpacked-cache": {"task": "cds.evict_unpacked_cache", "schedule": 600.0},
    "autofetch-kept-channels": {"task": "cds.autofetch_kept_channels", "schedule": 1800.0},
    "prune-access-audit": {"task": "cds.prune_access_audit", "schedule": 3600.0},
    # nginx fast path: its access log into the audit (nothing when CDS_NGINX_AUDIT_LOG is unset).
    "ingest-nginx-audit-log": {"task": "cds.ingest_nginx_audit_log", "schedule": 10.0},
    # Discord I/O: read mirrored attachments whose first read did not happen.
    "read-unread-discord-files": {"task": "junefs.read_unread_mirrored_files", "schedule": 600.0},
}

# --- JuneFS ------------------------------------------------------------------

STORAGE_BACKEND = env.choice("STORAGE_BACKEND", "local", ("local", "storages", "discord"))
# The content-addressed local store: staged uploads and the CDS unpacked cache.
JUNEFS_STORE_DIR = Path(env.str("JUNEFS_STORE_DIR", str(DATA_DIR / "store"))).resolve()
# Where the local backend keeps parts (kept apart from the store, which is a
# cache and may be evicted).
JUNEFS_LOCAL_BACKEND_DIR = Path(
    env.str("JUNEFS_LOCAL_BACKEND_DIR", str(DATA_DIR / "objects"))
).resolve()
# Read the local backend's objects over HTTP from this base URL instead of
# from the folder (the folder served by a web server; writes still go to the
# folder). Empty: read the folder.
JUNEFS_LOCAL_BACKEND_URL = env.url("JUNEFS_LOCAL_BACKEND_URL", schemes=("http", "https"))
# Part size in bytes for every backend; 0 means "the backend's own default"
# (10 MiB minus multipart headroom for Discord).
JUNEFS_MAX_PART_SIZE = env.int("JUNEFS_MAX_PART_SIZE", 0, minimum=0)
# Largest single file accepted by ingest (bytes); 0 means no limit.
JUNEFS_MAX_FILE_SIZE = env.int("JUNEFS_MAX_FILE_SIZE", 0, minimum=0)
# Pillow refuses images above this many pixels (decompression bomb guard).
JUNEFS_MAX_IMAGE_PIXELS = env.int("JUNEFS_MAX_IMAGE_PIXELS", 178_956_970, minimum=1)
JUNEFS_THUMBNAIL_SIZE = env.int("JUNEFS_THUMBNAIL_SIZE", 512, minimum=16, maximum=4096)
# How many part uploads run at once for one file.
JUNEFS_UPLOAD_CONCURRENCY = env.int("JUNEFS_UPLOAD_CONCURRENCY", 4, minimum=1, maximum=64)
# A worker holds a file's upload for this long before another may resume it.
JUNEFS_UPLOAD_LEASE_SECONDS = env.int("JUNEFS_UPLOAD_LEASE_SECONDS", 600, minimum=5)
FFPROBE_BINARY = env.str("FFPROBE_BINARY", "ffprobe")
FFMPEG_BINARY = env.str("FFMPEG_BINARY", "ffmpeg")

# django-storages, used by STORAGE_BACKEND=storages. Any storage class works;
# the S3 one reads the usual AWS_* variables.
JUNEFS_STORAGES_BACKEND = env.str(
    "JUNEFS_STORAGES_BACKEND", "django.core.files.storage.FileSystemStorage"
)
JUNEFS_STORAGES_LOCATION = env.str("JUNEFS_STORAGES_LOCATION", str(DATA_DIR / "storages"))
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME") or None
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY") or None
AWS_S3_FILE_OVERWRITE = False

# --- CDS (content server) ---------------------------------------------------

GiB = 1024**3
# The unpacked cache (whole files and parts fetched from the backend, kept in
# the store). Eviction (Celery beat) keeps it under this many bytes, dropping
# the least recently used objects first, and drops objects unused for
# CDS_CACHE_MAX_AGE seconds (0: no age limit). Objects not yet safe on the
# backend and the files of keep_cached folders are never evicted.
CDS_CACHE_MAX_BYTES = env.int("CDS_CACHE_MAX_BYTES", 10 * GiB, minimum=0)
CDS_CACHE_MAX_AGE = env.int("CDS_CACHE_MAX_AGE", 30 * 24 * 3600, minimum=0)
# Parts fetched ahead of the one being sent, per request (bounded prefetch).
CDS_PREFETCH_PARTS = env.int("CDS_PREFETCH_PARTS", 2, minimum=0, maximum=16)
# Threads that read, hash and write cached objects for the async views.
CDS_IO_THREADS = env.int("CDS_IO_THREADS", 16, minimum=1, maximum=256)
# After a full read of a spanned file, join its cached parts into the whole
# file in the store (so nginx can serve it and ranges read one object).
CDS_UNPACK_SPANNED = env.bool("CDS_UNPACK_SPANNED", True)
# A file found damaged is not fetched again from remote copies for this long.
CDS_DAMAGED_RETRY_SECONDS = env.int("CDS_DAMAGED_RETRY_SECONDS", 600, minimum=0)
# Other CDS nodes (base URLs, comma separated) asked by hash on a cache miss,
# this node's name in their logs, and the shared secret nodes present to
# each other (peers answer only requests that carry it).
CDS_PEERS = [url.rstrip("/") for url in env.list("CDS_PEERS")]
CDS_NODE_NAME = env.str("CDS_NODE_NAME", socket.gethostname())
CDS_NODE_TOKEN = env.str("CDS_NODE_TOKEN")
CDS_PEER_TIMEOUT = env.float("CDS_PEER_TIMEOUT", 10.0, minimum=0.1)
# nginx offload: the internal location that maps onto JUNEFS_STORE_DIR (e.g.
# "/_cds_store/"; see deploy/README.md). Empty: Django streams every byte.
CDS_ACCEL_REDIRECT = env.str("CDS_ACCEL_REDIRECT")
if CDS_ACCEL_REDIRECT and not (
    CDS_ACCEL_REDIRECT.startswith("/") and CDS_ACCEL_REDIRECT.endswith("/")
):
    raise ImproperlyConfigured(
        f"CDS_ACCEL_REDIRECT={CDS_ACCEL_REDIRECT!r} must be a location path like /_cds_store/"
    )
# An object handed to nginx is re-hashed at most this often (seconds; 0: on
# every request). Django-streamed bytes are hashed on every request.
CDS_ACCEL_VERIFY_SECONDS = env.int("CDS_ACCEL_VERIFY_SECONDS", 3600, minimum=0)
# The nginx fast path (deploy/README.md): nginx asks Django once whether a
# credential may have a URL and reuses the answer for this many seconds, sending
# cached files without a Django request. It is also the bound on how late a
# revoked access or a new block is honoured for a credential that was just
# served. 0: off (Django answers no such question). CDS_NGINX_AUDIT_LOG is the
# access log those requests are written to, read into the audit by Celery beat.
CDS_NGINX_DECISION_SECONDS = env.int("CDS_NGINX_DECISION_SECONDS", 0, minimum=0, maximum=300)
CDS_NGINX_AUDIT_LOG = env.str("CDS_NGINX_AUDIT_LOG")
# The access audit is written in batches: every CDS_AUDIT_FLUSH_SECONDS by a
# background thread of the web process (0: only when flushed by hand, as the
# tests do), and kept CDS_AUDIT_RETENTION_DAYS days (0: forever).
CDS_AUDIT_FLUSH_SECONDS = env.float("CDS_AUDIT_FLUSH_SECONDS", 2.0, minimum=0)
CDS_AUDIT_MAX_BUFFER = env.int("CDS_AUDIT_MAX_BUFFER", 50_000, minimum=100)
CDS_AUDIT_RETENTION_DAYS = env.int("CDS_AUDIT_RETENTION_DAYS", 90, minimum=0)
# Client addresses in the audit come from X-Forwarded-For only when the
# connection comes from one of these (the nginx in front).
CDS_TRUSTED_PROXIES = env.list("CDS_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
# Share links: the longest lifetime one may be given, in days.
CDS_SHARE_MAX_DAYS = env.int("CDS_SHARE_MAX_DAYS", 30, minimum=1)
CDS_CACHE_CONTROL = env.str("CDS_CACHE_CONTROL", "private, max-age=86400")
# Renditions (/cds/r/…, resized images): how many one process renders at a
# time (decoding a large image takes a core and a few hundred MB; the other
# requests wait their turn).
CDS_RENDITION_CONCURRENCY = env.int("CDS_RENDITION_CONCURRENCY", 2, minimum=1, maximum=64)

# --- Discord ---------------------------------------------------------------

DISCORD_TOKEN = env.str("DISCORD_TOKEN")
DISCORD_API_BASE = env.url(
    "DISCORD_API_BASE", "https://discord.com/api/v10", schemes=("http", "https")
)
DISCORD_GATEWAY_URL = env.url(
    "DISCORD_GATEWAY_URL", "wss://gateway.discord.gg/", schemes=("ws", "wss")
)
# Discord I/O (manage.py discord_io): one process is active at a time. It holds a
# lease for this many seconds and renews it every third of that; a standby takes
# over once the holder stops renewing.
DISCORD_IO_LEASE_SECONDS = env.float("DISCORD_IO_LEASE_SECONDS", 10.0, minimum=1.0)
# Connection attempts (to the API, then the gateway) before discord_io gives up
# with an error at start-up. Once connected, discord.py reconnects for ever.
DISCORD_IO_CONNECT_ATTEMPTS = env.int("DISCORD_IO_CONNECT_ATTEMPTS", 5, minimum=1)

# The Discord backend retries 5xx answers, dropped connections and timeouts
# with capped exponential backoff (discord.py itself waits out 429s).
DISCORD_RETRY_ATTEMPTS = env.int("DISCORD_RETRY_ATTEMPTS", 6, minimum=1, maximum=20)
DISCORD_RETRY_BASE_DELAY = env.float("DISCORD_RETRY_BASE_DELAY", 0.5, minimum=0.0)
DISCORD_RETRY_MAX_DELAY = env.float("DISCORD_RETRY_MAX_DELAY", 30.0, minimum=0.0)
# Longest wait for one request, rate-limit waits included (seconds).
DISCORD_REQUEST_TIMEOUT = env.float("DISCORD_REQUEST_TIMEOUT", 600.0, minimum=1.0)
# Read every uploaded part back from the CDN and check its sha256 before it counts.
DISCORD_VERIFY_UPLOADS = env.bool("DISCORD_VERIFY_UPLOADS", True)

# --- Static files and i18n ----------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve straight from the app folders too, so a missed collectstatic is not a broken page.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

if STORAGE_BACKEND == "discord" and not DISCORD_TOKEN:
    raise ImproperlyConfigured("STORAGE_BACKEND=discord needs DISCORD_TOKEN")
