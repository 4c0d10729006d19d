"""Fixtures for the CDS tests: files in any backend, uncached copies, reading bodies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cds import stats
from junefs.backends import get_backend
from junefs.models import Channel
from tests.factories import make_channel


@pytest.fixture(autouse=True)
def cds_settings(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """No Celery hand-offs, no peers, no nginx, fresh counters (the audit is
    flushed by hand for every test: see tests/conftest.py)."""
    settings.CDS_UNPACK_SPANNED = False
    settings.CDS_DAMAGED_RETRY_SECONDS = 0
    settings.CDS_PEERS = []
    settings.CDS_NODE_TOKEN = ""
    settings.CDS_ACCEL_REDIRECT = ""
    stats.reset()
    yield


@pytest.fixture(params=["local", "storages"])
def any_backend(request: pytest.FixtureRequest, settings) -> str:  # type: ignore[no-untyped-def]
    """Run the test on each backend that keeps bytes on this machine."""
    settings.STORAGE_BACKEND = request.param
    get_backend.cache_clear()
    return str(request.param)


@pytest.fixture
def folder(db) -> Channel:  # type: ignore[no-untyped-def]
    return make_channel("cds")
