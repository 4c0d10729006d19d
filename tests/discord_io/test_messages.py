"""Messages in mapped channels become files; edits and deletes follow (through the gateway)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from junefs.discord_io.reading import read_mirrored_file
from junefs.errors import BackendError
from junefs.models import Channel, File, Thumbnail, unread_sha256
from junefs.store import get_store
from junefs.tasks import read_unread_mirrored_files_task
from tests.discord_emulator.emulator import Emulator
from tests.discord_io.helpers import MirrorThread
from tests.factories import jpeg_bytes, png_bytes
from tests.processes import drain_task_queue, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_persons_attachments_become_files_read_by_the_task(
    emulator: Emulator, folder: Channel, mirror: MirrorThread
) -> None:
    photo, icon = jpeg_bytes(800, 600), png_bytes(64, 48)
    message = emulator.post_message(
        emulator.channel.id,
        emulator.person.id,
        "holiday",
        files=[("beach.jpg", photo), ("icon.png", icon)],
    )
    wait_until(lambda: File.objects.count() == 2, what="two mirrored files")
    mirror.wait_idle()
    photo_file = File.objects.get(discord_attachment_id=message.attachments[0].id)
    assert photo_file.state == File.State.INDEXING
    assert photo_file.sha256 == unread_sha256(message.attachments[0].id)
    assert (photo_file.channel, photo_file.name, photo_file.size) == (
        folder,
        "beach.jpg",
        len(photo),
    )
    assert photo_file.description == "holiday" and photo_file.discord_message_id == message.id
    assert photo_file.backend == "discord" and photo_file.created_at.timestamp() > 0
    part = photo_file.parts.get()
    assert (part.channel_id, part.message_id, part.attachment_id) == (
        emulator.channel.id,
        message.id,
        message.attachments[0].id,
    )
    assert part.url.startswith(emulator.base_url) and part.url_expires_at is not None
    assert part.confirmed
    assert drain_task_queue().count("junefs.read_mirrored_file") == 2

    # The task: the URL expired meanwhile, so it is renewed before the bytes are read.
    emulator.advance_clock(2 * 24 * 3600)
    for file in File.objects.all():
        assert read_mirrored_file(file.pk).state == File.State.COMPLETE
    photo_file.refresh_from_db()
    assert photo_file.sha256 == hashlib.sha256(photo).hexdigest()
    assert (photo_file.width, photo_file.height, photo_file.mime) == (800, 600, "image/jpeg")
    assert photo_file.phash is not None and photo_file.color_r is not None
    assert photo_file.preview == File.Preview.READY
    thumb = Thumbnail.objects.get(file=photo_file)
    assert get_store().find(thumb.sha256) is not None
    assert photo_file.parts.get().sha256 == photo_file.sha256
    assert get_store().find(photo_file.sha256) is None  # not a cached folder: no local copy
    icon_file = File.objects.get(discord_attachment_id=message.attachments[1].id)
    assert (icon_file.width, icon_file.height, icon_file.state) == (64, 48, File.State.COMPLETE)
    # Running the task again changes nothing.
    assert read_mirrored_file(photo_file.pk).note == "already read"


def test_messages_in_unmapped_guilds_and_without_files_are_ignored(
    emulator: Emulator, folder: Channel, mirror: MirrorThread
) -> None:
    elsewhere = emulator.create_guild("not ours", member_ids=[emulator.bot.id, emulator.person.id])
    other = emulator.create_channel(elsewhere.id, "elsewhere")
    emulator.post_message(other.id, emulator.person.id, "x", files=[("a.png", png_bytes())])
    emulator.post_message(emulator.channel.id, emulator.person.id, "just words")
    mirror.flush(emulator)
    assert File.objects.count() == 0
    assert not Channel.objects.filter(discord_channel_id=other.id).exists()


def test_edits_and_deletes_are_mirrored(
    emulator: Emulator, folder: Channel, mirror: MirrorThread
) -> None:
    sent = mirror.call(
        mirror.send(
            emulator.channel.id, "v1", [("a.png", png_bytes(10, 10)), ("b.png", png_bytes(20, 20))]
        )
    )
    wait_until(lambda: File.objects.count() == 2, what="two files")
    keep = sent["attachments"][1]
    mirror.call(
        mirror.edit(
            emulator.channel.id,
            int(sent["id"]),
            {"content": "v2", "attachments": [{"id": keep["id"]}]},
        )
    )
    wait_until(lambda: File.objects.count() == 1, what="the removed attachment's file to go")
    kept = File.objects.get()
    wait_until(lambda: File.objects.get().description == "v2", what="the new text")
    assert kept.discord_attachment_id == int(keep["id"])

    person = emulator.post_message(
        emulator.channel.id, emulator.person.id, "gone soon", files=[("c.png", png_bytes(5, 5))]
    )
    wait_until(lambda: File.objects.count() == 2, what="the person's file")
    emulator.delete_message(emulator.channel.id, person.id)
    mirror.call(mirror.client.http.delete_message(emulator.channel.id, int(sent["id"])))  # type: ignore[union-attr]
    wait_until(lambda: File.objects.count() == 0, what="both deletes")
    assert mirror.client is not None and mirror.client.failures == 0


def test_the_read_task_marks_a_vanished_attachment_missing_and_retries_a_short_read(
    emulator: Emulator, folder: Channel, mirror: MirrorThread
) -> None:
    gone = emulator.post_message(
        emulator.channel.id, emulator.person.id, "", files=[("gone.png", png_bytes())]
    )
    short = emulator.post_message(
        emulator.channel.id, emulator.person.id, "", files=[("short.png", png_bytes(30, 30))]
    )
    wait_until(lambda: File.objects.count() == 2, what="both files")
    mirror.wait_idle()
    emulator.delete_message(emulator.channel.id, gone.id, emit_event=False)  # missed the event
    gone_file = File.objects.get(discord_message_id=gone.id)
    assert read_mirrored_file(gone_file.pk).state == File.State.MISSING
    assert File.objects.get(pk=gone_file.pk).state == File.State.MISSING

    short_file = File.objects.get(discord_message_id=short.id)
    emulator.faults.cdn_truncate(count=1)
    with pytest.raises(BackendError, match=r"read \d+ bytes of"):  # the task retries this
        read_mirrored_file(short_file.pk)
    assert File.objects.get(pk=short_file.pk).state == File.State.INDEXING
    assert read_mirrored_file(short_file.pk).state == File.State.COMPLETE


def test_unread_files_are_queued_again_by_the_periodic_task(
    emulator: Emulator, folder: Channel, mirror: MirrorThread
) -> None:
    emulator.post_message(
        emulator.channel.id, emulator.person.id, "", files=[("a.png", png_bytes())]
    )
    wait_until(lambda: File.objects.count() == 1, what="the file")
    mirror.wait_idle()
    drain_task_queue()
    assert read_unread_mirrored_files_task() == {"queued": 0}  # recent: its task is on its way
    File.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    assert read_unread_mirrored_files_task() == {"queued": 1}
    assert drain_task_queue() == ["junefs.read_mirrored_file"]
