"""Read what a file shows: dimensions, orientation, colour, a thumbnail, a perceptual hash.

Images go through Pillow. Large JPEGs are decoded at a reduced scale
(``Image.draft``: the decoder skips most of the inverse DCT work), which is
what makes ingest fast; every other step works on the small image. Videos go
through ``ffprobe`` / ``ffmpeg`` when they are installed.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageOps, ImageStat, UnidentifiedImageError

from junefs.errors import IngestRejected

#: WebP quality and effort for thumbnails (method 0 = fastest .. 6 = smallest).
THUMBNAIL_QUALITY = 80
THUMBNAIL_METHOD = 1
#: Mean luma (0-255) below which an image counts as dark.
DARK_LUMA = 100

#: What undoes each EXIF orientation (1-8), in order: the image as it is meant to be seen.
EXIF_TRANSPOSE: dict[int, tuple[Image.Transpose, ...]] = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


@dataclass
class Thumb:
    data: bytes
    width: int
    height: int


@dataclass
class VisualFacts:
    """What ingest records about a picture (or a video's poster frame)."""

    width: int
    height: int
    orientation: int
    color: tuple[int, int, int]
    is_dark: bool
    phash: int
    thumbnail: Thumb
    duration: float | None = None


def _to_signed64(value: int) -> int:
    return value - (1 << 64) if value >= (1 << 63) else value


def dhash64(image: Image.Image) -> int:
    """64-bit difference hash: brightness gradients of a 9x8 grey image, signed."""
    small = image.convert("L").resize((9, 8), Image.Resampling.BOX)
    pixels = small.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            left = pixels[row * 9 + col]
            right = pixels[row * 9 + col + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return _to_signed64(bits)


def hamming(a: int, b: int) -> int:
    """Bits that differ between two signed 64-bit hashes."""
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def flatten(image: Image.Image) -> Image.Image:
    """RGB or RGBA, whatever mode the file was in."""
    if image.mode in ("RGB", "RGBA"):
        return image
    if image.mode in ("P", "PA", "LA") or "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        return ImageOps.autocontrast(
            image.convert("I").point(lambda v: v / 256).convert("L")
        ).convert("RGB")
    return image.convert("RGB")


def facts_from_image(image: Image.Image, orientation: int, size: tuple[int, int]) -> VisualFacts:
    """Thumbnail, colour, darkness and hash from an opened (maybe drafted) image."""
    long_side = settings.JUNEFS_THUMBNAIL_SIZE
    image = flatten(image)
    # Area averaging: the reduced-scale decode already smoothed the image, and BOX
    # is the cheapest filter that still weighs every source pixel.
    image.thumbnail((long_side, long_side), Image.Resampling.BOX)
    for op in EXIF_TRANSPOSE.get(orientation, ()):
        image = image.transpose(op)
    rgb = image.convert("RGB") if image.mode != "RGB" else image
    mean = ImageStat.Stat(rgb).mean
    color = (round(mean[0]), round(mean[1]), round(mean[2]))
    luma = ImageStat.Stat(rgb.convert("L")).mean[0]
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=THUMBNAIL_QUALITY, method=THUMBNAIL_METHOD)
    width, height = size
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return VisualFacts(
        width=width,
        height=height,
        orientation=orientation,
        color=color,
        is_dark=luma < DARK_LUMA,
        phash=dhash64(rgb),
        thumbnail=Thumb(buffer.getvalue(), image.width, image.height),
    )


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1-8) of an opened image; 1 when absent or broken."""
    try:
        orientation = int(image.getexif().get(0x0112, 1) or 1)
    except Exception:  # a broken EXIF block must not reject a good image
        return 1
    return orientation if orientation in range(1, 9) else 1


def probe_image(path: Path) -> VisualFacts:
    """Open, check and describe an image file. Raises IngestRejected when it is bad."""
    limit = settings.JUNEFS_MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise IngestRejected(f"refused as a decompression bomb: {exc}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise IngestRejected(f"not a readable image: {exc}") from None
    with image:
        width, height = image.size
        if width * height > limit:
            raise IngestRejected(
                f"refused as a decompression bomb: {width}x{height} is more than "
                f"{limit} pixels (JUNEFS_MAX_IMAGE_PIXELS)"
            )
        if width == 0 or height == 0:
            raise IngestRejected("image has no pixels")
        orientation = exif_orientation(image)
        if image.format == "JPEG":
            # Decode at 1/2, 1/4 or 1/8 scale: the smallest still >= the thumbnail.
            long_side = settings.JUNEFS_THUMBNAIL_SIZE
            scale = long_side / max(width, height)
            if scale < 1:
                image.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
        try:
            image.load()
        except Image.DecompressionBombError as exc:
            raise IngestRejected(f"refused as a decompression bomb: {exc}") from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise IngestRejected(f"image is truncated or corrupt: {exc}") from None
        return facts_from_image(image, orientation, (width, height))


# --- video --------------------------------------------------------------


@dataclass
class VideoProbe:
    facts: VisualFacts | None
    duration: float | None
    width: int | None
    height: int | None
    note: str
    available: bool


def ffmpeg_available() -> bool:
    return bool(shutil.which(settings.FFPROBE_BINARY) and shutil.which(settings.FFMPEG_BINARY))


def probe_video(path: Path, timeout: float = 60.0) -> VideoProbe:
    """Duration, dimensions and a poster-frame thumbnail through ffprobe/ffmpeg."""
    if not ffmpeg_available():
        return VideoProbe(None, None, None, None, "ffmpeg is not installed: no preview", False)
    try:
        result = subprocess.run(
            [
                settings.FFPROBE_BINARY,
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
                str(path),
            ],
            capture_output=True,
            timeout=timeout,
            check=True,
        )
        info = json.loads(result.stdout or b"{}")
    except (subprocess.SubprocessError, json.JSONDecodeError) as exc:
        return VideoProbe(None, None, None, None, f"ffprobe could not read it: {exc}", True)
    video = next((s for s in info.get("streams", []) if s.get("codec_type") == "video"), None)
    duration = _float(info.get("format", {}).get("duration"))
    if video is None:
        return VideoProbe(None, duration, None, None, "no video stream", True)
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    rotation = _rotation(video)
    if rotation in (90, 270):
        width, height = height, width
    seek = min(1.0, (duration or 0) / 10)
    try:
        frame = subprocess.run(
            [
                settings.FFMPEG_BINARY,
                "-v",
                "error",
                "-ss",
                f"{seek:.3f}",
                "-i",
                str(path),
                "-frames:v",
                "1",
                "-f",
                "image2pipe",
                "-vcodec",
                "png",
                "-",
            ],
            capture_output=True,
            timeout=timeout,
            check=True,
        ).stdout
        with Image.open(io.BytesIO(frame)) as poster:
            poster.load()
            facts = facts_from_image(poster, 1, poster.size)
    except (subprocess.SubprocessError, OSError, UnidentifiedImageError) as exc:
        return VideoProbe(
            None, duration, width or None, height or None, f"no poster frame: {exc}", True
        )
    facts.width, facts.height, facts.duration = (
        width or facts.width,
        height or facts.height,
        duration,
    )
    return VideoProbe(facts, duration, facts.width, facts.height, "", True)


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _rotation(stream: dict[str, object]) -> int:
    tags = stream.get("tags") or {}
    rotate = tags.get("rotate") if isinstance(tags, dict) else None
    for side in stream.get("side_data_list") or []:  # type: ignore[attr-defined]
        if isinstance(side, dict) and "rotation" in side:
            rotate = side["rotation"]
    try:
        return int(float(rotate or 0)) % 360  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
