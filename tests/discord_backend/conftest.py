"""The Discord backend against the emulator, through discord.py's real code over loopback.

Each test gets its own emulator (fresh world, buckets and counters) and a
``Server`` whose parts, thumbnails and folder channels are real channels in
the emulator's guild. Settings point ``DISCORD_API_BASE`` at the emulator and
``STORAGE_BACKEND`` at ``discord``; retries back off in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from junefs.backends import get_backend
from junefs.backends.discord import DiscordBackend
from junefs.backends.discord.client import close_sessions
from junefs.manifest import PartLine, parse_file, parse_part
from junefs.models import Channel, Server
from tests.discord_emulator.emulator import Emulator
from tests.discord_emulator.fixtures import emulator  # noqa: F401 - a fixture
from tests.discord_emulator.models import Message
from tests.discord_emulator.services import EmulatorConfig


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    # Discord-like rules, with roomier message buckets so tests do not sit out
    # 5-second windows (the benchmark uses Discord-like buckets).
    return EmulatorConfig(
        buckets={"message_create": (30, 1.0), "message_delete": (30, 1.0)},
    )


@pytest.fixture
def discord_settings(settings, emulator: Emulator) -> Iterator[object]:  # type: ignore[no-untyped-def]  # noqa: F811
    settings.STORAGE_BACKEND = "discord"
    settings.DISCORD_TOKEN = emulator.token
    settings.DISCORD_API_BASE = emulator.api_base
    settings.DISCORD_GATEWAY_URL = emulator.gateway_url
    settings.DISCORD_RETRY_BASE_DELAY = 0.01
    settings.DISCORD_RETRY_MAX_DELAY = 0.1
    settings.DISCORD_REQUEST_TIMEOUT = 60.0
    settings.JUNEFS_UPLOAD_CONCURRENCY = 4
    get_backend.cache_clear()
    yield settings
    close_sessions()
    get_backend.cache_clear()


@dataclass
class World:
    """The emulator plus the JuneFS rows that mirror its guild."""

    emulator: Emulator
    server: Server
    folder: Channel
    parts_channels: list[int]
    thumbnails_channel: int
    guild_id: int
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def backend(self) -> DiscordBackend:
        backend = get_backend()
        assert isinstance(backend, DiscordBackend)
        return backend

    @property
    def folder_channel(self) -> int:
        assert self.folder.discord_channel_id is not None
        return self.folder.discord_channel_id

    def bot_messages(self, channel_id: int) -> list[Message]:
        bot = self.emulator.bot.id
        return [m for m in self.emulator.messages(channel_id) if m.author_id == bot]

    def part_messages(self, sha256: str | None = None) -> list[tuple[int, Message, PartLine]]:
        """(channel, message, part line) of every part message in the parts channels."""
        found = []
        for channel_id in self.parts_channels:
            for message in self.bot_messages(channel_id):
                line = parse_part(message.content)
                if line is not None and (sha256 is None or line.file_sha256 == sha256):
                    found.append((channel_id, message, line))
        return found

    def parent_messages(self, channel_id: int | None = None) -> list[Message]:
        channel_id = channel_id or self.folder_channel
        return [m for m in self.bot_messages(channel_id) if parse_file(m.content) is not None]

    def new_folder(self, name: str, *, with_channel: bool = True) -> Channel:
        channel_id = None
        if with_channel:
            channel_id = self.emulator.create_channel(self.guild_id, name).id
        return Channel.objects.create(server=self.server, name=name, discord_channel_id=channel_id)


def build_world(
    emulator: Emulator,  # noqa: F811
    *,
    parts_channels: int = 1,
    guild_id: int | None = None,
    attachment_limit: int | None = None,
    server_name: str = "Guild",
) -> World:
    guild = guild_id or emulator.guild.id
    parts = [emulator.create_channel(guild, f"parts-{i}").id for i in range(parts_channels)]
    thumbs = emulator.create_channel(guild, "thumbnails").id
    folder_channel = emulator.create_channel(guild, "pictures").id
    server = Server.objects.create(
        name=server_name,
        guild_id=guild,
        parts_channel_ids=parts,
        thumbnails_channel_id=thumbs,
        attachment_limit=attachment_limit,
    )
    folder = Channel.objects.create(
        server=server, name="pictures", discord_channel_id=folder_channel
    )
    return World(emulator, server, folder, parts, thumbs, guild)


@pytest.fixture
def world(db, discord_settings, emulator: Emulator) -> World:  # type: ignore[no-untyped-def]  # noqa: F811
    return build_world(emulator)
