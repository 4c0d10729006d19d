"""Round trips through Discord: part sizes, limits, boosted guilds, several parts channels."""

from __future__ import annotations

import hashlib
import io

import pytest

from junefs.backends import Target, part_size_for
from junefs.backends.discord.backend import MiB, part_size_for_limit
from junefs.errors import BackendRefused
from junefs.manifest import parse_file, parse_manifest
from junefs.models import File
from junefs.reader import download_to, iter_file
from junefs.upload import part_target
from tests.discord_backend.conftest import World, build_world
from tests.factories import ingest_bytes, random_bytes

SMALL_LIMIT = 256 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_35_mib_file_goes_up_in_4_parts_and_comes_back_byte_identical(world: World, tmp_path):  # type: ignore[no-untyped-def]
    data = random_bytes(35 * MiB)
    file = ingest_bytes(data, world.folder, "big.bin").file
    assert file.state == File.State.COMPLETE, file.state_note
    assert file.part_count == 4
    assert file.part_size == part_size_for_limit(10 * MiB) == 10 * MiB - 64 * 1024

    sent = sorted(world.part_messages(file.sha256), key=lambda found: found[2].index)
    assert [line.index for _, _, line in sent] == [0, 1, 2, 3]
    for part, (channel_id, message, line) in zip(file.parts.order_by("index"), sent, strict=True):
        assert (part.channel_id, part.message_id) == (channel_id, message.id)
        assert part.attachment_id == message.attachments[0].id
        assert line.sha256 == part.sha256 == sha(message.attachments[0].data)
        assert (line.offset, line.size, line.count) == (part.offset, part.size, 4)

    (parent,) = world.parent_messages()
    assert parse_file(parent.content) == parse_file(f"big.bin\n{parent.content.splitlines()[-1]}")
    file_line = parse_file(parent.content)
    assert file_line is not None and (file_line.file_id, file_line.sha256) == (file.pk, sha(data))
    manifest = next(a for a in parent.attachments if a.filename == "manifest.json")
    _, parts = parse_manifest(manifest.data)
    assert [(p.message_id, p.attachment_id) for p in parts] == [
        (m.id, m.attachments[0].id) for _, m, _ in sent
    ]
    file.refresh_from_db()
    assert (file.discord_message_id, file.discord_attachment_id) == (parent.id, manifest.id)

    out = tmp_path / "back.bin"
    assert download_to(file, out) == len(data)
    assert sha(out.read_bytes()) == file.sha256 == sha(data)


def test_a_file_of_exactly_one_part_size_is_one_part_and_one_byte_more_is_two(
    db, discord_settings, emulator
):  # type: ignore[no-untyped-def]
    emulator.set_limits(emulator.guild.id, attachment_bytes=SMALL_LIMIT)
    world = build_world(emulator, attachment_limit=SMALL_LIMIT)
    part_size = part_size_for(world.backend, part_target(world.server))
    assert part_size == part_size_for_limit(SMALL_LIMIT) == SMALL_LIMIT - 4096

    exact = random_bytes(part_size, seed=1)
    over = random_bytes(part_size + 1, seed=2)
    one = ingest_bytes(exact, world.folder, "exact.bin").file
    two = ingest_bytes(over, world.folder, "over.bin").file
    assert (one.state, one.part_count) == (File.State.COMPLETE, 1)
    assert (two.state, two.part_count) == (File.State.COMPLETE, 2)
    assert [p.size for p in two.parts.order_by("index")] == [part_size, 1]
    assert b"".join(iter_file(one)) == exact
    assert b"".join(iter_file(two)) == over


def test_a_part_of_exactly_the_attachment_limit_is_accepted_and_one_byte_more_refused(
    db, discord_settings, emulator
):  # type: ignore[no-untyped-def]
    emulator.set_limits(emulator.guild.id, attachment_bytes=SMALL_LIMIT)
    world = build_world(emulator, attachment_limit=SMALL_LIMIT)
    backend = world.backend
    target = part_target(world.server)

    exact = random_bytes(SMALL_LIMIT, seed=3)
    locator = backend.put(
        io.BytesIO(exact), size=len(exact), sha256=sha(exact), name="a", target=target
    )
    with backend.open(locator) as stream:
        assert stream.read() == exact

    over = random_bytes(SMALL_LIMIT + 1, seed=4)
    with pytest.raises(BackendRefused, match=rf"{SMALL_LIMIT + 1} bytes.*limit of {SMALL_LIMIT}"):
        backend.put(io.BytesIO(over), size=len(over), sha256=sha(over), name="b", target=target)

    # When the server overstates the guild's limit, Discord's own 413 comes back as clearly.
    overstated = Target(
        channel_ids=target.channel_ids, guild_id=target.guild_id, attachment_limit=2 * SMALL_LIMIT
    )
    with pytest.raises(BackendRefused, match=r"too large .*b: 262145 bytes.*413, error 40005"):
        backend.put(io.BytesIO(over), size=len(over), sha256=sha(over), name="b", target=overstated)
    assert len(world.bot_messages(world.parts_channels[0])) == 1  # only the accepted one


def test_a_boosted_guild_gets_bigger_parts(db, discord_settings, emulator):  # type: ignore[no-untyped-def]
    boosted = emulator.create_guild("Boosted", premium_tier=2)
    world = build_world(emulator, guild_id=boosted.id)
    assert world.backend.max_part_size(part_target(world.server)) == 50 * MiB - 64 * 1024

    data = random_bytes(12 * MiB)
    file = ingest_bytes(data, world.folder, "boosted.bin").file
    assert (file.state, file.part_count) == (File.State.COMPLETE, 1), file.state_note
    assert b"".join(iter_file(file)) == data

    world.server.attachment_limit = 20 * MiB  # set by hand: it wins over the boost tier
    assert world.backend.max_part_size(part_target(world.server)) == 20 * MiB - 64 * 1024


def test_parts_spread_over_several_parts_channels(db, discord_settings, emulator, settings):  # type: ignore[no-untyped-def]
    world = build_world(emulator, parts_channels=3)
    settings.JUNEFS_MAX_PART_SIZE = 100_000
    data = random_bytes(550_000, seed=5)  # 6 parts
    file = ingest_bytes(data, world.folder, "spread.bin").file
    assert (file.state, file.part_count) == (File.State.COMPLETE, 6), file.state_note
    for i, channel_id in enumerate(world.parts_channels):
        lines = [line for where, _, line in world.part_messages(file.sha256) if where == channel_id]
        assert sorted(line.index for line in lines) == [i, i + 3]
    assert {p.channel_id for p in file.parts.all()} == set(world.parts_channels)
    assert b"".join(iter_file(file)) == data


def test_parallel_parts_honour_the_buckets_without_drawing_a_429(world: World, settings):  # type: ignore[no-untyped-def]
    world.emulator.set_bucket("message_create", 3, 0.5)
    settings.JUNEFS_MAX_PART_SIZE = 20_000
    settings.JUNEFS_UPLOAD_CONCURRENCY = 8
    data = random_bytes(200_000, seed=6)  # 10 parts, one parts channel
    file = ingest_bytes(data, world.folder, "paced.bin").file
    assert (file.state, file.part_count) == (File.State.COMPLETE, 10), file.state_note
    counters = world.emulator.counters()
    assert counters["total_429"] == 0 and counters["rate_limited"] == {}
    assert len(world.part_messages(file.sha256)) == 10
