"""The emulator's world, as plain dataclasses. Serialisation lives in ``payloads.py``."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

MIB = 1024 * 1024

# Discord channel types (https://discord.com/developers/docs/resources/channel#channel-object-channel-types).
GUILD_TEXT = 0
GUILD_CATEGORY = 4

# Per-attachment upload limit by guild boost tier, as discord.py's Guild._PREMIUM_GUILD_LIMITS.
TIER_ATTACHMENT_BYTES = {0: 10 * MIB, 1: 10 * MIB, 2: 50 * MIB, 3: 100 * MIB}
# Boosts needed for each tier (reported as premium_subscription_count).
TIER_BOOSTS = {0: 0, 1: 2, 2: 7, 3: 14}
ALL_PERMISSIONS = (1 << 51) - 1
DEFAULT_EVERYONE_PERMISSIONS = 1_071_698_660_929


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    position: int = 0
    permissions: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False


@dataclass
class Member:
    user_id: int
    guild_id: int
    joined_at: str
    roles: list[int] = field(default_factory=list)
    nick: str | None = None


@dataclass
class Limits:
    """What one guild accepts. ``None`` fields follow the boost tier."""

    attachment_bytes: int | None = None
    request_bytes: int | None = None
    max_attachments: int = 10
    content_chars: int = 2000
    max_channels: int = 500
    max_channels_per_category: int = 50

    def effective_attachment_bytes(self, premium_tier: int) -> int:
        if self.attachment_bytes is not None:
            return self.attachment_bytes
        return TIER_ATTACHMENT_BYTES[premium_tier]

    def effective_request_bytes(self, premium_tier: int) -> int:
        """25 MiB, or the attachment limit when a boost tier raises it above that."""
        if self.request_bytes is not None:
            return self.request_bytes
        return max(25 * MIB, self.effective_attachment_bytes(premium_tier))


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    joined_at: str
    premium_tier: int = 0
    limits: Limits = field(default_factory=Limits)
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)


@dataclass
class Attachment:
    id: int
    channel_id: int
    message_id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Message:
    id: int
    channel_id: int
    guild_id: int
    author_id: int
    content: str
    attachments: list[Attachment] = field(default_factory=list)
    embeds: list[dict[str, object]] = field(default_factory=list)
    nonce: str | None = None
    tts: bool = False
    flags: int = 0
    edited_timestamp: str | None = None
    mention_ids: list[int] = field(default_factory=list)


@dataclass
class Channel:
    id: int
    guild_id: int
    type: int
    name: str
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    last_message_id: int | None = None
    messages: dict[int, Message] = field(default_factory=dict)
    message_order: list[int] = field(default_factory=list)

    def add_message(self, message: Message) -> None:
        self.messages[message.id] = message
        bisect.insort(self.message_order, message.id)
        if self.last_message_id is None or message.id > self.last_message_id:
            self.last_message_id = message.id

    def remove_message(self, message_id: int) -> Message | None:
        message = self.messages.pop(message_id, None)
        if message is not None:
            index = bisect.bisect_left(self.message_order, message_id)
            del self.message_order[index]
        return message
