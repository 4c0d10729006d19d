"""Helpers for the CDS tests: files in the store or not, bodies, URLs."""

from __future__ import annotations

import warnings

from django.http import HttpResponseBase

from junefs.models import Channel, File
from junefs.store import get_store
from tests.factories import ingest_bytes

KiB = 1024


def stored_file(
    settings,  # type: ignore[no-untyped-def]
    channel: Channel,
    data: bytes,
    *,
    part_size: int = 64 * KiB,
    name: str = "file.bin",
    cached: bool = False,
) -> File:
    """Ingest ``data`` spanned into ``part_size`` parts; by default not left in the store."""
    settings.JUNEFS_MAX_PART_SIZE = part_size
    file = ingest_bytes(data, channel, name).file
    assert file.state == File.State.COMPLETE, file.state_note
    if not cached:
        uncache(file)
    return file


def uncache(file: File) -> None:
    """Drop every local copy of the file (whole, parts, thumbnail) from the store."""
    store = get_store()
    store.delete(file.sha256)
    for part in file.parts.all():
        store.delete(part.sha256)
    thumb = getattr(file, "thumbnail", None)
    if thumb is not None:
        store.delete(thumb.sha256)


def body(response: HttpResponseBase) -> bytes:
    """The whole body, streaming or not (the test client drains async streams itself)."""
    if not response.streaming:
        return response.content  # type: ignore[attr-defined,no-any-return]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "StreamingHttpResponse must consume")
        return b"".join(response)  # type: ignore[arg-type]


def file_url(file: File) -> str:
    return f"/cds/f/{file.pk}/{file.name}"
