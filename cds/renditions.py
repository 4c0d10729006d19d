"""Renditions: resized copies of image files, made once and kept in the local store.

:func:`obtain_rendition` gives a rendition's :class:`~cds.models.Rendition`
row and its verified bytes, making it first when needed:

1. the row says which object holds the rendition; an object that is there
   and hashes right is used as it is (a corrupt one is dropped);
2. otherwise it is made: single-flight in this process (concurrent requests
   wait for one render) and under a lock file in the store shared with other
   processes (which look for the row and the object again once they hold
   it). The source is read through :class:`cds.fetch.Obtainer`, as for
   serving the file (cached whole file, cached parts, peers, the backend,
   every byte checked against its sha256), and rendered on the IO pool
   (:mod:`cds.imaging`), at most ``CDS_RENDITION_CONCURRENCY`` at a time.
   The encoded bytes go into the store as an object of their own (written
   to a temporary file, renamed into place: never half an object under a
   real name), then the row is recorded (one per source sha256, rotation,
   box and format; a concurrent insert keeps the first).

Renditions are regenerable, so the cache evicts them like any other object
(:func:`cds.cache.evict_unpacked_cache`); a row whose object is gone is
simply made again. A source that cannot be decoded is :class:`RenditionFailed`
(remembered for ``CDS_DAMAGED_RETRY_SECONDS`` so it is not decoded over and
over); a source with no good copy anywhere raises
:class:`~cds.integrity.SegmentUnavailable`, as serving the file would.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import io
import itertools
import logging
import weakref
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from cds import stats
from cds.fetch import Obtainer, single_flight, store_lock
from cds.headers import is_active
from cds.imaging import RenderedImage, Undecodable, bucket_box, check_format, quarter_turns, render
from cds.integrity import Outcome, SegmentUnavailable, SourceFailure
from cds.io import READ_SIZE, Slice, run_io
from cds.models import Rendition
from cds.objects import Segment, Servable, file_servable, rendition_servable
from junefs.models import File
from junefs.store import ContentStore, StoredEntry, get_store, hash_path

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

log = logging.getLogger(__name__)

#: Rounds of "find it, else make it": an object can be evicted right after it is made.
ATTEMPTS = 3


class NoRendition(Exception):
    """The file is not an image with pixels (video, audio, other, SVG, unread)."""


class RenditionFailed(Exception):
    """The source's bytes are intact but could not be decoded into a rendition."""


@dataclass(frozen=True)
class RenditionKey:
    """What names one rendition: the source's bytes, its rotation, the box, the format."""

    source_sha256: str
    rotation: int
    box_width: int
    box_height: int
    format: str

    @property
    def box(self) -> tuple[int, int]:
        return self.box_width, self.box_height

    def fields(self) -> dict[str, object]:
        return {
            "source_sha256": self.source_sha256,
            "rotation": self.rotation,
            "box_width": self.box_width,
            "box_height": self.box_height,
            "format": self.format,
        }

    @property
    def flight(self) -> str:
        """The single-flight key (a rendition is never a plain object's sha256)."""
        return (
            f"rendition:{self.source_sha256}:{self.rotation}:"
            f"{self.box_width}x{self.box_height}.{self.format}"
        )

    @property
    def lock_name(self) -> str:
        """The name of the store lock file other processes share for this rendition."""
        return hashlib.sha256(self.flight.encode()).hexdigest()


@dataclass(frozen=True)
class RenditionJob:
    """Everything making one rendition needs, read from the database up front."""

    key: RenditionKey
    file_id: int
    #: The source file, as CDS serves it (its segments, sha256, name).
    source: Servable


# --- reading the database (synchronous) ---------------------------------------


def renderable(file: File) -> bool:
    """True when the file is an image whose pixels ingest could read."""
    return (
        file.kind == File.Kind.IMAGE
        and not is_active(file.mime)  # SVG: no pixels of its own
        and bool(file.width)
        and bool(file.height)
        and file.state != File.State.INDEXING  # bytes not read yet: no real sha256
    )


def rendition_key(file: File, width: int, height: int, fmt: str = "webp") -> RenditionKey:
    """The key of a file's rendition for a ``width`` x ``height`` screen (bucketed).

    ValueError for a side outside 16..7680 or a format other than webp/jpg.
    """
    box_width, box_height = bucket_box(width, height)
    return RenditionKey(
        source_sha256=file.sha256,
        rotation=quarter_turns(file.rotation),
        box_width=box_width,
        box_height=box_height,
        format=check_format(fmt).ext,
    )


def rendition_job(file: File, width: int, height: int, fmt: str = "webp") -> RenditionJob:
    """What making the rendition takes. Raises NoRendition, ValueError, NotServable."""
    if not renderable(file):
        raise NoRendition(f"file {file.pk} is {file.kind} ({file.mime}): no rendition")
    return RenditionJob(rendition_key(file, width, height, fmt), file.pk, file_servable(file))


def find_rendition(key: RenditionKey) -> Rendition | None:
    return Rendition.objects.filter(**key.fields()).first()


def record_rendition(job: RenditionJob, made: RenderedImage, sha256: str) -> Rendition:
    """Record a rendition just stored; the row already there wins a concurrent insert."""
    values: dict[str, object] = {
        "sha256": sha256,
        "size": len(made.data),
        "width": made.width,
        "height": made.height,
        "created_at": timezone.now(),
    }
    row = find_rendition(job.key)
    if row is None:
        try:
            with transaction.atomic():
                return Rendition.objects.create(source_id=job.file_id, **job.key.fields(), **values)
        except IntegrityError:
            row = find_rendition(job.key)
            if row is None:  # the source file was deleted meanwhile: serve it this once
                return Rendition(source_id=job.file_id, **job.key.fields(), **values)
    if row.sha256 != sha256:  # made again differently (another Pillow): the new one counts
        for name, value in values.items():
            setattr(row, name, value)
        row.save(update_fields=list(values))
    return row


# --- remembering sources that do not decode ----------------------------------


def _failure_key(sha256: str) -> str:
    return f"cds:rendition-failed:{sha256}"


def known_failure(sha256: str) -> str | None:
    """Why the source with this sha256 did not decode a moment ago, if it did not."""
    reason: str | None = cache.get(_failure_key(sha256))
    return reason


def remember_failure(sha256: str, reason: str) -> None:
    if settings.CDS_DAMAGED_RETRY_SECONDS:
        cache.set(_failure_key(sha256), reason, settings.CDS_DAMAGED_RETRY_SECONDS)


def forget_failure(sha256: str) -> None:
    cache.delete(_failure_key(sha256))


# --- the source as one file ----------------------------------------------------


class SourceReader(io.RawIOBase):
    """The verified slices of a source, read as one seekable file (for Pillow)."""

    def __init__(self, slices: list[Slice]) -> None:
        super().__init__()
        self.slices = slices
        sizes = [piece.size for piece in slices]
        self.starts = list(itertools.accumulate([0, *sizes[:-1]]))
        self.size = sum(sizes)
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self.position = base + offset
        return self.position

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if self.position >= self.size or not view:
            return 0
        index = bisect.bisect_right(self.starts, self.position) - 1
        data = self.slices[index].read(self.position - self.starts[index], len(view))
        view[: len(data)] = data
        self.position += len(data)
        return len(data)


async def read_source(source: Servable, store: ContentStore) -> list[Slice]:
    """Every segment of the source, verified (fetched when not cached). Caller closes."""
    obtainer = Obtainer(source, store)
    gate = asyncio.Semaphore(settings.CDS_PREFETCH_PARTS + 1)

    async def one(segment: Segment) -> Slice:
        async with gate:
            return await obtainer.obtain(segment)

    results = await asyncio.gather(*(one(s) for s in source.segments), return_exceptions=True)
    slices = [r for r in results if isinstance(r, Slice)]
    problem = next((r for r in results if isinstance(r, BaseException)), None)
    if problem is not None:
        for piece in slices:
            piece.close()
        raise problem
    return slices


def render_source(slices: list[Slice], key: RenditionKey) -> RenderedImage:
    """Render from the source's slices, then close them (blocking: on the IO pool).

    The slices are closed here, in the thread that reads them, so a caller
    that stops waiting can never close a descriptor under a running decode.
    """
    try:
        stream = io.BufferedReader(SourceReader(slices), buffer_size=READ_SIZE)
        return render(
            stream,  # type: ignore[arg-type]
            key.box,
            key.format,
            rotation=key.rotation,
            max_pixels=settings.JUNEFS_MAX_IMAGE_PIXELS,
        )
    finally:
        for piece in slices:
            piece.close()


def keep_in_store(store: ContentStore, made: RenderedImage) -> StoredEntry:
    """Write the rendition into the store as an object of its own (blocking)."""
    writer = store.writer()
    try:
        writer.write(made.data)
        # commit() keeps an object already stored under this hash instead of
        # ours: make sure that one is good, or make room for ours.
        existing = store.find(writer.sha256)
        if existing is not None and hash_path(existing) != writer.sha256:
            existing.unlink(missing_ok=True)
        return writer.commit(made.format, durable=False)
    except BaseException:
        writer.abort()
        raise


# --- making and finding (async) --------------------------------------------------

_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _render_slots() -> asyncio.Semaphore:
    """This event loop's gate: at most CDS_RENDITION_CONCURRENCY renders at once."""
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(settings.CDS_RENDITION_CONCURRENCY)
    return slots


async def _verified(source: Servable, row: Rendition, store: ContentStore) -> Slice | None:
    """The rendition's object, checked against the row's sha256; a bad copy is dropped."""
    servable = rendition_servable(source, row)
    return await Obtainer(servable, store).from_store(servable.segments[0])


async def _make(job: RenditionJob, store: ContentStore) -> Path:
    """Make and record the rendition, unless another process just did; its object's path."""
    key = job.key
    async with store_lock(store, key.lock_name):
        row = await sync_to_async(find_rendition)(key)
        if row is not None:
            piece = await _verified(job.source, row, store)
            if piece is not None:
                piece.close()
                return piece.path
        reason = await run_io(known_failure, key.source_sha256)
        if reason:
            raise RenditionFailed(reason)
        slices = await read_source(job.source, store)
        handed_over = False
        try:
            async with _render_slots():
                handed_over = True
                made = await run_io(render_source, slices, key)
        except Undecodable as exc:
            await run_io(remember_failure, key.source_sha256, str(exc))
            stats.count("rendition_failures")
            log.warning("no rendition of file %s (%s): %s", job.file_id, key.source_sha256, exc)
            raise RenditionFailed(str(exc)) from None
        finally:
            if not handed_over:
                for piece in slices:
                    piece.close()
        entry = await run_io(keep_in_store, store, made)
        await sync_to_async(record_rendition)(job, made, entry.sha256)
        stats.count("renditions_made")
        return entry.path


async def obtain_rendition(
    job: RenditionJob, store: ContentStore | None = None, *, known: Rendition | None = None
) -> tuple[Rendition, Slice]:
    """The rendition's row and an open slice of its verified bytes (the caller closes it).

    ``known`` is the row if the caller has read it already. Raises
    RenditionFailed (the source does not decode) or SegmentUnavailable (the
    source, or the rendition just made, cannot be had).
    """
    store = store or get_store()
    row = known
    for attempt in range(ATTEMPTS):
        if row is None and attempt > 0:
            row = await sync_to_async(find_rendition)(job.key)
        if row is not None:
            piece = await _verified(job.source, row, store)
            if piece is not None:
                return row, piece
        await single_flight(job.key.flight, partial(_make, job, store))
        row = None
    failure = SourceFailure("store", Outcome.UNREACHABLE, "rendition evicted as soon as made")
    raise SegmentUnavailable(job.key.source_sha256, 0, [failure], None)


def ensure_rendition(file: File, width: int, height: int, fmt: str = "webp") -> Rendition:
    """Make (or find) a file's rendition outside a request, e.g. from a worker warming a screen.

    Checks no access: the caller has. Raises NoRendition, ValueError,
    RenditionFailed, SegmentUnavailable or NotServable like the view's cases.
    """
    job = rendition_job(file, width, height, fmt)
    row, piece = async_to_sync(obtain_rendition)(job, known=find_rendition(job.key))
    piece.close()
    return row
