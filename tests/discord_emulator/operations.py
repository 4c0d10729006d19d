"""The test/state API as plain functions on the services (run them on the emulator loop).

``Emulator`` (in-process) and ``control.py`` (HTTP, for a subprocess) both call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .counters import Counters
from .messages import MessageInput, UploadedFile
from .models import GUILD_CATEGORY, GUILD_TEXT, Channel, Guild, Message, Role, User
from .services import Services
from .state import PRIVILEGED_INTENTS


@dataclass(frozen=True)
class DefaultWorld:
    bot: User
    token: str
    person: User
    guild: Guild
    category: Channel
    channel: Channel


def seed_default_world(services: Services) -> DefaultWorld:
    world = services.world
    config = services.config
    bot = world.create_user(config.bot_name, bot=True, token=config.bot_token)
    person = world.create_user("alice")
    guild = world.create_guild("Sequenzia Test", owner_id=person.id)
    world.add_member(guild.id, bot.id)
    category = world.create_channel(guild.id, "Sequenzia", type=GUILD_CATEGORY)
    channel = world.create_channel(guild.id, "general", type=GUILD_TEXT, parent_id=category.id)
    return DefaultWorld(bot, config.bot_token, person, guild, category, channel)


def create_user(
    services: Services,
    username: str,
    *,
    bot: bool = False,
    token: str | None = None,
    privileged_intents: int = PRIVILEGED_INTENTS,
) -> User:
    return services.world.create_user(
        username, bot=bot, token=token, privileged_intents=privileged_intents
    )


def token_for(services: Services, user_id: int) -> str:
    bot = services.world.bot_by_user(user_id)
    if bot is None:
        raise KeyError(f"user {user_id} is not a bot")
    return bot.token


def create_guild(
    services: Services,
    name: str,
    *,
    owner_id: int,
    member_ids: Sequence[int] = (),
    premium_tier: int = 0,
) -> Guild:
    world = services.world
    guild = world.create_guild(name, owner_id=owner_id, premium_tier=premium_tier)
    for user_id in member_ids:
        if user_id not in guild.members:
            world.add_member(guild.id, user_id)
    return guild


def add_member(
    services: Services, guild_id: int, user_id: int, role_ids: Sequence[int] = ()
) -> None:
    services.world.add_member(guild_id, user_id, list(role_ids))


def remove_member(services: Services, guild_id: int, user_id: int) -> None:
    services.world.remove_member(guild_id, user_id)


def create_role(
    services: Services, guild_id: int, name: str, *, permissions: int = 0, color: int = 0
) -> Role:
    return services.world.create_role(guild_id, name, permissions=permissions, color=color)


def delete_role(services: Services, guild_id: int, role_id: int) -> None:
    services.world.delete_role(guild_id, role_id)


def set_member_roles(
    services: Services, guild_id: int, user_id: int, role_ids: Sequence[int]
) -> None:
    services.world.set_member_roles(guild_id, user_id, list(role_ids))


def create_channel(
    services: Services,
    guild_id: int,
    name: str,
    *,
    type: int = GUILD_TEXT,
    parent_id: int | None = None,
    topic: str | None = None,
) -> Channel:
    return services.world.create_channel(
        guild_id, name, type=type, parent_id=parent_id, topic=topic
    )


def update_channel(services: Services, channel_id: int, **changes: Any) -> Channel:
    return services.world.update_channel(channel_id, changes)


def delete_channel(services: Services, channel_id: int) -> None:
    services.world.delete_channel(channel_id)


def post_message(
    services: Services,
    channel_id: int,
    author_id: int,
    content: str = "",
    *,
    files: Sequence[tuple[str, bytes]] = (),
    embeds: list[dict[str, Any]] | None = None,
    created_at: dt.datetime | None = None,
) -> Message:
    """Post as anyone (a person, for the mirror), under the channel's usual rules."""
    channel = services.world.channel(channel_id)
    if author_id not in services.world.guilds[channel.guild_id].members:
        raise ValueError(f"user {author_id} is not in the channel's guild")
    uploads = [UploadedFile(i, name, data) for i, (name, data) in enumerate(files)]
    body = MessageInput(content=content or None, embeds=embeds, files=uploads)
    message = services.messages.create(channel, author_id, body, created_at=created_at)
    services.counters.bytes_uploaded += sum(a.size for a in message.attachments)
    return message


def delete_message(
    services: Services, channel_id: int, message_id: int, *, emit_event: bool = True
) -> None:
    """Delete behind the client's back; ``emit_event=False`` sends no MESSAGE_DELETE."""
    services.messages.delete(services.world.channel(channel_id), message_id, emit=emit_event)


def list_messages(services: Services, channel_id: int) -> list[Message]:
    """Every message in the channel, oldest first."""
    channel = services.world.channel(channel_id)
    return [channel.messages[i] for i in channel.message_order]


def attachment_urls(services: Services, attachment_id: int) -> tuple[str, str]:
    return services.cdn.sign(services.world.attachments[attachment_id])


def set_limits(services: Services, guild_id: int, **limits: Any) -> None:
    guild = services.world.guild(guild_id)
    for key, value in limits.items():
        if not hasattr(guild.limits, key):
            raise KeyError(f"unknown limit {key!r}")
        setattr(guild.limits, key, value)


def set_premium_tier(services: Services, guild_id: int, tier: int) -> None:
    services.world.set_premium_tier(guild_id, tier)


def set_bucket(services: Services, name: str, limit: int, window: float) -> None:
    services.limiter.set_bucket(name, limit, window)


def set_global_limit(services: Services, limit: int, window: float = 1.0) -> None:
    services.limiter.set_global(limit, window)


def set_invalid_request_limit(services: Services, limit: int, *, ban_seconds: float) -> None:
    services.limiter.invalid_limit = limit
    services.limiter.ban_seconds = ban_seconds


def bucket_names(services: Services) -> list[str]:
    return sorted(services.limiter.specs)


def configure(services: Services, **changes: Any) -> None:
    """Change config fields read at use time (cdn_url_ttl, heartbeat_*, session_ttl, ...)."""
    for key, value in changes.items():
        if not hasattr(services.config, key):
            raise KeyError(f"unknown config field {key!r}")
        setattr(services.config, key, value)


def advance_clock(services: Services, seconds: float) -> None:
    services.clock.advance(seconds)


def counters(services: Services) -> dict[str, Any]:
    snapshot = services.counters.snapshot()
    snapshot["invalid_requests"] = services.limiter.invalid_count()
    return snapshot


def reset_counters(services: Services) -> None:
    services.counters = Counters()


def sessions(services: Services) -> list[dict[str, Any]]:
    return [
        {
            "id": s.id,
            "bot_id": s.bot.user_id,
            "seq": s.seq,
            "intents": s.intents,
            "connected": s.connection is not None,
        }
        for s in services.gateway.sessions.values()
    ]


def force_disconnect(
    services: Services, code: int | None = 4000, session_id: str | None = None
) -> int:
    return services.gateway.force_disconnect(code, session_id)


def send_reconnect(services: Services, session_id: str | None = None) -> int:
    return services.gateway.send_reconnect(session_id)


def invalidate_session(
    services: Services, resumable: bool = False, session_id: str | None = None
) -> int:
    return services.gateway.invalidate_session(resumable, session_id)


def request_heartbeat(services: Services, session_id: str | None = None) -> int:
    return services.gateway.request_heartbeat(session_id)
