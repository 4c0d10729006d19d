"""The async download (``DiscordBackend.stream``): what the content server reads parts with.

It runs on the caller's event loop with the same rules as the blocking
reader: a body that breaks off is resumed with a Range, 5xx are retried, an
expired URL is renewed once, a message that is gone is ObjectMissing, and
whatever arrives is handed on unchecked (the caller hashes it).
"""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from junefs.backends import Locator
from junefs.backends.discord.cdn import close_loop_http
from junefs.errors import ObjectMissing
from junefs.models import File
from tests.cds.helpers import body, uncache
from tests.discord_backend.conftest import World
from tests.discord_emulator.services import EmulatorConfig
from tests.factories import ingest_bytes, random_bytes

KiB = 1024
MESSAGE_GET = "GET /channels/{channel_id}/messages/{message_id}"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(
        cdn_url_ttl=3600.0,
        buckets={"message_create": (30, 1.0), "message_delete": (30, 1.0)},
    )


@pytest.fixture
def small_parts(settings):  # type: ignore[no-untyped-def]
    settings.JUNEFS_MAX_PART_SIZE = 64 * KiB
    return settings


def drain(world: World, locator: Locator, chunk_size: int = 1024 * KiB) -> list[bytes]:
    """Every chunk of one stream, read on a loop of its own (as a web server would)."""

    async def read() -> list[bytes]:
        try:
            return [chunk async for chunk in world.backend.stream(locator, chunk_size=chunk_size)]
        finally:
            await close_loop_http()

    return asyncio.run(read())


def stored(world: World, data: bytes, name: str) -> File:
    file = ingest_bytes(data, world.folder, name).file
    assert file.state == File.State.COMPLETE, file.state_note
    return file


def test_each_part_streams_its_own_bytes(world: World, small_parts):  # type: ignore[no-untyped-def]
    data = random_bytes(200_000, seed=31)
    file = stored(world, data, "parts.bin")
    world.emulator.reset_counters()
    for part in file.parts.order_by("index"):
        chunks = drain(world, part.locator)
        assert b"".join(chunks) == data[part.offset : part.offset + part.size]
    assert world.emulator.counters()["cdn_fetches"] == {
        str(p.attachment_id): 1 for p in file.parts.all()
    }


def test_chunks_are_never_larger_than_asked(world: World, small_parts):  # type: ignore[no-untyped-def]
    data = random_bytes(60_000, seed=32)
    file = stored(world, data, "small.bin")
    chunks = drain(world, file.parts.get().locator, chunk_size=1000)
    assert max(len(c) for c in chunks) <= 1000
    assert b"".join(chunks) == data


def test_an_expired_url_is_renewed_from_the_message(world: World, small_parts):  # type: ignore[no-untyped-def]
    data = random_bytes(50_000, seed=33)
    file = stored(world, data, "old.bin")
    part = file.parts.get()
    world.emulator.advance_clock(2 * 3600)  # the stored URL is past its `ex`, unknown to us
    world.emulator.reset_counters()
    assert b"".join(drain(world, part.locator)) == data
    counters = world.emulator.counters()
    assert counters["cdn_responses_by_status"]["404"] == 1
    assert counters["requests_by_route"][MESSAGE_GET] == 1


def test_a_body_dropped_midway_is_resumed_where_it_stopped(world: World, small_parts):  # type: ignore[no-untyped-def]
    data = random_bytes(60_000, seed=34)
    file = stored(world, data, "drop.bin")
    drop = world.emulator.faults.cdn_drop(count=2, keep_fraction=0.4)
    world.emulator.reset_counters()
    assert b"".join(drain(world, file.parts.get().locator)) == data
    assert drop.fired == 2
    assert world.emulator.counters()["cdn_responses_by_status"]["206"] == 2


def test_server_errors_are_retried(world: World, small_parts):  # type: ignore[no-untyped-def]
    data = random_bytes(60_000, seed=35)
    file = stored(world, data, "flaky.bin")
    errors = world.emulator.faults.server_errors(statuses=(502, 503), count=2, route="CDN")
    assert b"".join(drain(world, file.parts.get().locator)) == data
    assert errors.fired == 2


def test_a_deleted_message_is_object_missing(world: World, small_parts):  # type: ignore[no-untyped-def]
    file = stored(world, random_bytes(30_000, seed=36), "gone.bin")
    part = file.parts.get()
    world.emulator.delete_message(part.channel_id, part.message_id)
    with pytest.raises(ObjectMissing, match="gone from Discord"):
        drain(world, part.locator)


def test_a_corrupt_body_is_handed_on_for_the_caller_to_check(world: World, small_parts):  # type: ignore[no-untyped-def]
    data = random_bytes(30_000, seed=37)
    file = stored(world, data, "bad.bin")
    world.emulator.faults.cdn_corrupt(count=1)
    got = b"".join(drain(world, file.parts.get().locator))
    assert len(got) == len(data) and got != data


def test_cds_streams_a_spanned_file_from_discord_and_then_from_its_store(
    world: World, small_parts, admin_client, settings
):  # type: ignore[no-untyped-def]
    settings.CDS_UNPACK_SPANNED = False
    data = random_bytes(300_000, seed=38)  # 5 parts
    file = stored(world, data, "video.bin")
    uncache(file)
    world.emulator.reset_counters()
    response = admin_client.get(f"/cds/f/{file.pk}/{file.name}")
    assert response.status_code == 200
    assert hashlib.sha256(body(response)).hexdigest() == file.sha256
    assert sum(world.emulator.counters()["cdn_fetches"].values()) == file.part_count

    world.emulator.faults.cdn_corrupt(count=100)  # would be caught; must not even be asked
    world.emulator.reset_counters()
    ranged = admin_client.get(f"/cds/f/{file.pk}/{file.name}", HTTP_RANGE="bytes=70000-140000")
    assert ranged.status_code == 206
    assert body(ranged) == data[70000:140001]
    assert world.emulator.counters()["cdn_fetches"] == {}
