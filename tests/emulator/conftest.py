"""The emulator's own tests: every rule checked through discord.py's real HTTP and gateway."""

from tests.discord_emulator.fixtures import (  # noqa: F401  (pytest finds fixtures by name)
    discord_client,
    discord_http,
    emulator,
    emulator_config,
)
