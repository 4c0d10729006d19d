"""Ingest: what it records, and every kind of bad input the issue lists."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from junefs.errors import IngestRejected
from junefs.media import hamming
from junefs.models import File, Part, Thumbnail
from junefs.store import get_store
from tests.factories import ingest_bytes, jpeg_bytes, make_channel, png_bytes, random_bytes

pytestmark = pytest.mark.django_db


def nothing_left_behind() -> None:
    assert File.objects.count() == 0
    assert list(get_store().iter_objects()) == []
    assert list(get_store().tmp_dir.iterdir()) == []


def test_a_jpeg_is_described_and_thumbnailed(channel) -> None:  # type: ignore[no-untyped-def]
    data = jpeg_bytes(1600, 1200)
    result = ingest_bytes(data, channel, "holiday.jpg")
    file = result.file
    assert not result.duplicate
    assert (file.mime, file.kind, file.width, file.height) == ("image/jpeg", "image", 1600, 1200)
    assert file.state == File.State.COMPLETE and file.preview == File.Preview.READY
    assert file.color_hex.startswith("#") and file.is_dark is not None and file.phash is not None
    thumb = Thumbnail.objects.get(file=file)
    with Image.open(get_store().find(thumb.sha256)) as image:  # type: ignore[arg-type]
        assert image.format == "WEBP"
        assert max(image.size) == 512 and image.size == (512, 384)
    assert thumb.confirmed


def test_colour_and_darkness_follow_the_pixels(channel) -> None:  # type: ignore[no-untyped-def]
    dark = ingest_bytes(jpeg_bytes(300, 200, color=(20, 20, 40)), channel, "night.jpg").file
    light = ingest_bytes(jpeg_bytes(300, 200, color=(240, 230, 200)), channel, "day.jpg").file
    assert dark.is_dark is True and light.is_dark is False
    assert abs(dark.color_r - 20) <= 3 and abs(dark.color_b - 40) <= 3  # type: ignore[operator]
    assert abs(light.color_g - 230) <= 3  # type: ignore[operator]


def test_exif_orientation_swaps_displayed_dimensions(channel) -> None:  # type: ignore[no-untyped-def]
    file = ingest_bytes(jpeg_bytes(800, 600, exif_orientation=6), channel, "rotated.jpg").file
    assert (file.width, file.height, file.orientation) == (600, 800, 6)
    thumb = Thumbnail.objects.get(file=file)
    assert (thumb.width, thumb.height) == (384, 512)


def test_perceptual_hash_finds_near_duplicates(channel) -> None:  # type: ignore[no-untyped-def]
    a = ingest_bytes(jpeg_bytes(1200, 900, seed=1), channel, "a.jpg").file
    a_small = ingest_bytes(jpeg_bytes(600, 450, seed=1, quality=60), channel, "a2.jpg").file
    other = Image.new("RGB", (1200, 900))
    other.paste(Image.linear_gradient("L").convert("RGB").resize((1200, 900)).rotate(90))
    buffer = io.BytesIO()
    other.save(buffer, "JPEG")
    b = ingest_bytes(buffer.getvalue(), channel, "b.jpg").file
    assert hamming(a.phash, a_small.phash) <= 6  # type: ignore[arg-type]
    assert hamming(a.phash, b.phash) > 12  # type: ignore[arg-type]


def test_png_with_alpha_keeps_transparency_in_the_thumbnail(channel) -> None:  # type: ignore[no-untyped-def]
    file = ingest_bytes(png_bytes(640, 320), channel, "logo.png").file
    with Image.open(get_store().find(Thumbnail.objects.get(file=file).sha256)) as thumb:  # type: ignore[arg-type]
        assert thumb.mode == "RGBA"


def test_zero_byte_file_is_refused(channel) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IngestRejected, match="empty"):
        ingest_bytes(b"", channel, "empty.jpg")
    nothing_left_behind()


def test_a_lying_extension_is_corrected_from_the_content(channel) -> None:  # type: ignore[no-untyped-def]
    file = ingest_bytes(png_bytes(), channel, "photo.jpg").file
    assert file.mime == "image/png" and file.name == "photo.png"
    assert file.original_name == "photo.jpg"
    text = ingest_bytes(b"print('hi')\n", channel, "tool.py").file
    assert text.name == "tool.py" and text.mime == "text/plain"
    html = ingest_bytes(b"<!doctype html><script>alert(1)</script>", channel, "cat.jpg").file
    assert html.mime == "text/html" and html.name == "cat.html" and html.preview == "none"


def test_a_truncated_jpeg_is_refused_cleanly(channel) -> None:  # type: ignore[no-untyped-def]
    data = jpeg_bytes(1200, 900)
    with pytest.raises(IngestRejected, match="truncated or corrupt"):
        ingest_bytes(data[: len(data) // 2], channel, "cut.jpg")
    nothing_left_behind()


def test_a_decompression_bomb_is_refused_without_a_thumbnail(channel) -> None:  # type: ignore[no-untyped-def]
    bomb = io.BytesIO()
    Image.new("1", (30000, 30000)).save(bomb, "PNG")  # 900 Mpx, a few hundred KB on disk
    assert len(bomb.getvalue()) < 2_000_000
    with pytest.raises(IngestRejected, match="decompression bomb"):
        ingest_bytes(bomb.getvalue(), channel, "bomb.png")
    nothing_left_behind()


def test_the_pixel_limit_is_a_setting(channel, settings) -> None:  # type: ignore[no-untyped-def]
    settings.JUNEFS_MAX_IMAGE_PIXELS = 100 * 100
    with pytest.raises(IngestRejected, match="JUNEFS_MAX_IMAGE_PIXELS"):
        ingest_bytes(jpeg_bytes(101, 100), channel, "big.jpg")
    assert ingest_bytes(jpeg_bytes(100, 100), channel, "ok.jpg").file.width == 100


def test_an_oversized_file_is_refused_while_streaming(channel, settings) -> None:  # type: ignore[no-untyped-def]
    settings.JUNEFS_MAX_FILE_SIZE = 1000
    with pytest.raises(IngestRejected, match="JUNEFS_MAX_FILE_SIZE"):
        ingest_bytes(random_bytes(1001), channel, "big.bin")
    nothing_left_behind()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd.png"),
        ("a\x00b.png", "ab.png"),
        ("x" * 300 + ".png", "x" * 251 + ".png"),
        ("evil\u202egnp.exe", "evilgnp.png"),
        ("....", "file.png"),
        ("..", "file.png"),
        ("C:\\Windows\\con.png", "_con.png"),
    ],
)
def test_hostile_names_are_made_safe(channel, given: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    file = ingest_bytes(png_bytes(), channel, given).file
    assert file.name == expected
    assert len(file.name.encode()) <= 255
    assert file.original_name == given[:255]


def test_the_same_file_twice_in_one_folder_is_kept_once(channel) -> None:  # type: ignore[no-untyped-def]
    data = jpeg_bytes(300, 200)
    first = ingest_bytes(data, channel, "one.jpg")
    again = ingest_bytes(data, channel, "two.jpg")
    assert again.duplicate and again.file.pk == first.file.pk
    assert File.objects.count() == 1


def test_the_same_file_in_another_folder_shares_the_stored_parts(channel, settings) -> None:  # type: ignore[no-untyped-def]
    settings.JUNEFS_MAX_PART_SIZE = 4096
    data = random_bytes(20_000, seed=3)
    first = ingest_bytes(data, channel, "blob.bin").file
    backend_objects = sorted(Path(settings.JUNEFS_LOCAL_BACKEND_DIR).rglob("*.part"))
    other = make_channel("elsewhere")
    second = ingest_bytes(data, other, "blob-copy.bin")
    assert not second.duplicate and second.file.channel == other
    assert second.file.state == File.State.COMPLETE
    assert sorted(Path(settings.JUNEFS_LOCAL_BACKEND_DIR).rglob("*.part")) == backend_objects
    keys = lambda f: list(f.parts.values_list("key", flat=True))  # noqa: E731
    assert keys(second.file) == keys(first) and len(keys(first)) == 5


def test_a_spanned_file_records_every_part(channel, settings) -> None:  # type: ignore[no-untyped-def]
    settings.JUNEFS_MAX_PART_SIZE = 1000
    data = random_bytes(4500)
    file = ingest_bytes(data, channel, "data.bin", upload="none").file
    parts = list(Part.objects.filter(file=file).order_by("index"))
    assert [p.size for p in parts] == [1000, 1000, 1000, 1000, 500]
    assert [p.offset for p in parts] == [0, 1000, 2000, 3000, 4000]
    assert file.state == File.State.PENDING and not any(p.confirmed for p in parts)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="Debian's ffmpeg is not installed")
def test_a_video_gets_duration_dimensions_and_a_poster(channel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    video = tmp_path / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=320x240:rate=10",
            "-pix_fmt",
            "yuv420p",
            str(video),
        ],
        check=True,
    )
    file = ingest_bytes(video.read_bytes(), channel, "clip.bin").file
    assert (file.kind, file.mime, file.name) == ("video", "video/mp4", "clip.mp4")
    assert (file.width, file.height) == (320, 240)
    assert file.duration == pytest.approx(2.0, abs=0.2)
    assert file.preview == File.Preview.READY
    assert Thumbnail.objects.get(file=file).width == 320


def test_without_ffmpeg_a_video_is_stored_with_no_preview(channel, settings) -> None:  # type: ignore[no-untyped-def]
    settings.FFPROBE_BINARY = "/nonexistent/ffprobe"
    fake_mp4 = b"\x00\x00\x00\x18ftypmp42" + random_bytes(2000)
    file = ingest_bytes(fake_mp4, channel, "movie.mp4").file
    assert file.kind == "video" and file.state == File.State.COMPLETE
    assert file.preview == File.Preview.UNAVAILABLE
    assert "ffmpeg is not installed" in file.preview_note
    assert not Thumbnail.objects.filter(file=file).exists()


def test_the_created_time_is_the_source_files_mtime(channel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import os

    from junefs.ingest import ingest_path

    source = tmp_path / "old.png"
    source.write_bytes(png_bytes())
    os.utime(source, (1_600_000_000, 1_600_000_000))
    file = ingest_path(source, channel, upload="none").file
    assert int(file.created_at.timestamp()) == 1_600_000_000
    assert file.created_at.tzinfo is not None
    assert settings.USE_TZ
