"""Settings come from the environment and refuse malformed values."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from sequenzia.env import Env
from tests.processes import ROOT


def test_booleans_are_strict() -> None:
    env = Env({"A": "yes", "B": "0", "C": "ture"})
    assert env.bool("A", False) is True and env.bool("B", True) is False
    assert env.bool("MISSING", True) is True
    with pytest.raises(ImproperlyConfigured, match="C='ture' is not a boolean"):
        env.bool("C", False)


def test_numbers_are_strict_and_bounded() -> None:
    env = Env({"N": "10_485_760", "BAD": "10MB", "NEG": "-1"})
    assert env.int("N", 0) == 10_485_760
    with pytest.raises(ImproperlyConfigured, match="BAD='10MB' is not a whole number"):
        env.int("BAD", 0)
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env.int("NEG", 0, minimum=0)


def test_urls_and_choices_are_checked() -> None:
    env = Env({"DB": "mongodb://x", "BROKER": "filesystem://", "B": "ftp"})
    with pytest.raises(ImproperlyConfigured, match="DB='mongodb://x' is not a URL"):
        env.database("DB", "")
    assert env.url("BROKER", schemes=("filesystem",)) == "filesystem://"
    with pytest.raises(ImproperlyConfigured, match="B='ftp' is not one of"):
        env.choice("B", "local", ("local", "storages"))


def test_database_urls_for_each_engine() -> None:
    env = Env(
        {
            "S": "sqlite:////tmp/x.db",
            "M": "mariadb://root@127.0.0.1:3306/seq",
            "P": "postgres://u:p@localhost:5432/seq",
        }
    )
    assert env.database("S", "")["ENGINE"] == "django.db.backends.sqlite3"
    mysql = env.database("M", "")
    assert (mysql["ENGINE"], mysql["NAME"], mysql["PORT"]) == (
        "django.db.backends.mysql",
        "seq",
        3306,
    )
    assert env.database("P", "")["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "ture", "DEBUG='ture' is not a boolean"),
        ("JUNEFS_MAX_PART_SIZE", "ten", "JUNEFS_MAX_PART_SIZE='ten' is not a whole number"),
        ("STORAGE_BACKEND", "floppy", "STORAGE_BACKEND='floppy' is not one of"),
        ("DATABASE_URL", "oracle://x", "DATABASE_URL='oracle://x' is not a URL"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL='localhost:6379' is not a URL"),
    ],
)
def test_a_bad_value_stops_startup_with_a_clear_message(tmp_path, variable, value, message) -> None:  # type: ignore[no-untyped-def]
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), variable: value}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_the_embedded_default_needs_no_server(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.STORAGE_BACKEND, s.CELERY_BROKER_URL,"
        " s.CHANNEL_LAYERS['default']['BACKEND'].rsplit('.', 1)[-1])"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "sequenzia.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "local",
        "filesystem://",
        "InMemoryChannelLayer",
    ]
