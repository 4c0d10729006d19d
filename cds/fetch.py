"""Verified bytes for one segment: from the store, else a peer, else the backend.

:meth:`Obtainer.obtain` returns an open :class:`~cds.io.Slice` whose bytes
were checked against the segment's sha256:

1. the unpacked whole file in the store, sliced at the segment's offset;
2. the segment's own object in the store;
3. a remote copy: each peer in ``CDS_PEERS``, then the backend. What arrives
   is hashed while it is written to the store and kept only if it matches.

A cached copy that fails its check is dropped and fetched again. Remote
fetches are single-flight: concurrent requests for one object (in this
process, and across processes through a lock file) fetch it once, and a
fetch finishes and stays cached even if the request that started it leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from cds import peers, stats
from cds.integrity import Outcome, SegmentUnavailable, SourceFailure, recently_damaged
from cds.io import Slice, open_trusted, open_verified, run_io, run_io_closing
from cds.objects import Segment, Servable, part_locator
from junefs.backends import Locator, get_backend
from junefs.errors import BackendError, IngestRejected, IntegrityError, ObjectMissing
from junefs.store import ContentStore, StoredEntry

log = logging.getLogger(__name__)

#: Received pieces are hashed and written in batches of about this much
#: (one hop to the IO pool and one writev each).
WRITE_SIZE = 2 * 1024 * 1024
#: Renew a cached download URL expiring within this margin before using it.
URL_MARGIN = timedelta(minutes=5)


# --- single flight ----------------------------------------------------------

_flights: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Task[Path]]] = (
    weakref.WeakKeyDictionary()
)


async def single_flight(key: str, start: Callable[[], Awaitable[Path]]) -> Path:
    """Run ``start()`` once for concurrent callers with the same key; all get its result."""
    flights = _flights.setdefault(asyncio.get_running_loop(), {})
    task = flights.get(key)
    if task is None:
        task = asyncio.ensure_future(start())
        flights[key] = task

        def finished(done: asyncio.Task[Path], key: str = key) -> None:
            if flights.get(key) is done:
                del flights[key]
            if not done.cancelled():
                done.exception()  # retrieved: no "never retrieved" warning

        task.add_done_callback(finished)
    return await asyncio.shield(task)


@contextlib.asynccontextmanager
async def store_lock(store: ContentStore, sha256: str) -> AsyncIterator[None]:
    """An exclusive lock on fetching ``sha256``, shared with other processes."""
    folder = store.root / ".locks"
    folder.mkdir(exist_ok=True)
    fd = os.open(folder / f"{sha256}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


# --- writing a remote copy into the store -----------------------------------


async def copy_into_store(
    chunks: AsyncIterator[bytes], store: ContentStore, *, sha256: str, size: int, ext: str
) -> StoredEntry:
    """Write a stream into the store; IntegrityError (nothing kept) unless it hashes right."""
    writer = store.writer(max_size=size)
    pending: list[bytes] = []
    buffered = 0
    try:
        async with contextlib.aclosing(chunks) as stream:  # type: ignore[type-var]
            async for chunk in stream:
                pending.append(chunk)
                buffered += len(chunk)
                if buffered >= WRITE_SIZE:
                    # Hashed and written on the IO pool (no join copy) while the
                    # event loop goes on receiving into aiohttp's buffer.
                    await run_io(writer.write_chunks, pending)
                    pending, buffered = [], 0
        if pending:
            await run_io(writer.write_chunks, pending)
        if writer.size != size:
            raise IntegrityError(f"got {writer.size} bytes, expected {size}")
        if writer.sha256 != sha256:
            raise IntegrityError(f"content hashes to {writer.sha256}, expected {sha256}")
        # commit() keeps an object already stored under this name instead of
        # ours, and that one was never checked (it may be the bad copy that
        # sent us here): make room for the verified bytes.
        await run_io(store.delete, sha256)
        return await run_io(partial(writer.commit, ext, sha256, durable=False))
    except IngestRejected:
        writer.abort()
        raise IntegrityError(f"sent more than the {size} bytes recorded") from None
    except BaseException:
        writer.abort()
        raise


def fresh_locator(locator: Locator, part_id: int | None, *, force: bool = False) -> Locator:
    """The locator with a download URL valid for a while (Discord); saved on the part.

    Keyed locators (local, storages) come back as they are. ``force`` renews
    a URL that has not expired yet but was refused (signed URLs can be).
    """
    if locator.message_id is None:
        return locator
    soon = timezone.now() + URL_MARGIN
    if not force and locator.url and locator.url_expires_at and locator.url_expires_at > soon:
        return locator
    fresh = get_backend(locator.backend).refresh([locator])[0]
    if part_id is not None:
        from junefs.models import Part

        Part.objects.filter(pk=part_id).update(url=fresh.url, url_expires_at=fresh.url_expires_at)
    return fresh


# --- obtaining verified slices ----------------------------------------------


class Obtainer:
    """Gets verified slices for the segments of one servable."""

    def __init__(self, servable: Servable, store: ContentStore) -> None:
        self.servable = servable
        self.store = store

    async def obtain(self, segment: Segment) -> Slice:
        for _ in range(3):  # the object can be evicted between fetch and open
            cached = await self.from_store(segment)
            if cached is not None:
                return cached
            if self.servable.store_only:
                failure = SourceFailure("store", Outcome.MISSING, "not cached here")
                raise SegmentUnavailable(segment.sha256, segment.index, [failure], None)
            if await run_io(recently_damaged, self.servable.file_id):
                failure = SourceFailure("cds", Outcome.BAD, "file was found damaged recently")
                raise SegmentUnavailable(segment.sha256, segment.index, [failure], Outcome.BAD)
            path = await single_flight(segment.sha256, partial(self.fetch_remote, segment))
            fetched = await run_io_closing(open_trusted, path, segment.size)
            if fetched is not None:
                return fetched
        raise SegmentUnavailable(
            segment.sha256,
            segment.index,
            [SourceFailure("store", Outcome.UNREACHABLE, "evicted as soon as fetched")],
            None,
        )

    async def from_store(self, segment: Segment) -> Slice | None:
        """A verified slice from the store (unpacked whole first), or None."""
        candidates = [(segment.sha256, 0)]
        if segment.whole_sha256 != segment.sha256:
            candidates.insert(0, (segment.whole_sha256, segment.whole_offset))
        for object_sha, offset in candidates:
            path = await run_io(self.store.find, object_sha)
            if path is None:
                continue
            verified = await run_io_closing(
                open_verified, path, offset, segment.size, segment.sha256
            )
            if verified is not None:
                stats.count("cache_hits")
                return verified
            if await run_io(path.exists):
                await run_io(partial(path.unlink, missing_ok=True))
                stats.count("cache_corrupt")
                log.warning(
                    "cached object %s failed its sha256 check for part %s of %s; dropped",
                    path.name,
                    segment.index,
                    self.servable.sha256,
                )
        return None

    async def fetch_remote(self, segment: Segment) -> Path:
        """Fetch from a peer or the backend into the store; the path of the good copy."""
        async with store_lock(self.store, segment.sha256):
            # Another process may have fetched it while we waited for the lock.
            path = await run_io(self.store.find, segment.sha256)
            if path is not None:
                again = await run_io_closing(open_verified, path, 0, segment.size, segment.sha256)
                if again is not None:
                    again.close()
                    return path
                await run_io(partial(path.unlink, missing_ok=True))
            failures: list[SourceFailure] = []
            if peers.peers_enabled():
                for base_url in settings.CDS_PEERS:
                    found = await self._try(
                        f"peer {base_url}",
                        partial(peers.stream_from_peer, base_url, segment.sha256),
                        segment,
                        failures,
                    )
                    if found is not None:
                        stats.count("peer_fetches")
                        return found
            backend_outcome = await self._from_backend(segment, failures)
            if isinstance(backend_outcome, Path):
                return backend_outcome
            raise SegmentUnavailable(segment.sha256, segment.index, failures, backend_outcome)

    async def _from_backend(
        self, segment: Segment, failures: list[SourceFailure]
    ) -> Path | Outcome:
        known, part_id = segment.locator, segment.part_id
        if segment.locator_pending and segment.file_id is not None:
            known, part_id = await sync_to_async(part_locator)(segment.file_id, segment.index)
        if known is None:
            failures.append(SourceFailure("backend", Outcome.MISSING, "never confirmed"))
            return Outcome.MISSING
        backend = get_backend(known.backend)
        source = f"backend {backend.name}"
        for attempt in range(2):  # one retry: transfers do go wrong, URLs go stale
            renew = attempt > 0 and failures[-1].outcome is Outcome.MISSING
            try:
                locator = await sync_to_async(fresh_locator)(known, part_id, force=renew)
            except (BackendError, OSError) as exc:
                failures.append(SourceFailure(source, Outcome.UNREACHABLE, str(exc)))
                continue
            found = await self._try(source, partial(backend.stream, locator), segment, failures)
            if found is not None:
                stats.count("backend_fetches")
                return found
            if failures[-1].outcome is Outcome.MISSING and known.message_id is None:
                break  # a keyed backend that says "gone" means it
            if attempt == 0:
                await asyncio.sleep(0.2)
        return failures[-1].outcome

    async def _try(
        self,
        source: str,
        open_stream: Callable[[], AsyncIterator[bytes]],
        segment: Segment,
        failures: list[SourceFailure],
    ) -> Path | None:
        try:
            entry = await copy_into_store(
                open_stream(),
                self.store,
                sha256=segment.sha256,
                size=segment.size,
                ext=segment.ext,
            )
        except IntegrityError as exc:
            failures.append(SourceFailure(source, Outcome.BAD, str(exc)))
            stats.count("peer_bad_copies" if source.startswith("peer") else "backend_bad_copies")
            log.warning("%s sent a bad copy of %s: %s", source, segment.sha256, exc)
            return None
        except ObjectMissing as exc:
            failures.append(SourceFailure(source, Outcome.MISSING, str(exc)))
            if source.startswith("peer"):
                stats.count("peer_misses")
            return None
        except (BackendError, OSError, TimeoutError) as exc:
            failures.append(SourceFailure(source, Outcome.UNREACHABLE, str(exc)))
            if source.startswith("peer"):
                stats.count("peer_misses")
            log.warning("%s could not send %s: %s", source, segment.sha256, exc)
            return None
        return entry.path


class HeldObtainer(Obtainer):
    """An obtainer that first hands out a slice the caller verified already.

    For a servable whose bytes had to be found (or made) before its headers
    could be decided, such as a rendition: the slice checked then is the one
    sent, with no second hash and no window in which eviction could pull it
    away. Whatever is not handed out is closed by :meth:`release`.
    """

    def __init__(self, servable: Servable, store: ContentStore, held: Slice) -> None:
        super().__init__(servable, store)
        self.held: Slice | None = held

    async def obtain(self, segment: Segment) -> Slice:
        held, self.held = self.held, None
        if held is not None and segment.index == 0:
            return held
        if held is not None:
            held.close()
        return await super().obtain(segment)

    def release(self) -> None:
        if self.held is not None:
            self.held.close()
            self.held = None
