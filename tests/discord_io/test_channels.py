"""Channel create, rename, move and delete on Discord reach the folders (through the gateway)."""

from __future__ import annotations

import pytest

from junefs.models import Channel, File, Server
from tests.discord_emulator.emulator import Emulator
from tests.discord_io.helpers import MirrorThread
from tests.factories import ingest_bytes, png_bytes, random_bytes
from tests.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _folder(discord_id: int) -> Channel | None:
    return Channel.objects.filter(discord_channel_id=discord_id).first()


def test_channels_are_created_renamed_moved_and_deleted(
    emulator: Emulator, folder: Channel, mirror: MirrorThread
) -> None:
    made = emulator.create_channel(emulator.guild.id, "Fresh Pics", parent_id=emulator.category.id)
    wait_until(lambda: _folder(made.id) is not None, what="the new folder")
    fresh = _folder(made.id)
    assert fresh is not None and fresh.server == folder.server
    assert (fresh.name, fresh.category) == ("fresh-pics", emulator.category.name)
    # Everything in a channel made while mirroring is after its own id: catch-up reads it all.
    assert fresh.discord_last_message_id == made.id

    emulator.update_channel(made.id, name="renamed", nsfw=True, topic="only the best")
    wait_until(lambda: _folder(made.id).name == "renamed", what="the rename")  # type: ignore[union-attr]
    fresh.refresh_from_db()
    assert (fresh.nsfw, fresh.description) == (True, "only the best")

    emulator.update_channel(emulator.category.id, name="Holidays")
    wait_until(
        lambda: set(Channel.objects.values_list("category", flat=True)) == {"Holidays"},
        what="both folders to be in the renamed category",
    )
    emulator.update_channel(made.id, parent_id=None)
    wait_until(lambda: _folder(made.id).category == "", what="the move out")  # type: ignore[union-attr]

    # A person's file in it goes with the channel, and so does the emptied folder.
    emulator.post_message(made.id, emulator.person.id, "", files=[("p.png", png_bytes())])
    wait_until(lambda: File.objects.filter(channel=fresh).exists(), what="the file")
    emulator.delete_channel(made.id)
    wait_until(lambda: not Channel.objects.filter(pk=fresh.pk).exists(), what="the folder to go")
    assert File.objects.count() == 0
    assert mirror.client is not None and mirror.client.failures == 0


def test_a_deleted_channel_keeps_its_folder_for_files_stored_elsewhere(
    emulator: Emulator, folder: Channel, mirror: MirrorThread
) -> None:
    stored = ingest_bytes(random_bytes(3000), folder, "kept.bin").file  # parts on the local backend
    emulator.post_message(
        emulator.channel.id, emulator.person.id, "", files=[("gone.png", png_bytes())]
    )
    wait_until(lambda: File.objects.count() == 2, what="the mirrored file")
    emulator.delete_channel(emulator.channel.id)
    wait_until(lambda: File.objects.count() == 1, what="the mirrored file to go")
    folder.refresh_from_db()
    assert folder.discord_channel_id is None
    assert File.objects.get().pk == stored.pk


def test_system_channels_are_never_folders(
    emulator: Emulator, server: Server, mirror: MirrorThread
) -> None:
    parts = emulator.create_channel(emulator.guild.id, "sequenzia-parts")
    wait_until(lambda: _folder(parts.id) is not None, what="a folder, until it is a system one")
    Channel.objects.filter(discord_channel_id=parts.id).delete()
    Server.objects.filter(pk=server.pk).update(parts_channel_ids=[parts.id])
    emulator.update_channel(parts.id, name="sequenzia-parts-1")
    emulator.post_message(parts.id, emulator.person.id, "", files=[("x.png", png_bytes())])
    mirror.flush(emulator)
    assert _folder(parts.id) is None and File.objects.count() == 0


def test_a_channel_made_for_a_folder_is_adopted_before_its_id_is_saved() -> None:
    """The backend creates a Discord channel for a folder; the mirror may hear of it first."""
    from junefs.discord_io.channels import upsert_channel
    from junefs.discord_io.records import ChannelRecord
    from junefs.manifest import render_folder_topic

    server = Server.objects.create(name="guild", guild_id=4242)
    folder = Channel.objects.create(server=server, name="New Folder", description="old")
    record = ChannelRecord(
        id=777,
        guild_id=4242,
        name="new-folder",
        type=0,
        topic=render_folder_topic(folder.pk, "Holiday pictures"),
    )
    adopted = upsert_channel(record, new_on_discord=True)
    assert adopted is not None and adopted.pk == folder.pk
    folder.refresh_from_db()
    assert folder.discord_channel_id == 777
    assert folder.name == "New Folder"  # Discord's lowercase form is not a rename
    assert folder.description == "Holiday pictures"  # the marker line stays out
    assert Channel.objects.filter(server=server).count() == 1
    # A real rename on Discord does rename the folder.
    upsert_channel(ChannelRecord(id=777, guild_id=4242, name="holiday-2024", type=0))
    folder.refresh_from_db()
    assert folder.name == "holiday-2024"
