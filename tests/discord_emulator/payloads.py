"""JSON payloads with the fields Discord sends and discord.py reads.

Object shapes: https://discord.com/developers/docs/resources/{user,guild,channel,message}.
Each function is checked in tests by building the matching discord.py object.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any

from .models import TIER_BOOSTS, Attachment, Channel, Guild, Member, Message, Role, User
from .snowflake import snowflake_timestamp

# attachment -> (url, proxy_url), freshly signed (see cdn.py)
UrlSigner = Callable[[Attachment], tuple[str, str]]


def user_payload(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(user.id),
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
    }
    if user.bot:
        data["bot"] = True
    return data


def current_user_payload(user: User) -> dict[str, Any]:
    data = user_payload(user)
    data.update(
        {
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "premium_type": 0,
            "email": None,
        }
    )
    return data


def role_payload(role: Role) -> dict[str, Any]:
    return {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
    }


def member_payload(member: Member, user: User | None) -> dict[str, Any]:
    """A guild member; ``user`` is None for the partial member inside MESSAGE_CREATE."""
    data: dict[str, Any] = {
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "roles": [str(role_id) for role_id in member.roles],
        "joined_at": member.joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if user is not None:
        data["user"] = user_payload(user)
    return data


def channel_payload(channel: Channel) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": [],
        "parent_id": None if channel.parent_id is None else str(channel.parent_id),
        "nsfw": channel.nsfw,
        "flags": 0,
    }
    if channel.type == 0:
        data.update(
            {
                "topic": channel.topic,
                "last_message_id": (
                    None if channel.last_message_id is None else str(channel.last_message_id)
                ),
                "rate_limit_per_user": channel.rate_limit_per_user,
                "last_pin_timestamp": None,
            }
        )
    return data


def guild_payload(guild: Guild, *, with_counts: bool = False) -> dict[str, Any]:
    """The REST guild object (no channels or members, as ``GET /guilds/{id}``)."""
    data: dict[str, Any] = {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role_payload(role) for role in guild.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_presences": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": guild.premium_tier,
        "premium_subscription_count": TIER_BOOSTS[guild.premium_tier],
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "incidents_data": None,
    }
    if with_counts:
        data["approximate_member_count"] = len(guild.members)
        data["approximate_presence_count"] = 0
    return data


def attachment_payload(attachment: Attachment, sign: UrlSigner) -> dict[str, Any]:
    url, proxy_url = sign(attachment)
    data: dict[str, Any] = {
        "id": str(attachment.id),
        "filename": attachment.filename,
        "size": attachment.size,
        "url": url,
        "proxy_url": proxy_url,
    }
    if attachment.content_type is not None:
        data["content_type"] = attachment.content_type
    if attachment.description is not None:
        data["description"] = attachment.description
    return data


def guess_content_type(filename: str) -> str | None:
    """Discord sniffs the type itself (ignoring the part's header) and omits unknown ones."""
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    if guessed is not None and guessed.startswith("text/"):
        return f"{guessed}; charset=utf-8"
    return guessed


def message_payload(
    message: Message,
    author: User,
    sign: UrlSigner,
    mentions: list[User],
    *,
    include_nonce: bool = False,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(message.id),
        "channel_id": str(message.channel_id),
        "type": 0,
        "author": user_payload(author),
        "content": message.content,
        "timestamp": snowflake_timestamp(message.id),
        "edited_timestamp": message.edited_timestamp,
        "tts": message.tts,
        "mention_everyone": False,
        "mentions": [user_payload(user) for user in mentions],
        "mention_roles": [],
        "attachments": [attachment_payload(a, sign) for a in message.attachments],
        "embeds": list(message.embeds),
        "pinned": False,
        "flags": message.flags,
        "components": [],
    }
    if include_nonce and message.nonce is not None:
        data["nonce"] = message.nonce
    return data


def strip_message_content(data: dict[str, Any]) -> dict[str, Any]:
    """What an app without the MESSAGE_CONTENT intent sees of someone else's message.

    https://discord.com/developers/docs/events/gateway#message-content-intent
    """
    stripped = dict(data)
    stripped.update({"content": "", "embeds": [], "attachments": [], "components": []})
    stripped.pop("poll", None)
    return stripped
