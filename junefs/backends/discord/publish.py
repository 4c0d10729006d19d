"""Parent messages: what a folder channel shows of a file, and how moves, renames
and deletes reach Discord.

A file's **parent message** goes to its folder's Discord channel once every part
is confirmed. It carries the preview (``preview.webp``, when the file has a
thumbnail) and ``manifest.json`` as attachments, and the
:func:`junefs.manifest.render_file` text, so the index can be rebuilt from
Discord alone. ``File.discord_message_id`` is the parent message and
``File.discord_attachment_id`` its ``manifest.json`` attachment (the bytes
themselves live in the parts channels).

* A folder without a Discord channel gets one, created in the server's guild
  on first publish and recorded on the folder. A server with no guild id
  cannot have one: the file is then not published (a warning is logged) and
  stays complete; its parts are on Discord all the same.
* A move posts the parent message again in the new folder's channel, records
  it, then deletes the old one (parts stay where they are).
* A rename edits the parent message in place: new text, new
  ``manifest.json``, the preview kept.
* A delete removes the parent message (the caller deletes the parts).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
from typing import IO, TYPE_CHECKING, Any, Final, cast

import discord
import discord.http

from junefs.backends.discord.client import DiscordNotFound
from junefs.errors import IntegrityError, JuneFSError
from junefs.manifest import (
    MANIFEST_NAME,
    FileLine,
    ManifestPart,
    channel_name_for,
    render_file,
    render_folder_topic,
    render_manifest,
)
from junefs.models import Channel, File, Part, Thumbnail
from junefs.store import get_store

if TYPE_CHECKING:
    from junefs.backends.discord.backend import DiscordBackend

log = logging.getLogger(__name__)
PREVIEW_NAME = "preview.webp"
GUILD_TEXT: Final = 0


def folder_channel_id(backend: DiscordBackend, folder: Channel) -> int | None:
    """The folder's Discord channel, made in the guild if it has none yet."""
    if folder.discord_channel_id:
        return int(folder.discord_channel_id)
    guild_id = folder.server.guild_id
    if not guild_id:
        log.warning(
            "folder %r has no Discord channel and server %r no guild id: not publishing there",
            folder.name,
            folder.server.name,
        )
        return None
    created = backend.session.call(
        f"create a Discord channel for folder {folder.name!r}",
        lambda http: http.create_channel(
            guild_id,
            GUILD_TEXT,
            name=channel_name_for(folder.name, folder.pk),
            # Names the folder, so the mirror adopts it even before the id below is saved.
            topic=render_folder_topic(folder.pk, folder.description),
        ),
    )
    new_id = int(created["id"])
    linked = Channel.objects.filter(pk=folder.pk, discord_channel_id__isnull=True).update(
        discord_channel_id=new_id
    )
    if linked != 1:  # another worker linked one meanwhile: use theirs, drop ours
        folder.refresh_from_db(fields=["discord_channel_id"])
        with contextlib.suppress(JuneFSError):
            backend.session.call(
                f"delete spare channel {new_id}", lambda http: http.delete_channel(new_id)
            )
        return folder.discord_channel_id
    folder.discord_channel_id = new_id
    log.info("created Discord channel %s for folder %r", new_id, folder.name)
    return new_id


def _file_line(file: File) -> FileLine:
    return FileLine(file.name, file.pk, file.size, file.part_count, file.sha256)


def _manifest(file: File) -> bytes:
    entries = []
    for part in Part.objects.filter(file=file).order_by("index"):
        if not (part.channel_id and part.message_id and part.attachment_id):
            raise IntegrityError(f"part {part.index} of file {file.pk} is not on Discord")
        entries.append(
            ManifestPart(
                part.index,
                part.offset,
                part.size,
                part.sha256,
                part.channel_id,
                part.message_id,
                part.attachment_id,
            )
        )
    return render_manifest(_file_line(file), entries)


def _preview(backend: DiscordBackend, file: File) -> bytes | None:
    """The thumbnail's bytes, from the local store or else from Discord (checked)."""
    thumb = Thumbnail.objects.filter(file=file).first()
    if thumb is None:
        return None
    data: bytes | None = None
    path = get_store().find(thumb.sha256)
    if path is not None:
        data = path.read_bytes()
    elif thumb.confirmed and thumb.backend == backend.name:
        try:
            with backend.open(thumb.locator) as stream:
                data = stream.read(thumb.size + 1)
        except JuneFSError as exc:
            log.warning("no preview for file %s: %s", file.pk, exc)
    if data is None or hashlib.sha256(data).hexdigest() != thumb.sha256:
        return None
    return data


def _post(backend: DiscordBackend, file: File, channel_id: int) -> dict[str, Any]:
    files: list[tuple[str, IO[bytes]]] = []
    preview = _preview(backend, file)
    if preview is not None:
        files.append((PREVIEW_NAME, io.BytesIO(preview)))
    files.append((MANIFEST_NAME, io.BytesIO(_manifest(file))))
    return backend.send_message(
        channel_id, render_file(_file_line(file)), files, what=f"post file {file.pk}"
    )


def _manifest_attachment_id(message: dict[str, Any]) -> int | None:
    for attachment in message.get("attachments", []):
        if attachment.get("filename") == MANIFEST_NAME:
            return int(attachment["id"])
    return None


def _record(file: File, message: dict[str, Any] | None) -> None:
    message_id = int(message["id"]) if message else None
    attachment_id = _manifest_attachment_id(message) if message else None
    File.objects.filter(pk=file.pk).update(
        discord_message_id=message_id, discord_attachment_id=attachment_id
    )
    file.discord_message_id, file.discord_attachment_id = message_id, attachment_id


def _message(backend: DiscordBackend, channel_id: int, message_id: int) -> dict[str, Any] | None:
    try:
        return dict(
            backend.session.call(
                f"fetch message {message_id} in channel {channel_id}",
                lambda http: http.get_message(channel_id, message_id),
            )
        )
    except DiscordNotFound:
        return None


def publish(backend: DiscordBackend, file: File) -> None:
    """Post the parent message (again only if the recorded one is gone)."""
    # The upload may have run for a while: post where the file is now, as it is called now.
    file.refresh_from_db(fields=["channel", "name", "discord_message_id", "discord_attachment_id"])
    channel_id = folder_channel_id(backend, file.channel)
    if channel_id is None:
        return
    if file.discord_message_id and _message(backend, channel_id, file.discord_message_id):
        return
    _record(file, _post(backend, file, channel_id))


def republish(backend: DiscordBackend, file: File, old_channel: Channel) -> None:
    """The file moved or was renamed: bring its parent message in line."""
    if not file.discord_message_id:
        if file.state == File.State.COMPLETE:
            publish(backend, file)
        return  # an upload in progress publishes where the file is when it ends
    new_id = folder_channel_id(backend, file.channel)
    old_id = old_channel.discord_channel_id
    old_message = file.discord_message_id
    if new_id is not None and new_id == old_id:
        if _edit(backend, file, new_id):
            return
        _record(file, _post(backend, file, new_id))
        return
    _record(file, _post(backend, file, new_id) if new_id is not None else None)
    if old_id:
        backend.delete_message(old_id, old_message)


class _Kept:
    """An attachment a message edit keeps (discord.py sends ``{"id": ...}``)."""

    def __init__(self, attachment_id: int) -> None:
        self.id = attachment_id

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id}


def _edit(backend: DiscordBackend, file: File, channel_id: int) -> bool:
    """New text and manifest on the parent message, the preview kept; False if it is gone."""
    assert file.discord_message_id is not None
    message_id = file.discord_message_id
    current = _message(backend, channel_id, message_id)
    if current is None:
        return False
    kept = [
        _Kept(int(a["id"]))
        for a in current.get("attachments", [])
        if a.get("filename") != MANIFEST_NAME
    ]
    manifest = io.BytesIO(_manifest(file))
    content = render_file(_file_line(file))

    async def edit(http: discord.http.HTTPClient) -> Any:
        manifest.seek(0)
        new = discord.File(manifest, filename=MANIFEST_NAME)
        try:
            params = discord.http.handle_message_parameters(
                content=content,
                attachments=cast(list[Any], [*kept, new]),
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return await http.edit_message(channel_id, message_id, params=params)
        finally:
            new.close()

    try:
        edited = backend.session.call(f"edit message {message_id} of file {file.pk}", edit)
    except DiscordNotFound:
        return False
    _record(file, dict(edited))
    return True


def unpublish(backend: DiscordBackend, file: File) -> None:
    """Remove the parent message of a file that is being deleted."""
    channel_id = file.channel.discord_channel_id
    if file.discord_message_id and channel_id:
        backend.delete_message(channel_id, file.discord_message_id)
