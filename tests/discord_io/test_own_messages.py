"""Our own part and parent messages are never taken for a person's files."""

from __future__ import annotations

import hashlib

import pytest

from junefs.manifest import (
    PartLine,
    render_part,
)
from junefs.models import Channel, File, Part, Server, Thumbnail
from tests.discord_emulator.emulator import Emulator
from tests.discord_io.helpers import MirrorThread, post_stored_file
from tests.factories import ingest_bytes, random_bytes
from tests.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def parts_channel(emulator: Emulator, server: Server) -> int:
    channel = emulator.create_channel(emulator.guild.id, "sequenzia-parts")
    Server.objects.filter(pk=server.pk).update(parts_channel_ids=[channel.id])
    return channel.id


def test_part_messages_are_not_files(
    emulator: Emulator, folder: Channel, parts_channel: int, mirror: MirrorThread
) -> None:
    sha = "a" * 64
    line = render_part(PartLine(sha, 0, 1, 0, 4, "b" * 64))
    mirror.call(mirror.send(emulator.channel.id, line, [("x.part", b"abcd")]))  # even in a folder
    mirror.call(mirror.send(parts_channel, line, [("y.part", b"abcd")]))
    mirror.flush(emulator)
    assert File.objects.count() == 0


def test_a_parent_message_of_a_known_file_is_matched_not_ingested(
    emulator: Emulator, folder: Channel, parts_channel: int, mirror: MirrorThread
) -> None:
    data = random_bytes(5000, seed=3)
    known = ingest_bytes(data, folder, "known.bin").file
    parent, _ = post_stored_file(
        mirror.send_sync, emulator.channel.id, parts_channel, data, known.name, known.pk
    )
    wait_until(
        lambda: File.objects.get(pk=known.pk).discord_message_id == int(parent["id"]),
        what="the parent message id to be filled in",
    )
    mirror.flush(emulator)
    assert File.objects.count() == 1  # no file for the thumbnail or the manifest
    assert mirror.client is not None and mirror.client.failures == 0


def test_a_parent_message_of_an_unknown_file_rebuilds_it(
    emulator: Emulator, folder: Channel, parts_channel: int, mirror: MirrorThread
) -> None:
    data = random_bytes(6000, seed=4)
    parent, part_messages = post_stored_file(
        mirror.send_sync, emulator.channel.id, parts_channel, data, "lost and found.bin", 4242
    )
    wait_until(lambda: File.objects.filter(pk=4242).exists(), what="the rebuilt file")
    mirror.flush(emulator)
    file = File.objects.get(pk=4242)
    assert (file.name, file.size, file.sha256) == (
        "lost and found.bin",
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    assert (file.state, file.backend, file.channel) == (File.State.COMPLETE, "discord", folder)
    assert file.discord_message_id == int(parent["id"])
    parts = list(Part.objects.filter(file=file).order_by("index"))
    assert [(p.message_id, p.channel_id) for p in parts] == [
        (int(m["id"]), parts_channel) for m in part_messages
    ]
    assert sum(p.size for p in parts) == len(data) and all(p.confirmed for p in parts)
    thumb = Thumbnail.objects.get(file=file)
    assert (thumb.width, thumb.height, thumb.message_id) == (32, 24, int(parent["id"]))
    assert File.objects.count() == 1
    # A new file gets an id past the rebuilt one.
    assert ingest_bytes(b"next", folder, "next.txt").file.pk > 4242
