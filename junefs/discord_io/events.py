"""What the client hands the mirror, one event at a time, in gateway order.

Each event is a small frozen record; :func:`apply_event` is the one sync
entry point (the client calls it through ``sync_to_async``). Applying any
event twice leaves the index as applying it once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import InterfaceError, OperationalError, connection

from junefs.backends import Locator, get_backend
from junefs.backends.discord.urls import url_expiry
from junefs.discord_io import channels, mirror
from junefs.discord_io.parents import Fetch
from junefs.discord_io.records import AttachmentRecord, ChannelRecord, GuildRecord, MessageRecord
from junefs.errors import BackendError
from junefs.models import Channel

#: Largest manifest or thumbnail read while rebuilding a file from its parent message.
SMALL_ATTACHMENT_LIMIT = 16 * 1024 * 1024


@dataclass(frozen=True)
class MessageCreated:
    message: MessageRecord
    from_history: bool = False


@dataclass(frozen=True)
class MessageEdited:
    message: MessageRecord


@dataclass(frozen=True)
class MessagesDeleted:
    channel_id: int
    message_ids: tuple[int, ...]


@dataclass(frozen=True)
class ChannelChanged:
    channel: ChannelRecord
    created: bool = False


@dataclass(frozen=True)
class ChannelDeleted:
    channel_id: int


@dataclass(frozen=True)
class GuildSynced:
    guild: GuildRecord


@dataclass(frozen=True)
class GuildUpdated:
    guild_id: int
    attachment_limit: int


@dataclass(frozen=True)
class MemberUpdated:
    guild_id: int
    user_id: int
    role_ids: tuple[int, ...]


Event = (
    MessageCreated
    | MessageEdited
    | MessagesDeleted
    | ChannelChanged
    | ChannelDeleted
    | GuildSynced
    | GuildUpdated
    | MemberUpdated
)


def read_small_attachment(attachment: AttachmentRecord, channel_id: int, message_id: int) -> bytes:
    """A whole small attachment (a manifest, a preview) through the Discord backend."""
    locator = Locator(
        backend="discord",
        channel_id=channel_id,
        message_id=message_id,
        attachment_id=attachment.id,
        url=attachment.url,
        url_expires_at=url_expiry(attachment.url),
    )
    with get_backend("discord").open(locator) as stream:
        data = stream.read(SMALL_ATTACHMENT_LIMIT + 1)
    if len(data) > SMALL_ATTACHMENT_LIMIT:
        raise BackendError(
            f"attachment {attachment.id} is larger than {SMALL_ATTACHMENT_LIMIT} bytes"
        )
    return data


def fetcher(message: MessageRecord) -> Fetch:
    """Reads the message's attachments over REST/CDN (for rebuilding parents)."""
    return lambda attachment: read_small_attachment(attachment, message.channel_id, message.id)


def apply_event(event: Event) -> str:
    """Apply one event to the index; returns a short summary for the log."""
    match event:
        case MessageCreated(message=message):
            outcome = mirror.record_message(message, fetch=fetcher(message))
            return f"{outcome.kind}: {len(outcome.new_file_ids)} new, {outcome.known} known"
        case MessageEdited(message=message):
            outcome = mirror.apply_message_edit(message, fetch=fetcher(message))
            return f"edit: {outcome.note}"
        case MessagesDeleted(message_ids=ids):
            return f"delete: {mirror.apply_message_delete(ids)} file(s) gone"
        case ChannelChanged(channel=record, created=created):
            folder = channels.upsert_channel(record, new_on_discord=created)
            return f"channel {record.id}: {folder.name if folder else 'not a folder'}"
        case ChannelDeleted(channel_id=channel_id):
            return f"channel {channel_id}: {channels.apply_channel_delete(channel_id)}"
        case GuildSynced(guild=guild):
            return f"guild {guild.id}: {channels.sync_guild(guild)}"
        case GuildUpdated(guild_id=guild_id, attachment_limit=limit):
            channels.update_guild(guild_id, limit)
            return f"guild {guild_id}: limit {limit}"
        case MemberUpdated(guild_id=guild_id, user_id=user_id, role_ids=role_ids):
            channels.member_updated(guild_id, user_id, role_ids)
            return f"member {user_id}: {len(role_ids)} role(s)"
    raise TypeError(f"not a mirror event: {event!r}")  # pragma: no cover


def apply_with_retry(event: Event) -> str:
    """``apply_event``, once more on a fresh connection if the database dropped ours."""
    try:
        return apply_event(event)
    except (OperationalError, InterfaceError):
        connection.close()
        return apply_event(event)


def catch_up_cursors() -> dict[int, int]:
    """Discord channel id -> newest message applied, for every mapped channel with a cursor."""
    rows = Channel.objects.filter(
        discord_channel_id__isnull=False, discord_last_message_id__isnull=False
    ).values_list("discord_channel_id", "discord_last_message_id")
    return {int(c or 0): int(m or 0) for c, m in rows}
