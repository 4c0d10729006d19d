"""Factories and fixtures for JuneFS objects and test media."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import pytest
from PIL import Image

from junefs.ingest import IngestRequest, IngestResult, ingest
from junefs.models import Channel, Server
from tests.media import photo_like

__all__ = [
    "channel",
    "ingest_bytes",
    "jpeg_bytes",
    "make_channel",
    "photo_like",
    "png_bytes",
    "random_bytes",
]


def make_channel(name: str = "pictures", server: Server | None = None, **fields: object) -> Channel:
    server = server or Server.default()
    return Channel.objects.create(server=server, name=name, **fields)


@pytest.fixture
def channel(db) -> Channel:  # type: ignore[no-untyped-def]
    return make_channel()


def jpeg_bytes(
    width: int = 640,
    height: int = 480,
    *,
    seed: int = 0,
    quality: int = 88,
    exif_orientation: int | None = None,
    color: tuple[int, int, int] | None = None,
) -> bytes:
    image = Image.new("RGB", (width, height), color) if color else photo_like(width, height, seed)
    buffer = io.BytesIO()
    exif = Image.Exif()
    if exif_orientation is not None:
        exif[0x0112] = exif_orientation
    image.save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


def png_bytes(width: int = 64, height: int = 48, mode: str = "RGBA") -> bytes:
    image = Image.new(mode, (width, height), (200, 30, 30, 128) if mode == "RGBA" else 128)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def random_bytes(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size) if size < 1 << 20 else os.urandom(size)


def ingest_bytes(
    data: bytes,
    channel: Channel,
    name: str = "file.bin",
    *,
    upload: str = "inline",
    **fields: object,
) -> IngestResult:
    """Ingest in-memory bytes (upload inline by default, so the file is complete)."""
    return ingest(
        IngestRequest(stream=io.BytesIO(data), name=name, channel=channel, upload=upload, **fields)
    )  # type: ignore[arg-type]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
