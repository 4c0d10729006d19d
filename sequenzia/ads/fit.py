"""How an image meets a screen: cover or contain, and the rendition size to ask CDS for.

*Cover* fills the screen and crops what sticks out; *contain* shows the whole
image with bars. ``auto`` covers when the two shapes are close enough that
little is lost (at most :data:`AUTO_COVER_LIMIT` between the aspect ratios,
so at most a fifth of the image is cropped: a 3:2 photo fills a 16:9 TV, a
9:16 photo a tall phone) and contains otherwise (a portrait photo on a
landscape TV is shown whole). Screens report their size in device pixels,
and the rendition asked for is just what the chosen fit needs: never the
original, never larger than the screen.
"""

from __future__ import annotations

import math

#: Largest ratio between the image's and the screen's aspect ratios that ``auto`` covers.
AUTO_COVER_LIMIT = 1.25
#: Renditions CDS makes are between these sizes (per side, in pixels).
MIN_SIDE, MAX_SIDE = 16, 7680
#: A screen that did not say its size is taken to be Full HD.
DEFAULT_SCREEN = (1920, 1080)


def clamp_screen(width: int | None, height: int | None) -> tuple[int, int]:
    """A screen size a rendition can be made for (the default when unknown)."""
    if not width or not height or width <= 0 or height <= 0:
        return DEFAULT_SCREEN
    return (
        max(MIN_SIDE, min(MAX_SIDE, int(width))),
        max(MIN_SIDE, min(MAX_SIDE, int(height))),
    )


def choose_fit(preference: str, image: tuple[int, int], screen: tuple[int, int]) -> str:
    """``cover`` or ``contain`` for this image on this screen, under the profile's ``fit``."""
    if preference in ("cover", "contain"):
        return preference
    (iw, ih), (sw, sh) = image, screen
    if iw <= 0 or ih <= 0:
        return "contain"
    mismatch = (iw / ih) / (sw / sh)
    return "cover" if max(mismatch, 1 / mismatch) <= AUTO_COVER_LIMIT else "contain"


def rendition_box(fit: str, image: tuple[int, int], screen: tuple[int, int]) -> tuple[int, int]:
    """The box to ask CDS to cover: the screen (cover), or the contained image's size."""
    (iw, ih), (sw, sh) = image, screen
    if fit == "cover":
        return sw, sh
    scale = min(sw / iw, sh / ih)
    return max(MIN_SIDE, math.ceil(iw * scale)), max(MIN_SIDE, math.ceil(ih * scale))


def wallpaper_limits(screen: tuple[int, int], max_upscale: float) -> dict[str, object]:
    """DWS: the orientation and least size an image needs to cover ``screen``.

    An image qualifies when it covers the screen scaled up by at most
    ``max_upscale``: width ≥ w / u and height ≥ h / u, in the screen's shape.
    """
    sw, sh = screen
    # A square screen takes either shape (exactly square images are rare).
    orient = "landscape" if sw > sh else "portrait" if sw < sh else ""
    return {
        "orient": orient,
        "min_width": math.ceil(sw / max_upscale),
        "min_height": math.ceil(sh / max_upscale),
    }
