"""Discord I/O tests: discord.py's real client and REST code against the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from junefs.models import Channel, Server
from tests.discord_emulator.emulator import Emulator
from tests.discord_emulator.fixtures import (  # noqa: F401  (pytest finds fixtures by name)
    emulator,
    emulator_config,
)
from tests.discord_io.helpers import MirrorThread
from tests.processes import drain_task_queue


@pytest.fixture(autouse=True)
def empty_task_queue() -> Iterator[None]:
    """Tasks queued by a test (reads of mirrored files) never reach a later test's worker."""
    yield
    drain_task_queue()


@pytest.fixture
def discord_settings(settings, emulator: Emulator) -> Emulator:  # type: ignore[no-untyped-def]  # noqa: F811
    """Settings pointing at the emulator, as a deployment would set them."""
    settings.DISCORD_TOKEN = emulator.token
    settings.DISCORD_API_BASE = emulator.api_base
    settings.DISCORD_GATEWAY_URL = emulator.gateway_url
    return emulator


@pytest.fixture
def server(discord_settings: Emulator) -> Server:
    return Server.objects.create(name="guild", guild_id=discord_settings.guild.id)


@pytest.fixture
def folder(server: Server, discord_settings: Emulator) -> Channel:
    """The emulator's default text channel, mapped."""
    channel = discord_settings.channel
    return Channel.objects.create(
        server=server,
        name=channel.name,
        category=discord_settings.category.name,
        discord_channel_id=channel.id,
    )


@pytest.fixture
def mirror(discord_settings: Emulator) -> Iterator[MirrorThread]:
    """A MirrorClient connected to the emulator, running on its own thread and loop."""
    thread = MirrorThread(discord_settings.token)
    thread.start()
    yield thread
    thread.stop()
