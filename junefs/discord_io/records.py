"""Plain records of what Discord said: the mirror works on these, not on discord.py objects.

The client builds them from discord.py's parsed objects (gateway events and
history alike), so the services in ``mirror`` and ``channels`` are plain sync
code, easy to call twice and to test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

#: Discord's channel types that are folders (text and announcement channels).
FOLDER_CHANNEL_TYPES = frozenset({0, 5})
CATEGORY_CHANNEL_TYPE = 4
#: Message types that are someone posting (default and reply).
POSTED_MESSAGE_TYPES = frozenset({0, 19})


@dataclass(frozen=True)
class AttachmentRecord:
    id: int
    filename: str
    size: int
    url: str
    content_type: str = ""


@dataclass(frozen=True)
class MessageRecord:
    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str
    created_at: datetime
    attachments: tuple[AttachmentRecord, ...] = ()
    type: int = 0

    @property
    def posted(self) -> bool:
        return self.type in POSTED_MESSAGE_TYPES


@dataclass(frozen=True)
class ChannelRecord:
    id: int
    guild_id: int
    name: str
    type: int
    category: str = ""
    category_id: int | None = None
    nsfw: bool = False
    position: int = 0
    topic: str = ""

    @property
    def is_folder(self) -> bool:
        return self.type in FOLDER_CHANNEL_TYPES


@dataclass(frozen=True)
class GuildRecord:
    id: int
    name: str
    attachment_limit: int
    channels: tuple[ChannelRecord, ...] = field(default=())


DISCORD_EPOCH_MS = 1_420_070_400_000


def snowflake_time(snowflake: int) -> datetime:
    """When a Discord id was made (ids carry milliseconds since 2015 in their top bits)."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)
