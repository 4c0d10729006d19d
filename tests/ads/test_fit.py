"""Cover or contain, the rendition asked for, and DWS's size rules."""

from __future__ import annotations

import pytest

from sequenzia.ads.fit import (
    DEFAULT_SCREEN,
    choose_fit,
    clamp_screen,
    rendition_box,
    wallpaper_limits,
)


@pytest.mark.parametrize(
    ("image", "screen", "fit"),
    [
        ((6000, 4000), (1920, 1080), "cover"),  # 3:2 on 16:9: close, fill it
        ((1920, 1080), (3840, 2160), "cover"),
        ((3000, 4000), (1920, 1080), "contain"),  # portrait on a landscape TV: whole
        ((8000, 2000), (1920, 1080), "contain"),  # a panorama
        ((1080, 1920), (1170, 2532), "cover"),  # phone wallpaper, portrait on portrait
        ((1000, 1000), (1920, 1080), "contain"),
    ],
)
def test_auto_fit(image: tuple[int, int], screen: tuple[int, int], fit: str) -> None:
    assert choose_fit("auto", image, screen) == fit


def test_a_fixed_choice_wins() -> None:
    assert choose_fit("contain", (6000, 4000), (1920, 1080)) == "contain"
    assert choose_fit("cover", (3000, 4000), (1920, 1080)) == "cover"


def test_the_rendition_is_what_the_fit_needs() -> None:
    assert rendition_box("cover", (6000, 4000), (1920, 1080)) == (1920, 1080)
    # Contain: the image's shape at the size it takes on the screen.
    assert rendition_box("contain", (3000, 4000), (1920, 1080)) == (810, 1080)
    assert rendition_box("contain", (8000, 2000), (1920, 1080)) == (1920, 480)


def test_screen_sizes_are_clamped() -> None:
    assert clamp_screen(None, None) == DEFAULT_SCREEN
    assert clamp_screen(0, 100) == DEFAULT_SCREEN
    assert clamp_screen(20000, 5) == (7680, 16)


def test_wallpaper_limits_follow_the_screen() -> None:
    assert wallpaper_limits((2560, 1440), 1.25) == {
        "orient": "landscape",
        "min_width": 2048,
        "min_height": 1152,
    }
    assert wallpaper_limits((1170, 2532), 1.0)["orient"] == "portrait"
    assert wallpaper_limits((1000, 1000), 1.0)["orient"] == ""
