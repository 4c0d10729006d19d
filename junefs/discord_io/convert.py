"""discord.py objects -> the plain records the mirror works on."""

from __future__ import annotations

import discord

from junefs.discord_io.records import (
    AttachmentRecord,
    ChannelRecord,
    GuildRecord,
    MessageRecord,
)

# The mirror never joins voice: no warnings about voice libraries that are not installed.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


def mirror_intents() -> discord.Intents:
    """Guilds and channels, guild messages with their content, and members (for roles)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = True
    intents.members = True
    return intents


def message_record(message: discord.Message) -> MessageRecord:
    guild = message.guild
    return MessageRecord(
        id=message.id,
        channel_id=message.channel.id,
        guild_id=guild.id if guild is not None else None,
        author_id=message.author.id,
        content=message.content or "",
        created_at=message.created_at,
        attachments=tuple(
            AttachmentRecord(
                id=a.id,
                filename=a.filename,
                size=a.size,
                url=a.url,
                content_type=a.content_type or "",
            )
            for a in message.attachments
        ),
        type=message.type.value,
    )


def channel_record(
    channel: discord.abc.GuildChannel, categories: dict[int, str] | None = None
) -> ChannelRecord:
    """``categories`` (id -> name) when the guild's cache is not loaded (REST-only use)."""
    category_id = channel.category_id
    if categories is not None:
        category_name = categories.get(category_id, "") if category_id else ""
    else:
        category = channel.category
        category_name = category.name if category is not None else ""
    topic = getattr(channel, "topic", None)
    is_nsfw = getattr(channel, "is_nsfw", None)
    return ChannelRecord(
        id=channel.id,
        guild_id=channel.guild.id,
        name=channel.name,
        type=channel.type.value,
        category=category_name,
        category_id=category_id,
        nsfw=bool(is_nsfw()) if callable(is_nsfw) else False,
        position=channel.position,
        topic=topic or "",
    )


def guild_record(
    guild: discord.Guild, channels: list[discord.abc.GuildChannel] | None = None
) -> GuildRecord:
    """The guild and its channels (from its cache, or ``channels`` as fetched over REST)."""
    listed = list(guild.channels if channels is None else channels)
    categories = {c.id: c.name for c in listed if isinstance(c, discord.CategoryChannel)}
    return GuildRecord(
        id=guild.id,
        name=guild.name,
        attachment_limit=guild.filesize_limit,
        channels=tuple(channel_record(c, categories) for c in listed),
    )


def role_ids(member: discord.Member) -> tuple[int, ...]:
    """The member's roles, without @everyone (which every member has)."""
    return tuple(sorted(r.id for r in member.roles if not r.is_default()))
