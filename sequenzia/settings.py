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
LOGIN_URL = "/admin/login/"
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
    "authware",
    "junefs",
    "cds",
    "cms",
    "sequenzia",
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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------

DATABASES = {"default": env.database("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.mysql":
    _db.setdefault("OPTIONS", {}).update(
        {"charset": "utf8mb4", "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"}
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

# --- Discord ---------------------------------------------------------------

DISCORD_TOKEN = env.str("DISCORD_TOKEN")
DISCORD_API_BASE = env.url(
    "DISCORD_API_BASE", "https://discord.com/api/v10", schemes=("http", "https")
)
DISCORD_GATEWAY_URL = env.url(
    "DISCORD_GATEWAY_URL", "wss://gateway.discord.gg/", schemes=("ws", "wss")
)
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
