"""Remove what a failed or abandoned upload sent to Discord and never recorded.

A worker can die between Discord creating a part message and the database
recording it, or an upload can fail after some messages went out. Such
messages are found by what they say, not by memory of the process that sent
them (that process may be dead): the bot's messages since the file entered,
in the server's parts channels (part lines of this file's sha256), its
thumbnails channel (the thumbnail's file name) and the folder channel (parent
messages naming this file's id). Those no Part, Thumbnail or File row points
at are deleted.

Parts belong to content, so while another file with the same bytes is being
uploaded right now (a live lease), its messages in flight cannot be told
from ours: the parts and thumbnail scan is skipped then (and logged), and the
next cleanup gets them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord.utils
from django.utils import timezone

from junefs.manifest import parse_file, parse_part
from junefs.models import File, Part, Thumbnail

if TYPE_CHECKING:
    from junefs.backends.discord.backend import DiscordBackend

log = logging.getLogger(__name__)
#: Look this far before the file entered (clock skew between hosts).
SCAN_MARGIN = timedelta(minutes=10)
#: At most this many pages of 100 messages per channel.
MAX_PAGES = 50


def history_since(
    backend: DiscordBackend, channel_id: int, since_id: int
) -> Iterator[dict[str, Any]]:
    """The channel's messages newer than ``since_id``, newest first."""
    before: int | None = None
    for _ in range(MAX_PAGES):
        page = backend.session.call(
            f"read the history of channel {channel_id}",
            lambda http, before=before: http.logs_from(channel_id, 100, before=before),  # type: ignore[misc]
        )
        for message in page:
            if int(message["id"]) <= since_id:
                return
            yield dict(message)
        if len(page) < 100:
            return
        before = int(page[-1]["id"])
    log.warning("channel %s: stopped after %d pages of history", channel_id, MAX_PAGES)


def remove_unrecorded(backend: DiscordBackend, file: File) -> int:
    """Delete the unrecorded messages of ``file``'s upload; returns how many."""
    server = file.channel.server
    bot_id = backend.session.bot_user_id
    since_id = discord.utils.time_snowflake(file.uploaded_at - SCAN_MARGIN)
    doomed: list[tuple[int, int]] = []

    busy = (
        File.objects.filter(
            sha256=file.sha256,
            state=File.State.UPLOADING,
            upload_lease_until__gt=timezone.now(),
        )
        .exclude(pk=file.pk)
        .exists()
    )
    parts_channels = [int(c) for c in server.parts_channel_ids or ()]
    thumbs_channel = server.thumbnails_channel_id or (parts_channels[0] if parts_channels else None)
    if busy:
        log.info("file %s: another upload of the same bytes is running; parts left alone", file.pk)
    else:
        recorded = set(
            Part.objects.filter(file__sha256=file.sha256, message_id__isnull=False).values_list(
                "message_id", flat=True
            )
        )
        recorded |= set(
            Thumbnail.objects.filter(
                file__sha256=file.sha256, message_id__isnull=False
            ).values_list("message_id", flat=True)
        )
        thumb_name = f"{file.sha256[:16]}.webp"
        scan = list(dict.fromkeys([*parts_channels, *([thumbs_channel] if thumbs_channel else [])]))
        for channel_id in scan:
            for message in history_since(backend, channel_id, since_id):
                if int(message["author"]["id"]) != bot_id or int(message["id"]) in recorded:
                    continue
                line = parse_part(message.get("content") or "")
                names = {a.get("filename") for a in message.get("attachments", [])}
                if (line is not None and line.file_sha256 == file.sha256) or (
                    line is None and channel_id == thumbs_channel and names == {thumb_name}
                ):
                    doomed.append((channel_id, int(message["id"])))

    folder_channel = file.channel.discord_channel_id
    if folder_channel:
        for message in history_since(backend, folder_channel, since_id):
            if int(message["author"]["id"]) != bot_id:
                continue
            parent = parse_file(message.get("content") or "")
            if (
                parent is not None
                and parent.file_id == file.pk
                and int(message["id"]) != file.discord_message_id
            ):
                doomed.append((folder_channel, int(message["id"])))

    for channel_id, message_id in doomed:
        backend.delete_message(channel_id, message_id)
    if doomed:
        log.info("file %s: removed %d unrecorded Discord messages", file.pk, len(doomed))
    return len(doomed)
