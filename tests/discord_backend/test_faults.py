"""Faults on the way up and down: 429 storms, 5xx, dropped connections, bad CDN bodies."""

from __future__ import annotations

import pytest

from junefs.errors import PartDamaged
from junefs.models import File, Part
from junefs.reader import iter_file, verify_file
from junefs.upload import upload_file
from tests.discord_backend.conftest import World
from tests.factories import ingest_bytes, random_bytes

CREATE = "POST /channels/{channel_id}/messages"


@pytest.fixture
def small_parts(settings):  # type: ignore[no-untyped-def]
    settings.JUNEFS_MAX_PART_SIZE = 64 * 1024
    return settings


def assert_one_message_per_part(world: World, file: File) -> None:
    found = world.part_messages(file.sha256)
    assert sorted(line.index for _, _, line in found) == list(range(file.part_count))
    recorded = set(Part.objects.filter(file=file).values_list("message_id", flat=True))
    assert {message.id for _, message, _ in found} == recorded


def test_an_upload_rides_out_a_429_storm(world: World, small_parts):  # type: ignore[no-untyped-def]
    storm = world.emulator.faults.rate_limit_storm(count=16, route=CREATE, retry_after=0.02)
    world.emulator.faults.rate_limit_storm(count=3, is_global=True, retry_after=0.02)
    data = random_bytes(260_000, seed=11)  # 4 parts
    file = ingest_bytes(data, world.folder, "storm.bin").file
    assert file.state == File.State.COMPLETE, file.state_note
    assert storm.fired == 16
    assert world.emulator.counters()["rate_limited"]["forced"] >= 19
    assert_one_message_per_part(world, file)
    assert b"".join(iter_file(file)) == data


def test_5xx_and_dropped_connections_are_retried_without_duplicate_messages(
    world: World, small_parts
):  # type: ignore[no-untyped-def]
    faults = world.emulator.faults
    rules = [
        faults.server_errors(statuses=(503,), count=3, route=CREATE),
        faults.server_errors(statuses=(500,), count=1, route=CREATE),  # discord.py's own retry
        faults.drop_connections(when="before", count=2, route=CREATE),
        # The message is made but the answer is lost: the retry must not make another.
        faults.drop_connections(when="after", count=2, route=CREATE),
        faults.server_errors(statuses=(502, 503), count=2, route="CDN"),  # during read-back
    ]
    data = random_bytes(260_000, seed=12)
    file = ingest_bytes(data, world.folder, "flaky.bin").file
    assert file.state == File.State.COMPLETE, file.state_note
    assert [rule.fired for rule in rules] == [3, 1, 2, 2, 2]
    assert_one_message_per_part(world, file)
    assert b"".join(iter_file(file)) == data


def test_a_cdn_connection_dropped_mid_body_is_resumed(world: World, small_parts):  # type: ignore[no-untyped-def]
    data = random_bytes(260_000, seed=13)
    file = ingest_bytes(data, world.folder, "drop.bin").file
    drop = world.emulator.faults.cdn_drop(count=2, keep_fraction=0.4)
    assert b"".join(iter_file(file)) == data
    assert drop.fired == 2


@pytest.mark.parametrize("fault", ["cdn_corrupt", "cdn_truncate"])
def test_a_corrupt_or_truncated_cdn_body_is_never_served_as_good(world: World, small_parts, fault):  # type: ignore[no-untyped-def]
    data = random_bytes(260_000, seed=14)
    file = ingest_bytes(data, world.folder, "bad.bin").file
    second = file.parts.get(index=1)
    getattr(world.emulator.faults, fault)(count=1, attachment_id=second.attachment_id)
    with pytest.raises(PartDamaged, match=r"part 1 .*(sha256 is|bytes, expected)"):
        b"".join(iter_file(file))

    getattr(world.emulator.faults, fault)(count=1, attachment_id=second.attachment_id)
    report = verify_file(file)
    assert not report.ok and file.state == File.State.DAMAGED
    assert "part 1" in file.state_note

    report = verify_file(file)  # the CDN behaves again: the bytes on Discord are good
    assert report.ok and file.state == File.State.COMPLETE


def test_a_part_that_does_not_read_back_right_is_never_confirmed(world: World, small_parts):  # type: ignore[no-untyped-def]
    world.emulator.faults.cdn_corrupt(count=100)
    data = random_bytes(200_000, seed=15)  # 4 parts
    file = ingest_bytes(data, world.folder, "corrupt.bin").file
    assert file.state == File.State.FAILED
    assert "did not read back from Discord as sent" in file.state_note
    assert not file.parts.exclude(backend="").exists()
    assert world.part_messages(file.sha256) == []  # deleted, not left as orphans

    world.emulator.faults.clear()
    assert upload_file(file.pk).state == File.State.COMPLETE
    file.refresh_from_db()
    assert_one_message_per_part(world, file)
    assert b"".join(iter_file(file)) == data


def test_a_failed_upload_removes_the_messages_it_never_recorded(world: World, small_parts):  # type: ignore[no-untyped-def]
    small_parts.DISCORD_RETRY_ATTEMPTS = 1
    # The first part message is made, but its answer never arrives and there is no retry.
    world.emulator.faults.drop_connections(when="after", count=1, route=CREATE)
    data = random_bytes(260_000, seed=16)
    file = ingest_bytes(data, world.folder, "orphan.bin").file
    assert file.state == File.State.FAILED
    confirmed = file.parts.exclude(backend="").count()
    assert confirmed < file.part_count
    assert len(world.part_messages(file.sha256)) == confirmed  # the orphan is gone
    deletes = world.emulator.counters()["requests_by_route"]
    assert deletes["DELETE /channels/{channel_id}/messages/{message_id}"] == 1
    assert world.parent_messages() == []

    small_parts.DISCORD_RETRY_ATTEMPTS = 6
    summary = upload_file(file.pk)
    assert summary.state == File.State.COMPLETE
    assert summary.sent_parts == file.part_count - confirmed  # only what was missing
    file.refresh_from_db()
    assert_one_message_per_part(world, file)
    assert len(world.parent_messages()) == 1
    assert b"".join(iter_file(file)) == data
