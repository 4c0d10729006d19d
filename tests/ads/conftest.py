"""ADS/DWS tests use the web tests' fixed people and folders (alice, bob, charlie).

``screen_world`` adds what screens need: a folder of bob's with images of
known shapes and tones, a profile over it, and a TV paired to that profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from authware.models import Grant
from junefs.models import Channel, File
from sequenzia.ads import pairing
from sequenzia.ads.models import Display, DisplayProfile
from sequenzia.ads.views.pairing import pairing_count_key
from tests.factories import ingest_bytes, jpeg_bytes, make_channel
from tests.web.conftest import World, build_world, fast_passwords

__all__ = ["ScreenWorld", "fast_passwords", "make_images", "pair_display"]


@dataclass
class ScreenWorld:
    world: World
    folder: Channel
    images: list[File]
    profile: DisplayProfile
    display: Display
    token: str

    @property
    def tv(self) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")


def make_images(folder: Channel, count: int, *, start: int = 0, **shape: Any) -> list[File]:
    """``count`` small images: alternately landscape/portrait and dark/light."""
    files = []
    for i in range(start, start + count):
        landscape = i % 2 == 0
        size = (60, 40) if landscape else (40, 60)
        width, height = shape.get("size", size)
        if shape.get("photo"):  # pictures worth a screenshot (tone left to chance)
            data = jpeg_bytes(width * 8, height * 8, seed=i)
        else:
            dark = shape.get("dark", i % 4 < 2)
            color = (20, 20, 30) if dark else (230, 225, 210)
            data = jpeg_bytes(width, height, color=(color[0], color[1], (color[2] + i) % 256))
        files.append(ingest_bytes(data, folder, f"img-{i:03d}.jpg", upload="none").file)
    return files


def pair_display(owner: Any, profile: DisplayProfile, name: str = "TV") -> tuple[Display, str]:
    """Pair a TV the way the pages do: start, approve, claim."""
    started = pairing.start()
    pairing.approve(started.pairing.code, owner, profile, name)
    claim = pairing.claim(started.secret)
    assert claim.status == "approved" and claim.display is not None
    return claim.display, claim.token


def build_screen_world(count: int = 12, *, photo: bool = False) -> ScreenWorld:
    world = build_world()
    folder = make_channel("screens")
    Grant.objects.create(channel=folder, user=world.bob, perm="read")
    images = make_images(folder, count, photo=photo)
    profile = DisplayProfile.objects.create(
        owner=world.bob, name="Screens", query=f"folder={folder.pk}", interval_ms=500
    )
    display, token = pair_display(world.bob, profile)
    display.profile = profile  # one object, so tests that edit the profile edit the display's
    return ScreenWorld(world, folder, images, profile, display, token)


@pytest.fixture(autouse=True)
def fresh_pairing_counts() -> None:
    """Pairings per address are counted in the cache, which (Redis) outlives test databases."""
    for address in ("127.0.0.1", "192.0.2.7", "192.0.2.8"):
        cache.delete(pairing_count_key(address))


@pytest.fixture
def screens(db: None) -> ScreenWorld:
    return build_screen_world()
