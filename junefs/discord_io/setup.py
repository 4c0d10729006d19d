"""``discord_io setup --guild ID``: map a guild's channels to folders.

Reads the guild over REST, picks its system channels (the server's own when
it has them, else channels named ``sequenzia-parts*`` and
``sequenzia-thumbnails``, else creates them in a ``Sequenzia`` category), then
records the server and one folder per text channel. Running it again changes
only what changed on Discord.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import discord
from asgiref.sync import sync_to_async
from django.db import transaction

from junefs.discord_io.channels import sync_guild
from junefs.discord_io.convert import guild_record
from junefs.discord_io.records import GuildRecord
from junefs.models import Channel, Server

log = logging.getLogger(__name__)

PARTS_NAME = "sequenzia-parts"
THUMBNAILS_NAME = "sequenzia-thumbnails"
SYSTEM_CATEGORY = "Sequenzia storage"
SYSTEM_TOPIC = "Sequenzia keeps {what} here. Do not post or delete messages in this channel."


class SetupError(Exception):
    """Setup cannot go on (one line for the command)."""


@dataclass
class SetupReport:
    server: str
    guild: str
    parts: list[str] = field(default_factory=list)
    thumbnails: str = ""
    created: list[str] = field(default_factory=list)
    folders: int = 0
    new_folders: int = 0


def _known_system_channels(guild_id: int) -> tuple[list[int], int | None]:
    server = Server.objects.filter(guild_id=guild_id).first()
    if server is None:
        return [], None
    return [int(c) for c in server.parts_channel_ids or ()], server.thumbnails_channel_id


async def setup_guild(
    guild_id: int, *, token: str, server_name: str | None = None, parts_count: int = 2
) -> SetupReport:
    client = discord.Client(intents=discord.Intents(guilds=True))  # REST only: no gateway
    async with client:
        await client.login(token)
        try:
            guild = await client.fetch_guild(guild_id)
        except (discord.NotFound, discord.Forbidden):
            raise SetupError(
                f"the bot is not a member of guild {guild_id} (or it does not exist)"
            ) from None
        channels: list[discord.abc.GuildChannel] = list(await guild.fetch_channels())
        known_parts, known_thumbs = await sync_to_async(_known_system_channels)(guild_id)
        texts = {c.id: c for c in channels if isinstance(c, discord.TextChannel)}
        parts = [texts[i] for i in known_parts if i in texts] or sorted(
            (c for c in texts.values() if c.name.startswith(PARTS_NAME)), key=lambda c: c.name
        )
        thumbs = texts.get(known_thumbs or 0) or next(
            (c for c in texts.values() if c.name == THUMBNAILS_NAME), None
        )
        created: list[discord.TextChannel] = []
        if not parts or thumbs is None:
            category = await _system_category(guild, channels)
            if not parts:
                for n in range(1, parts_count + 1):
                    name = PARTS_NAME if parts_count == 1 else f"{PARTS_NAME}-{n}"
                    topic = SYSTEM_TOPIC.format(what="file parts")
                    made = await guild.create_text_channel(name, category=category, topic=topic)
                    parts.append(made)
                    created.append(made)
            if thumbs is None:
                topic = SYSTEM_TOPIC.format(what="thumbnails")
                thumbs = await guild.create_text_channel(
                    THUMBNAILS_NAME, category=category, topic=topic
                )
                created.append(thumbs)
        record = guild_record(guild, [*channels, *created])
        report = await sync_to_async(record_guild)(
            record, server_name, [c.id for c in parts], thumbs.id
        )
    report.parts = [f"#{c.name}" for c in parts]
    report.thumbnails = f"#{thumbs.name}"
    report.created = [f"#{c.name}" for c in created]
    return report


async def _system_category(
    guild: discord.Guild, channels: list[discord.abc.GuildChannel]
) -> discord.CategoryChannel:
    for channel in channels:
        if isinstance(channel, discord.CategoryChannel) and channel.name == SYSTEM_CATEGORY:
            return channel
    category = await guild.create_category(SYSTEM_CATEGORY)
    channels.append(category)
    return category


def _server_for(guild: GuildRecord, server_name: str | None) -> Server:
    server = Server.objects.filter(guild_id=guild.id).first()
    if server is not None:
        return server
    if server_name:
        server = Server.objects.filter(name=server_name).first()
        if server is None:
            raise SetupError(f"no server named {server_name!r}")
        if server.guild_id is not None:
            raise SetupError(f"server {server_name!r} is already guild {server.guild_id}")
        return server
    name = guild.name[:100] or str(guild.id)
    if Server.objects.filter(name=name).exists():
        name = f"{name[: 99 - len(str(guild.id)) - 2]} ({guild.id})"
    return Server(name=name)


def record_guild(
    guild: GuildRecord, server_name: str | None, parts: list[int], thumbnails: int
) -> SetupReport:
    with transaction.atomic():
        server = _server_for(guild, server_name)
        server.guild_id = guild.id
        server.parts_channel_ids = parts
        server.thumbnails_channel_id = thumbnails
        server.attachment_limit = guild.attachment_limit
        server.save()
        before = Channel.objects.filter(server=server, discord_channel_id__isnull=False).count()
        result = sync_guild(guild)
    return SetupReport(
        server=server.name,
        guild=f"{guild.name} ({guild.id})",
        folders=result["mapped"],
        new_folders=max(0, result["mapped"] - before),
    )
