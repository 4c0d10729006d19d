"""Mirror Discord messages into JuneFS: sync services, each safe to apply twice.

A person's message with attachments in a mapped channel becomes one ``File``
per attachment. Its single ``Part`` *is* the attachment (channel, message and
attachment ids plus the signed URL), so nothing is uploaded; the file waits in
state ``indexing`` with a stand-in sha256 until the ``junefs.read_mirrored_file``
task has read the bytes (hash, type, dimensions, thumbnail).

Our own messages are told apart by their text (``junefs.manifest``): a part
message belongs to the parts store and is never a file; a parent message is a
file we stored, which ``parents`` matches to its row (or rebuilds).

Idempotency: a file is keyed on its attachment id (unique), a delete of what
is gone is a no-op, and a replayed create never changes a file that exists.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from junefs.backends.discord.urls import url_expiry
from junefs.discord_io.parents import Fetch, adopt_parent
from junefs.discord_io.records import AttachmentRecord, MessageRecord
from junefs.manifest import parse_file, parse_part
from junefs.models import Channel, File, Part, Thumbnail, unread_sha256
from junefs.names import clean_name
from junefs.sniff import kind_of_mime
from junefs.store import get_store

log = logging.getLogger(__name__)


@dataclass
class MessageOutcome:
    """What applying one message did: ``kind`` is files, parent, part or ignored."""

    kind: str
    new_file_ids: list[int] = field(default_factory=list)
    known: int = 0
    note: str = ""


def mirrored_files() -> QuerySet[File]:
    """Files whose bytes are a Discord attachment in their own message (not our parts)."""
    # Index 0 is unique per file, so the join never repeats a file.
    return File.objects.filter(
        discord_message_id__isnull=False,
        parts__index=0,
        parts__message_id=F("discord_message_id"),
    )


def mapped_channel(discord_channel_id: int) -> Channel | None:
    return (
        Channel.objects.select_related("server")
        .filter(discord_channel_id=discord_channel_id)
        .first()
    )


def advance_cursor(channel: Channel, message_id: int) -> None:
    """Remember the newest message applied in ``channel`` (catch-up starts after it)."""
    Channel.objects.filter(pk=channel.pk).filter(
        Q(discord_last_message_id__isnull=True) | Q(discord_last_message_id__lt=message_id)
    ).update(discord_last_message_id=message_id)


def record_message(message: MessageRecord, *, fetch: Fetch | None = None) -> MessageOutcome:
    """A message was posted (live or seen in history): record what it holds."""
    channel = mapped_channel(message.channel_id)
    if channel is None:
        return MessageOutcome("ignored", note="channel not mapped")
    if parse_part(message.content) is not None:
        return MessageOutcome("part", note="a part message belongs to the parts store")
    file_line = parse_file(message.content)
    if file_line is not None:
        result = adopt_parent(channel, message, file_line, fetch)
        advance_cursor(channel, message.id)
        return MessageOutcome("parent", known=1, note=result)
    outcome = MessageOutcome("files")
    if not message.posted:
        outcome.kind, outcome.note = "ignored", f"message type {message.type}"
    with transaction.atomic():
        for attachment in message.attachments if message.posted else ():
            file_id, new = _record_attachment(channel, message, attachment)
            if file_id is None:
                continue
            if new:
                outcome.new_file_ids.append(file_id)
            else:
                outcome.known += 1
        advance_cursor(channel, message.id)
        queue_reads(outcome.new_file_ids)
    return outcome


def queue_reads(file_ids: list[int]) -> None:
    """Have the worker read the new files' bytes, once the rows are committed."""
    if not file_ids:
        return
    from junefs.tasks import read_mirrored_file_task

    ids = list(file_ids)
    transaction.on_commit(lambda: [read_mirrored_file_task.delay(i) for i in ids])


def _record_attachment(
    channel: Channel, message: MessageRecord, attachment: AttachmentRecord
) -> tuple[int | None, bool]:
    known = File.objects.filter(discord_attachment_id=attachment.id).values_list("pk", flat=True)
    if (file_id := known.first()) is not None:
        return file_id, False
    if attachment.size <= 0:
        return None, False  # nothing to keep (ingest refuses empty files too)
    name = clean_name(attachment.filename)
    mime = (attachment.content_type or "").split(";")[0].strip()
    mime = mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
    stand_in = unread_sha256(attachment.id)
    try:
        with transaction.atomic():
            file = File.objects.create(
                channel=channel,
                name=name,
                original_name=attachment.filename[:255],
                description=message.content,
                size=attachment.size,
                sha256=stand_in,
                mime=mime[:100],
                kind=kind_of_mime(mime),
                state=File.State.INDEXING,
                backend="discord",
                part_size=attachment.size,
                part_count=1,
                discord_message_id=message.id,
                discord_attachment_id=attachment.id,
                created_at=message.created_at,
            )
            Part.objects.create(
                file=file,
                index=0,
                offset=0,
                size=attachment.size,
                sha256=stand_in,
                backend="discord",
                channel_id=message.channel_id,
                message_id=message.id,
                attachment_id=attachment.id,
                url=attachment.url,
                url_expires_at=url_expiry(attachment.url),
                confirmed_at=timezone.now(),
            )
    except IntegrityError:
        # The same attachment recorded a moment ago by someone else (a takeover overlap).
        file_id = known.first()
        if file_id is None:
            raise
        return file_id, False
    return file.pk, True


def apply_message_edit(message: MessageRecord, *, fetch: Fetch | None = None) -> MessageOutcome:
    """A message changed: new text becomes the description, removed attachments go."""
    if parse_file(message.content) is not None or parse_part(message.content) is not None:
        return MessageOutcome("ignored", note="our own message")
    files = mirrored_files().filter(discord_message_id=message.id)
    current = {a.id: a for a in message.attachments}
    gone = [f for f in files if f.discord_attachment_id not in current]
    forget_files(gone)
    files.exclude(description=message.content).update(description=message.content)
    for attachment in message.attachments:  # fresh URLs come with every edit
        Part.objects.filter(attachment_id=attachment.id, message_id=message.id).exclude(
            url=attachment.url
        ).update(url=attachment.url, url_expires_at=url_expiry(attachment.url))
    outcome = record_message(message, fetch=fetch)  # attachments not seen before
    outcome.note = f"{len(gone)} removed"
    return outcome


def apply_message_delete(message_ids: Iterable[int]) -> int:
    """Messages were deleted: their attachments' files go. Returns how many files went.

    A deleted *parent* message does not delete the file: its bytes are parts in
    the parts channel, and the backend deletes and reposts parents when it moves
    or renames a file. The file only loses its message id (when it still points
    there), so the backend can publish it again.
    """
    ids = list(message_ids)
    files = list(mirrored_files().filter(discord_message_id__in=ids))
    forget_files(files)
    File.objects.filter(discord_message_id__in=ids).update(discord_message_id=None)
    return len(files)


def forget_files(files: Iterable[File]) -> None:
    """Delete mirrored files whose attachments are gone from Discord, and local copies."""
    store = get_store()
    for file in files:
        thumb_sha = Thumbnail.objects.filter(file=file).values_list("sha256", flat=True).first()
        sha256 = file.sha256
        log.info("mirror: file %s (%s) is gone from Discord", file.pk, file.name)
        file.delete()
        if file.state != File.State.INDEXING and not File.objects.filter(sha256=sha256).exists():
            store.delete(sha256)
        if thumb_sha and not Thumbnail.objects.filter(sha256=thumb_sha).exists():
            store.delete(thumb_sha)
