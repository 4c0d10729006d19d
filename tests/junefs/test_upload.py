"""Upload: claims, parallel parts, failures, and resuming after a crash."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import BinaryIO

import pytest
from django.utils import timezone

from junefs.backends import Locator, Target
from junefs.backends.local import LocalBackend
from junefs.errors import BackendError
from junefs.models import File, Part
from junefs.reader import iter_file
from junefs.upload import claim, upload_file
from tests.factories import ingest_bytes, random_bytes
from tests.processes import python, wait_until


class FlakyLocal(LocalBackend):
    """The real local backend, failing on chosen part indexes."""

    def __init__(self, root: Path, fail_on: set[int]) -> None:
        super().__init__(root)
        self.fail_on = fail_on
        self.sent: list[int] = []

    def put(
        self, stream: BinaryIO, *, size: int, sha256: str, name: str, target: Target
    ) -> Locator:
        if target.kind == "part" and target.index in self.fail_on:
            raise BackendError(f"injected failure on part {target.index}")
        if target.kind == "part":
            self.sent.append(target.index)
        return super().put(stream, size=size, sha256=sha256, name=name, target=target)


@pytest.mark.django_db
def test_a_failed_upload_keeps_confirmed_parts_and_resumes_only_the_rest(channel, settings):  # type: ignore[no-untyped-def]
    settings.JUNEFS_MAX_PART_SIZE = 1000
    settings.JUNEFS_UPLOAD_CONCURRENCY = 1
    data = random_bytes(5500, seed=9)
    file = ingest_bytes(data, channel, "x.bin", upload="none").file
    flaky = FlakyLocal(settings.JUNEFS_LOCAL_BACKEND_DIR, fail_on={3})
    summary = upload_file(file.pk, backend=flaky)
    file.refresh_from_db()
    assert summary.state == File.State.FAILED == file.state
    assert "injected failure on part 3" in file.state_note
    confirmed = set(file.parts.exclude(backend="").values_list("index", flat=True))
    assert {0, 1, 2} <= confirmed and 3 not in confirmed
    flaky.fail_on = set()
    flaky.sent.clear()
    summary = upload_file(file.pk, backend=flaky)
    assert summary.state == File.State.COMPLETE
    assert sorted(flaky.sent) == sorted({0, 1, 2, 3, 4, 5} - confirmed)  # only what was missing
    file.refresh_from_db()
    assert b"".join(iter_file(file)) == data


@pytest.mark.django_db
def test_only_one_caller_can_claim_a_file(channel):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    file = ingest_bytes(b"claim me", channel, "c.txt", upload="none").file
    assert claim(file.pk, timedelta(minutes=5))
    assert not claim(file.pk, timedelta(minutes=5))
    File.objects.filter(pk=file.pk).update(upload_lease_until=timezone.now() - timedelta(seconds=1))
    assert claim(file.pk, timedelta(minutes=5))  # an expired lease can be taken over


@pytest.mark.django_db
def test_uploading_a_complete_file_again_does_nothing(channel):  # type: ignore[no-untyped-def]
    file = ingest_bytes(b"done already", channel, "d.txt").file
    summary = upload_file(file.pk)
    assert summary.sent_parts == 0 and "not claimed" in summary.note
    assert File.objects.get(pk=file.pk).state == File.State.COMPLETE


@pytest.mark.django_db
def test_a_missing_staged_copy_fails_with_a_clear_note(channel):  # type: ignore[no-untyped-def]
    from junefs.store import get_store

    file = ingest_bytes(b"soon gone", channel, "g.txt", upload="none").file
    get_store().delete(file.sha256)
    upload_file(file.pk)
    file.refresh_from_db()
    assert file.state == File.State.FAILED and "gone from the store" in file.state_note


SLOW_UPLOAD = """
import sys, time, django
django.setup()
from junefs.backends.local import LocalBackend
from junefs.upload import upload_file

class Slow(LocalBackend):
    def put(self, stream, **kw):
        time.sleep(0.3)
        return super().put(stream, **kw)

print("start", flush=True)
upload_file(int(sys.argv[1]), backend=Slow())
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_upload_is_resumed_without_duplicates(channel, settings):  # type: ignore[no-untyped-def]
    settings.JUNEFS_MAX_PART_SIZE = 2000
    data = random_bytes(20_000, seed=4)  # 10 parts
    file = ingest_bytes(data, channel, "big.bin", upload="none").file
    worker = python("-c", SLOW_UPLOAD, str(file.pk), env=None)
    try:
        wait_until(
            lambda: Part.objects.filter(file=file).exclude(backend="").count() >= 3,
            what="three confirmed parts",
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
    file.refresh_from_db()
    assert file.state == File.State.UPLOADING  # the dead worker still holds the lease
    confirmed_before = file.parts.exclude(backend="").count()
    assert 3 <= confirmed_before < 10
    assert upload_file(file.pk).note == "not claimed (done or in progress)"
    File.objects.filter(pk=file.pk).update(upload_lease_until=timezone.now())
    summary = upload_file(file.pk)
    assert summary.state == File.State.COMPLETE
    assert summary.sent_parts + confirmed_before >= 10
    stored = list(Path(settings.JUNEFS_LOCAL_BACKEND_DIR).rglob("*.part"))
    assert len(stored) == 10  # one object per part, none duplicated or orphaned
    file.refresh_from_db()
    assert b"".join(iter_file(file)) == data
