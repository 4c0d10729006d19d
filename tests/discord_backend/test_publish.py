"""Parent messages, and moves, renames and deletes carried out on Discord."""

from __future__ import annotations

import hashlib

from junefs.manifest import parse_file, parse_folder_topic, parse_manifest
from junefs.models import Channel, File, Server, Thumbnail
from junefs.operations import delete_file, move_file, rename_file
from junefs.reader import iter_file
from tests.discord_backend.conftest import World
from tests.factories import ingest_bytes, jpeg_bytes


def photo(world: World, name: str = "photo.jpg", seed: int = 0) -> File:
    file = ingest_bytes(jpeg_bytes(640, 480, seed=seed), world.folder, name).file
    assert file.state == File.State.COMPLETE, file.state_note
    return file


def test_the_parent_message_carries_the_preview_the_manifest_and_the_file_line(world: World):  # type: ignore[no-untyped-def]
    file = photo(world)
    thumb = Thumbnail.objects.get(file=file)
    (thumb_message,) = world.bot_messages(world.thumbnails_channel)
    assert thumb.message_id == thumb_message.id
    assert [a.filename for a in thumb_message.attachments] == [f"{file.sha256[:16]}.webp"]

    (parent,) = world.parent_messages()
    assert parent.content.splitlines()[0] == "photo.jpg"
    line = parse_file(parent.content)
    assert line is not None
    assert (line.file_id, line.size, line.parts, line.sha256) == (
        file.pk,
        file.size,
        1,
        file.sha256,
    )
    preview, manifest = parent.attachments
    assert preview.filename == "preview.webp"
    assert hashlib.sha256(preview.data).hexdigest() == thumb.sha256
    file_line, parts = parse_manifest(manifest.data)
    assert file_line == line
    part = file.parts.get()
    assert (parts[0].channel_id, parts[0].message_id, parts[0].attachment_id) == (
        part.channel_id,
        part.message_id,
        part.attachment_id,
    )
    file.refresh_from_db()
    assert (file.discord_message_id, file.discord_attachment_id) == (parent.id, manifest.id)


def test_a_move_reposts_the_parent_message_in_the_new_folder_and_leaves_the_parts(world: World):  # type: ignore[no-untyped-def]
    file = photo(world)
    parts_before = list(file.parts.values_list("message_id", "attachment_id"))
    old_parent = file.discord_message_id
    other = world.new_folder("holiday")

    move_file(file, other)
    assert world.parent_messages() == []  # gone from the old folder
    (parent,) = world.parent_messages(other.discord_channel_id)
    line = parse_file(parent.content)
    assert line is not None and line.file_id == file.pk
    file.refresh_from_db()
    assert file.discord_message_id == parent.id != old_parent
    assert list(file.parts.values_list("message_id", "attachment_id")) == parts_before
    assert len(world.part_messages(file.sha256)) == 1


def test_a_rename_edits_the_parent_message_in_place(world: World):  # type: ignore[no-untyped-def]
    file = photo(world)
    (before,) = world.parent_messages()
    preview_id = before.attachments[0].id

    rename_file(file, "sunset at the beach.jpg")
    (after,) = world.parent_messages()
    assert after.id == before.id
    assert after.content.splitlines()[0] == file.name == "sunset at the beach.jpg"
    assert after.attachments[0].id == preview_id  # the preview is kept
    manifest = after.attachments[1]
    assert manifest.filename == "manifest.json"
    assert parse_manifest(manifest.data)[0].name == "sunset at the beach.jpg"
    file.refresh_from_db()
    assert file.discord_attachment_id == manifest.id


def test_a_delete_removes_the_parent_the_parts_and_the_thumbnail_from_discord(world: World):  # type: ignore[no-untyped-def]
    file = photo(world)
    assert (
        world.parent_messages()
        and world.part_messages()
        and world.bot_messages(world.thumbnails_channel)
    )
    assert delete_file(file) == []
    assert world.parent_messages() == []
    assert world.part_messages() == []
    assert world.bot_messages(world.thumbnails_channel) == []


def test_deleting_one_of_two_files_with_the_same_bytes_keeps_the_shared_parts(world: World):  # type: ignore[no-untyped-def]
    data = jpeg_bytes(640, 480, seed=0)
    first = ingest_bytes(data, world.folder, "photo.jpg").file
    other = world.new_folder("copies")
    second = ingest_bytes(data, other, "copy.jpg").file
    assert second.state == File.State.COMPLETE and second.sha256 == first.sha256
    assert len(world.part_messages(first.sha256)) == 1  # the parts are shared, not re-sent
    assert len(world.parent_messages(other.discord_channel_id)) == 1

    assert delete_file(first) == []
    assert len(world.part_messages(first.sha256)) == 1
    second.refresh_from_db()
    assert b"".join(iter_file(second)) == data


def test_a_folder_without_a_discord_channel_gets_one(world: World):  # type: ignore[no-untyped-def]
    folder = world.new_folder("New Folder", with_channel=False)
    file = ingest_bytes(jpeg_bytes(320, 240, seed=3), folder, "n.jpg").file
    assert file.state == File.State.COMPLETE
    folder.refresh_from_db()
    assert folder.discord_channel_id is not None
    channel = world.emulator.services.world.channel(folder.discord_channel_id)
    assert (channel.name, channel.guild_id) == ("new-folder", world.guild_id)
    # The topic names the folder, so the mirror adopts it whatever it hears first.
    assert parse_folder_topic(channel.topic) == (folder.pk, "")
    assert len(world.parent_messages(folder.discord_channel_id)) == 1


def test_a_server_without_a_guild_completes_files_without_publishing(world: World):  # type: ignore[no-untyped-def]
    server = Server.objects.create(
        name="No guild", parts_channel_ids=world.parts_channels, thumbnails_channel_id=None
    )
    folder = Channel.objects.create(server=server, name="loose")
    file = ingest_bytes(jpeg_bytes(320, 240, seed=4), folder, "l.jpg").file
    assert file.state == File.State.COMPLETE
    assert file.discord_message_id is None
    # Without a thumbnails channel the preview goes to the parts channels.
    thumb = Thumbnail.objects.get(file=file)
    assert thumb.channel_id in world.parts_channels


def test_a_file_moved_while_it_uploads_is_published_where_it_ended_up(world: World):  # type: ignore[no-untyped-def]
    from junefs.backends.discord import DiscordBackend
    from junefs.upload import upload_file

    other = world.new_folder("elsewhere")

    class MovedMidway(DiscordBackend):
        def publish(self, file: File) -> None:
            # Someone moved the file after this upload loaded it.
            File.objects.filter(pk=file.pk).update(channel=other)
            super().publish(file)

    file = ingest_bytes(jpeg_bytes(320, 240, seed=5), world.folder, "m.jpg", upload="none").file
    assert upload_file(file.pk, backend=MovedMidway()).state == File.State.COMPLETE
    assert world.parent_messages() == []
    assert len(world.parent_messages(other.discord_channel_id)) == 1
