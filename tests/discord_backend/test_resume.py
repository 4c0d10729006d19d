"""A real worker process killed mid-upload, then the upload resumed."""

from __future__ import annotations

import signal
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from junefs.models import File, Part
from junefs.reader import iter_file
from junefs.upload import upload_file
from tests.discord_backend.conftest import build_world
from tests.factories import ingest_bytes, random_bytes
from tests.processes import child_env, python, wait_until

PART = 64 * 1024


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_is_resumed_without_duplicate_parts_or_orphan_messages(  # type: ignore[no-untyped-def]
    discord_settings, emulator
):
    settings = discord_settings
    settings.JUNEFS_MAX_PART_SIZE = PART
    world = build_world(emulator, parts_channels=2)
    data = random_bytes(16 * PART - 1000, seed=31)  # 16 parts
    file = ingest_bytes(data, world.folder, "killed.bin", upload="none").file
    assert file.part_count == 16
    # Reading each part back is slow, so parts sit on Discord unrecorded for a while:
    # that is when the worker dies.
    emulator.faults.latency(0.4, route="CDN")
    env = child_env(
        DISCORD_TOKEN=emulator.token,
        DISCORD_API_BASE=emulator.api_base,
        DISCORD_GATEWAY_URL=emulator.gateway_url,
        DISCORD_RETRY_BASE_DELAY="0.01",
        JUNEFS_UPLOAD_CONCURRENCY="4",
    )
    assert env["STORAGE_BACKEND"] == "discord"

    def recorded() -> set[int]:
        return set(
            Part.objects.filter(file=file).exclude(backend="").values_list("message_id", flat=True)
        )

    def sent() -> set[int]:
        return {message.id for _, message, _ in world.part_messages(file.sha256)}

    worker = python(
        "-m",
        "tests.discord_backend.upload_child",
        str(file.pk),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(
            lambda: len(recorded()) >= 2 and len(sent() - recorded()) >= 1,
            timeout=60,
            what="some parts recorded and some in flight",
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == -signal.SIGKILL

    before = recorded()
    orphans = sent() - before
    assert orphans, "the kill should leave part messages nobody recorded"
    assert 2 <= len(before) < 16
    file.refresh_from_db()
    assert file.state == File.State.UPLOADING  # the dead worker still holds the lease

    emulator.faults.clear()
    File.objects.filter(pk=file.pk).update(upload_lease_until=timezone.now() - timedelta(seconds=1))
    summary = upload_file(file.pk)
    assert summary.state == File.State.COMPLETE, summary.note
    assert summary.sent_parts == 16 - len(before)  # only the missing parts went up again

    found = world.part_messages(file.sha256)
    assert sorted(line.index for _, _, line in found) == list(range(16))  # no duplicates
    assert {message.id for _, message, _ in found} == recorded()  # no orphans
    assert before <= recorded() and not orphans & recorded()
    assert len(world.parent_messages()) == 1
    file.refresh_from_db()
    assert b"".join(iter_file(file)) == data
