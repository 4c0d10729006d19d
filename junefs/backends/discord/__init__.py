"""The Discord backend (``STORAGE_BACKEND=discord``); see :mod:`.backend`."""

from junefs.backends.discord.backend import DiscordBackend

__all__ = ["DiscordBackend"]
