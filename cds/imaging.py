"""What a rendition is: the box it covers, its size, and its pixels.

A rendition is an image file made smaller for a screen: its EXIF orientation
and the file's extra clockwise ``rotation`` applied, then scaled *down*
(never up) so that it covers a ``width`` x ``height`` box::

    scale = min(1, max(box_width / W, box_height / H))

where W x H are the oriented source dimensions. A covering image can be shown
with CSS ``object-fit: cover`` (nothing left empty) or ``contain``.

Boxes are bucketed (:func:`bucket_box`): each side 16..7680, rounded up to a
multiple of 128, so nearby screen sizes share one rendition and the number of
renditions per image stays bounded.

Everything here is plain Pillow work on an open stream, with no database and
no event loop: :mod:`cds.renditions` runs :func:`render` on the IO pool.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from junefs.media import EXIF_TRANSPOSE, exif_orientation, flatten

MIN_SIDE = 16
MAX_SIDE = 7680
BUCKET = 128
#: What a transparent image is laid on when the format has no alpha (JPEG).
MATTE = (0, 0, 0)
#: Shrink by whole factors (cheap box filter) down to this many times the
#: target size, then LANCZOS the rest: near-LANCZOS quality at a fraction of the cost.
REDUCING_GAP = 3.0

#: Clockwise rotation -> the Pillow transpose that turns the image that way.
_CLOCKWISE = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class Format:
    """A format renditions are made in."""

    ext: str
    mime: str
    pillow: str
    #: The largest side the encoder accepts.
    max_side: int


FORMATS: dict[str, Format] = {
    "webp": Format("webp", "image/webp", "WEBP", 16383),
    "jpg": Format("jpg", "image/jpeg", "JPEG", 65500),
}
WEBP_QUALITY, WEBP_METHOD = 85, 4
JPEG_QUALITY = 88


class Undecodable(Exception):
    """The source has no pixels we can read (corrupt, truncated, a decompression bomb)."""


@dataclass(frozen=True)
class RenderedImage:
    """An encoded rendition, not stored yet."""

    data: bytes
    width: int
    height: int
    format: str


def bucket_side(side: int) -> int:
    """One side of a box, rounded up to its bucket. ValueError outside 16..7680."""
    if not MIN_SIDE <= side <= MAX_SIDE:
        raise ValueError(f"a rendition box side must be {MIN_SIDE}..{MAX_SIDE} pixels, not {side}")
    return min(MAX_SIDE, -(-side // BUCKET) * BUCKET)


def bucket_box(width: int, height: int) -> tuple[int, int]:
    """The canonical box for a screen of ``width`` x ``height`` (see the module docstring)."""
    return bucket_side(width), bucket_side(height)


def check_format(fmt: str) -> Format:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ValueError(f"renditions are {' or '.join(FORMATS)}, not {fmt!r}") from None


def quarter_turns(rotation: int) -> int:
    """A clockwise rotation in degrees as 0, 90, 180 or 270 (the nearest quarter)."""
    return round(rotation / 90) % 4 * 90


def rendition_size(source: tuple[int, int], box: tuple[int, int], fmt: str) -> tuple[int, int]:
    """The size of the rendition of an oriented ``source`` size that covers ``box``.

    Never larger than the source, and never over the format's largest side
    (WebP stops at 16383 pixels: a very long panorama is then a little
    smaller than the box on its short side).
    """
    width, height = source
    scale = min(1.0, max(box[0] / width, box[1] / height))
    scale = min(scale, check_format(fmt).max_side / max(width, height))
    if scale >= 1.0:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def render(
    stream: BinaryIO, box: tuple[int, int], fmt: str, *, rotation: int = 0, max_pixels: int
) -> RenderedImage:
    """Decode, orient, scale and encode one rendition. Raises :class:`Undecodable`.

    ``stream`` is the verified source (seekable). Animated images give their
    first frame. A source that already fits the box is re-encoded at its
    own size, so every rendition has the same format and settings.
    """
    target = check_format(fmt)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream)
    except Image.DecompressionBombError as exc:
        raise Undecodable(f"refused as a decompression bomb: {exc}") from None
    except UnidentifiedImageError:
        raise Undecodable("not a readable image: no decoder recognises its bytes") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise Undecodable(f"not a readable image: {exc}") from None
    with image:
        raw_width, raw_height = image.size
        if raw_width == 0 or raw_height == 0:
            raise Undecodable("the image has no pixels")
        if raw_width * raw_height > max_pixels:
            raise Undecodable(
                f"refused as a decompression bomb: {raw_width}x{raw_height} is more than "
                f"{max_pixels} pixels (JUNEFS_MAX_IMAGE_PIXELS)"
            )
        orientation = exif_orientation(image)
        turn = quarter_turns(rotation)
        operations = [*EXIF_TRANSPOSE.get(orientation, ()), *_turn(turn)]
        sideways = (orientation in (5, 6, 7, 8)) != (turn in (90, 270))
        oriented = (raw_height, raw_width) if sideways else (raw_width, raw_height)
        width, height = rendition_size(oriented, box, fmt)
        # Scale first, in the file's own orientation; turning a small image is cheap.
        before_turning = (height, width) if sideways else (width, height)
        icc_profile = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
        if image.format == "JPEG" and before_turning != image.size:
            # Decode at 1/2, 1/4 or 1/8 scale, the smallest still >= the target.
            image.draft("RGB", before_turning)
        try:
            image.load()
        except Image.DecompressionBombError as exc:
            raise Undecodable(f"refused as a decompression bomb: {exc}") from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise Undecodable(f"the image is truncated or corrupt: {exc}") from None
        picture = flatten(image)
        if picture.size != before_turning:
            picture = picture.resize(
                before_turning, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP
            )
        for operation in operations:
            picture = picture.transpose(operation)
        return RenderedImage(_encode(picture, target, icc_profile), width, height, target.ext)


def _turn(rotation: int) -> tuple[Image.Transpose, ...]:
    return (_CLOCKWISE[rotation],) if rotation in _CLOCKWISE else ()


def _encode(picture: Image.Image, target: Format, icc_profile: bytes | None) -> bytes:
    """The encoded bytes. No EXIF goes out: the orientation is in the pixels now."""
    buffer = io.BytesIO()
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    if target.pillow == "JPEG":
        if picture.mode == "RGBA":
            matte = Image.new("RGB", picture.size, MATTE)
            matte.paste(picture, mask=picture.getchannel("A"))
            picture = matte
        picture.save(buffer, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True, **extra)
    else:
        picture.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD, **extra)
    return buffer.getvalue()
