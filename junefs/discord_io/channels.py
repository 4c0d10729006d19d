"""Mirror a guild's channels into folders: create, rename, move, delete. Sync services.

Every text channel of a guild that has a ``Server`` row is a folder, except
the server's system channels (parts, thumbnails, archive), which are never
folders. Categories become ``Channel.category``; the NSFW flag, position and
topic come along.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from junefs.discord_io.mirror import forget_files, mirrored_files
from junefs.discord_io.records import ChannelRecord, GuildRecord, snowflake_time
from junefs.manifest import channel_name_for, parse_folder_topic
from junefs.models import Channel, Server
from junefs.signals import discord_member_updated

log = logging.getLogger(__name__)


def system_channel_ids(server: Server) -> set[int]:
    ids = {int(c) for c in server.parts_channel_ids or ()}
    ids |= {c for c in (server.thumbnails_channel_id, server.archive_channel_id) if c}
    return ids


def _free_name(server: Server, wanted: str, record: ChannelRecord, own_pk: int | None) -> str:
    """``wanted`` unless another folder of the server has it (Discord allows repeats)."""
    wanted = wanted[:100] or str(record.id)
    taken = Channel.objects.filter(server=server, name=wanted)
    if own_pk is not None:
        taken = taken.exclude(pk=own_pk)
    if not taken.exists():
        return wanted
    return f"{wanted[: 99 - len(str(record.id))]}-{record.id}"


def upsert_channel(record: ChannelRecord, *, new_on_discord: bool = False) -> Channel | None:
    """Create or update the folder of a Discord channel; None when it is not a folder.

    ``new_on_discord``: the channel was just created, so the mirror has seen
    everything in it (catch-up after a restart reads all of it).
    """
    server = Server.objects.filter(guild_id=record.guild_id).first()
    if server is None or not record.is_folder or record.id in system_channel_ids(server):
        return None
    made_for, description = parse_folder_topic(record.topic)
    fields = {
        "category": record.category[:100],
        "nsfw": record.nsfw,
        "position": record.position,
        "description": description,
    }
    with transaction.atomic():
        channel = Channel.objects.filter(discord_channel_id=record.id).first()
        if channel is None and made_for is not None:
            # The backend made this channel for a folder (maybe not recorded yet).
            channel = (
                Channel.objects.filter(pk=made_for, server=server)
                .filter(Q(discord_channel_id__isnull=True) | Q(discord_channel_id=record.id))
                .first()
            )
        if channel is None:
            # A folder made by hand with this name (not yet on Discord) is adopted.
            channel = Channel.objects.filter(
                server=server, name=record.name, discord_channel_id__isnull=True
            ).first()
        if channel is None:
            channel = Channel.objects.create(
                server=server,
                name=_free_name(server, record.name, record, None),
                discord_channel_id=record.id,
                discord_last_message_id=record.id if new_on_discord else None,
                **fields,
            )
            log.info("mirror: new folder %s for channel %s", channel.name, record.id)
            return channel
        changed = [k for k, v in fields.items() if getattr(channel, k) != v]
        for key in changed:
            setattr(channel, key, fields[key])
        if channel.discord_channel_id != record.id:
            channel.discord_channel_id = record.id
            changed.append("discord_channel_id")
        # Discord lowercases and dashes names: "New Folder" shows as "new-folder".
        # Only a name that differs from that form is a rename done on Discord.
        if record.name not in (channel.name, channel_name_for(channel.name, channel.pk)):
            name = _free_name(server, record.name, record, channel.pk)
            if name != channel.name:
                channel.name = name
                changed.append("name")
        if changed:
            channel.save(update_fields=changed)
    return channel


def apply_channel_delete(discord_channel_id: int) -> str:
    """The channel is gone, and with it the attachments posted there.

    Files whose bytes were those attachments go too. Files stored by the
    backend (parts elsewhere) stay: the folder is kept, no longer mapped, so
    they can be moved on. An empty folder is deleted.
    """
    channel = Channel.objects.filter(discord_channel_id=discord_channel_id).first()
    if channel is None:
        return "not mapped"
    forget_files(list(mirrored_files().filter(channel=channel)))
    if channel.files.exists():
        Channel.objects.filter(pk=channel.pk).update(discord_channel_id=None)
        log.warning(
            "mirror: channel %s deleted on Discord; folder %s kept for its %s stored file(s)",
            discord_channel_id,
            channel.name,
            channel.files.count(),
        )
        return "kept"
    channel.delete()
    return "deleted"


def sync_guild(guild: GuildRecord) -> dict[str, int]:
    """Bring a guild's folders in line with its channels (after connecting)."""
    server = Server.objects.filter(guild_id=guild.id).first()
    if server is None:
        return {"mapped": 0}
    if server.attachment_limit != guild.attachment_limit:
        Server.objects.filter(pk=server.pk).update(attachment_limit=guild.attachment_limit)
    seen = set()
    for record in guild.channels:
        # A channel made after the guild was mapped appeared while we were away:
        # catch-up reads all of it. Older ones wait for `junefs index`.
        new = snowflake_time(record.id) > server.created_at
        if upsert_channel(record, new_on_discord=new) is not None:
            seen.add(record.id)
    gone = Channel.objects.filter(server=server, discord_channel_id__isnull=False).exclude(
        discord_channel_id__in=seen
    )
    removed = 0
    if guild.channels:  # an empty list means the guild was not loaded: change nothing
        for discord_id in list(gone.values_list("discord_channel_id", flat=True)):
            apply_channel_delete(int(discord_id or 0))
            removed += 1
    return {"mapped": len(seen), "removed": removed}


def update_guild(guild_id: int, attachment_limit: int) -> None:
    Server.objects.filter(guild_id=guild_id).exclude(attachment_limit=attachment_limit).update(
        attachment_limit=attachment_limit
    )


def member_updated(guild_id: int, user_id: int, role_ids: Iterable[int]) -> None:
    """Tell other apps (the web side maps roles to groups) a member's roles."""
    discord_member_updated.send(
        sender=Channel, guild_id=guild_id, user_id=user_id, role_ids=sorted(role_ids)
    )
