"""A real Celery worker picks queued uploads off the configured broker."""

from __future__ import annotations

import signal

import pytest
from django.conf import settings

from junefs.models import File
from tests.factories import ingest_bytes, jpeg_bytes, random_bytes
from tests.processes import python, wait_until


@pytest.fixture
def worker():  # type: ignore[no-untyped-def]
    proc = python(
        "-m",
        "celery",
        "-A",
        "sequenzia",
        "worker",
        "--pool",
        "solo",
        "--loglevel",
        "WARNING",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    )
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except Exception:
        proc.kill()


@pytest.mark.django_db(transaction=True)
def test_queued_uploads_are_done_by_the_worker(worker, channel) -> None:  # type: ignore[no-untyped-def]
    broker = settings.CELERY_BROKER_URL.split("://")[0]
    # Part sizes are fixed at ingest (here); the worker just sends what is recorded.
    settings.JUNEFS_MAX_PART_SIZE = 5000
    first = ingest_bytes(jpeg_bytes(320, 240), channel, "a.jpg", upload="queue").file
    second = ingest_bytes(random_bytes(12_000), channel, "b.bin", upload="queue").file
    assert {first.state, second.state} == {File.State.PENDING}

    def done() -> bool:
        states = set(
            File.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)
        )
        return states == {File.State.COMPLETE}

    wait_until(done, timeout=60, what=f"the worker (broker: {broker}) to finish both uploads")
    assert worker.poll() is None
    second.refresh_from_db()
    assert second.parts.count() == 3 and all(p.confirmed for p in second.parts.all())
