"""ADS and DWS (screens and the wallpaper API), under /ads/ and /dws/."""

from __future__ import annotations

from tests.web.conftest import World
from tests.web.permission_cases.common import Case

CASES: list[Case] = []


def setup(world: World) -> None:
    """Profiles, displays and pairings the ADS cases name (through ``world.extra``)."""
