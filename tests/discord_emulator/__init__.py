"""A local Discord API v10 emulator (REST, CDN, gateway) strict enough to test against.

See README.md. Public API: :class:`Emulator`, :class:`EmulatorConfig`, and the pytest
fixtures in :mod:`tests.discord_emulator.fixtures`.
"""

from __future__ import annotations

from .emulator import Emulator, Faults
from .services import EmulatorConfig

__all__ = ["Emulator", "EmulatorConfig", "Faults"]
