"""Ingest: the one way a file enters JuneFS.

An ordered list of small steps, each with one job, in the spirit of
paperless' consume plugins. A step reads and fills the shared
:class:`IngestContext`; it raises :class:`~junefs.errors.IngestRejected` to
refuse the input (with a message a person can act on), or returns ``False``
to end the run early with what is already there (a duplicate).

The bytes are read exactly once: ``Receive`` copies the stream into the local
store while hashing the whole and every part in the same pass. Nothing is
recorded until every check passed, and a rejected input leaves nothing
behind (no staged object, no thumbnail, no row).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from junefs.backends import get_backend, part_size_for
from junefs.errors import IngestRejected
from junefs.ingest.steps import PROBED_FIELDS, STEPS, apply_facts, copy_facts
from junefs.ingest.types import (
    PILLOW_NATIVE,
    IngestContext,
    IngestRequest,
    IngestResult,
    Step,
    UploadMode,
)
from junefs.models import Channel, File, Thumbnail
from junefs.store import get_store
from junefs.upload import part_target

if TYPE_CHECKING:
    from authware.models import User

__all__ = [
    "PILLOW_NATIVE",
    "PROBED_FIELDS",
    "STEPS",
    "IngestContext",
    "IngestRequest",
    "IngestResult",
    "Step",
    "UploadMode",
    "apply_facts",
    "copy_facts",
    "ingest",
    "ingest_path",
]


def ingest(request: IngestRequest, *, steps: Sequence[Step] = STEPS) -> IngestResult:
    """Run every step; return the new File, or the one already holding these bytes."""
    backend = get_backend()
    ctx = IngestContext(
        request=request,
        store=get_store(),
        backend=backend,
        part_size=part_size_for(backend, part_target(request.channel.server)),
    )
    try:
        for step in steps:
            if not step.run(ctx):
                break
    except BaseException:
        _discard(ctx)
        raise
    if ctx.file is not None:
        from junefs.signals import announce_recorded

        announce_recorded(ctx.file)
        return IngestResult(ctx.file, duplicate=False)
    _discard(ctx)
    if ctx.existing is not None:
        return IngestResult(ctx.existing, duplicate=True)
    raise IngestRejected("ingest stopped before the file was recorded")  # pragma: no cover


def _discard(ctx: IngestContext) -> None:
    """Drop store objects this run created that no recorded file needs."""
    for sha256 in ctx.created_objects:
        in_use = (
            File.objects.filter(sha256=sha256).exists()
            or Thumbnail.objects.filter(sha256=sha256).exists()
        )
        if not in_use:
            ctx.store.delete(sha256)


def ingest_path(
    path: Path | str,
    channel: Channel,
    *,
    name: str | None = None,
    upload: UploadMode = "queue",
    uploader: User | None = None,
) -> IngestResult:
    """Ingest a file on disk; its modification time becomes the creation time."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except IsADirectoryError:
        raise IngestRejected(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise IngestRejected(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        created = datetime.fromtimestamp(os.fstat(handle.fileno()).st_mtime, tz=UTC)
        return ingest(
            IngestRequest(
                stream=handle,
                name=name or path.name,
                channel=channel,
                created_at=created,
                upload=upload,
                uploader=uploader,
            )
        )
