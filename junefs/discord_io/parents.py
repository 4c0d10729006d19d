"""Our own parent messages, seen in a folder channel: match them to files, or rebuild.

A parent message (see ``junefs.manifest``) says which file it shows. When that
file is in the index, the mirror only fills in a missing message id. When it
is not (the database was lost or restored from an old backup), the message's
``manifest.json`` lists every part's ids, so the file is rebuilt from it: the
row, its parts (with ids; URLs are refreshed when read) and its thumbnail.
"""

from __future__ import annotations

import hashlib
import io
import logging
import mimetypes
from collections.abc import Callable

from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from junefs.backends.discord.urls import url_expiry
from junefs.discord_io.records import AttachmentRecord, MessageRecord
from junefs.errors import JuneFSError
from junefs.manifest import MANIFEST_NAME, FileLine, ManifestPart, parse_manifest
from junefs.models import Channel, File, Part, Thumbnail
from junefs.names import clean_name
from junefs.sniff import kind_of_mime

log = logging.getLogger(__name__)

#: Reads an attachment's bytes (refreshing its URL when needed).
Fetch = Callable[[AttachmentRecord], bytes]


def adopt_parent(
    channel: Channel, message: MessageRecord, line: FileLine, fetch: Fetch | None
) -> str:
    """Match a parent message to its file; rebuild the file when ``fetch`` is given.

    Returns what happened: ``known``, ``repaired``, ``rebuilt`` or ``unknown``.
    """
    if File.objects.filter(discord_message_id=message.id).exists():
        return "known"
    file = (
        File.objects.filter(pk=line.file_id, sha256=line.sha256).first()
        or File.objects.filter(channel=channel, sha256=line.sha256).first()
    )
    if file is not None:
        if file.discord_message_id is None:
            File.objects.filter(pk=file.pk, discord_message_id__isnull=True).update(
                discord_message_id=message.id
            )
            return "repaired"
        return "known"
    if fetch is None:
        return "unknown"
    try:
        rebuilt = rebuild_file(channel, message, line, fetch)
    except (JuneFSError, ValueError, OSError) as exc:
        log.warning("parent message %s: cannot rebuild file: %s", message.id, exc)
        return "unknown"
    return "rebuilt" if rebuilt is not None else "known"


def rebuild_file(
    channel: Channel, message: MessageRecord, line: FileLine, fetch: Fetch
) -> File | None:
    """Recreate a file from its parent message's manifest (None if it appeared meanwhile)."""
    manifest = next((a for a in message.attachments if a.filename == MANIFEST_NAME), None)
    if manifest is None:
        raise ValueError("the parent message has no manifest.json")
    manifest_line, parts = parse_manifest(fetch(manifest))
    if (manifest_line.sha256, manifest_line.size) != (line.sha256, line.size):
        raise ValueError("manifest.json does not describe the file the message names")
    thumb_attachment = next((a for a in message.attachments if a is not manifest), None)
    thumb = _read_thumbnail(thumb_attachment, fetch) if thumb_attachment else None
    name = clean_name(line.name or f"{line.sha256[:16]}")
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    keep_id = not File.objects.filter(pk=line.file_id).exists()
    try:
        with transaction.atomic():
            file = File.objects.create(
                **({"pk": line.file_id} if keep_id else {}),
                channel=channel,
                name=name,
                original_name=line.name[:255],
                size=line.size,
                sha256=line.sha256,
                mime=mime,
                kind=kind_of_mime(mime),
                state=File.State.COMPLETE,
                backend="discord",
                part_size=parts[0].size if parts else line.size,
                part_count=len(parts),
                discord_message_id=message.id,
                created_at=message.created_at,
                preview=File.Preview.READY if thumb else File.Preview.NONE,
                state_note="rebuilt from its parent message on Discord",
            )
            Part.objects.bulk_create([_part(file, p) for p in parts])
            if thumb is not None and thumb_attachment is not None:
                _save_thumbnail(file, message, thumb_attachment, thumb)
    except IntegrityError:
        return None  # the same bytes are in this folder already
    if keep_id:
        _reset_sequences()
    log.info("rebuilt file %s (%s) from parent message %s", file.pk, file.name, message.id)
    return file


def _part(file: File, spec: ManifestPart) -> Part:
    return Part(
        file=file,
        index=spec.index,
        offset=spec.offset,
        size=spec.size,
        sha256=spec.sha256,
        backend="discord",
        channel_id=spec.channel_id,
        message_id=spec.message_id,
        attachment_id=spec.attachment_id,
        confirmed_at=timezone.now(),
    )


def _read_thumbnail(attachment: AttachmentRecord, fetch: Fetch) -> tuple[bytes, int, int] | None:
    try:
        data = fetch(attachment)
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (JuneFSError, OSError, UnidentifiedImageError) as exc:
        log.warning("parent thumbnail %s unreadable: %s", attachment.id, exc)
        return None
    return data, width, height


def _save_thumbnail(
    file: File,
    message: MessageRecord,
    attachment: AttachmentRecord,
    thumb: tuple[bytes, int, int],
) -> None:
    data, width, height = thumb
    Thumbnail.objects.create(
        file=file,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        width=width,
        height=height,
        mime=attachment.content_type or "image/webp",
        backend="discord",
        channel_id=message.channel_id,
        message_id=message.id,
        attachment_id=attachment.id,
        url=attachment.url,
        url_expires_at=url_expiry(attachment.url),
        confirmed_at=timezone.now(),
    )


def _reset_sequences() -> None:
    """After inserting an explicit id: PostgreSQL's sequence must move past it."""
    statements = connection.ops.sequence_reset_sql(no_style(), [File])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
