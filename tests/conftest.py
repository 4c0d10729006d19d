"""Fixtures shared by every test folder.

Each test gets its own store and local-backend folders (under tmp_path), so
tests never see each other's bytes. Real services are used when present:
``requires_redis`` / ``requires_mariadb`` skip with a visible reason when not.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from junefs.backends import get_backend
from tests.factories import *  # noqa: F403 - fixtures and factories for every test folder


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def junefs_dirs(settings, tmp_path: Path) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """A fresh store and local backend for each test."""
    settings.JUNEFS_STORE_DIR = tmp_path / "store"
    settings.JUNEFS_LOCAL_BACKEND_DIR = tmp_path / "objects"
    settings.JUNEFS_STORAGES_LOCATION = str(tmp_path / "storages")
    get_backend.cache_clear()
    yield tmp_path
    get_backend.cache_clear()


@pytest.fixture(autouse=True)
def cds_audit_in_hand(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Any test may hit CDS URLs: flush its audit by hand, never from a thread
    that could write after the test's database is gone."""
    from cds.audit import audit_log

    settings.CDS_AUDIT_FLUSH_SECONDS = 0
    audit_log.discard()
    yield
    audit_log.discard()


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    """A folder for this test's artefacts (screenshots, logs) under TEST_OUTPUT_DIR."""
    base = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output/adhoc"))
    folder = base / request.node.nodeid.replace("/", "_").replace("::", "__")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def requires_redis() -> str:
    url = django_settings.REDIS_URL
    if not url:
        pytest.skip("REDIS_URL is not set (this run is not the Redis run)")
    return url


@pytest.fixture
def requires_mariadb() -> None:
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.mysql":
        pytest.skip("not the MariaDB run")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.skip("Debian's chromium is not installed (scripts/system-deps.sh test)")
    return path
