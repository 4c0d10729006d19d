"""pytest fixtures for any test folder: ``from tests.discord_emulator.fixtures import *``.

- ``emulator_config``: override it in a conftest to change limits, TTLs, seed...
- ``emulator``: a running :class:`Emulator` with discord.py pointed at it.
- ``discord_http``: a logged-in ``discord.http.HTTPClient`` (discord.py's real REST code).
- ``discord_client``: a ``discord.Client`` connected through the gateway and ready.
- ``connected_client(emulator, ...)``: the same as an async context manager, for
  several clients or custom intents.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import discord
import discord.http
import pytest

from .emulator import Emulator
from .services import EmulatorConfig

__all__ = [
    "connected_client",
    "discord_client",
    "discord_http",
    "emulator",
    "emulator_config",
    "logged_in_http",
]


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig()


@pytest.fixture
def emulator(emulator_config: EmulatorConfig) -> Iterator[Emulator]:
    with Emulator(emulator_config) as emu, emu.patch_discord():
        yield emu


@contextlib.asynccontextmanager
async def logged_in_http(token: str) -> AsyncIterator[discord.http.HTTPClient]:
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login(token)
        yield http
    finally:
        await http.close()


@pytest.fixture
async def discord_http(emulator: Emulator) -> AsyncIterator[discord.http.HTTPClient]:
    async with logged_in_http(emulator.token) as http:
        yield http


def default_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = True
    return intents


@contextlib.asynccontextmanager
async def connected_client(
    emulator: Emulator,
    *,
    token: str | None = None,
    intents: discord.Intents | None = None,
    timeout: float = 10.0,
    **options: Any,
) -> AsyncIterator[discord.Client]:
    """A started ``discord.Client`` that has seen ``on_ready``; closed on exit."""
    options.setdefault("guild_ready_timeout", 0.05)
    client = discord.Client(intents=intents or default_intents(), **options)
    runner = asyncio.create_task(client.start(token or emulator.token))
    try:
        async with asyncio.timeout(timeout):
            while not client.is_ready():
                if runner.done():
                    runner.result()  # raises what start() raised
                    raise RuntimeError("discord.Client stopped before it was ready")
                await asyncio.sleep(0.01)
        yield client
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(runner, timeout=5)


@pytest.fixture
async def discord_client(emulator: Emulator) -> AsyncIterator[discord.Client]:
    async with connected_client(emulator) as client:
        yield client
