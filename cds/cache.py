"""The unpacked cache: whole files and parts kept in the local store.

CDS keeps every object it fetches (a part, a thumbnail, a whole file) and
every rendition it makes in the content-addressed store, which also holds
ingest's staged uploads. This module looks after it from the worker:

* :func:`cache_whole_file` joins a file's parts (cached or fetched, each
  verified) into the whole file in the store ("unpacking"), so nginx can
  serve it and a range reads one object; the cached parts are then dropped.
* :func:`autofetch_kept_channels` keeps the files of folders marked
  ``keep_cached`` unpacked (the original Sequenzia's "autofetch").
* :func:`evict_unpacked_cache` keeps the store under ``CDS_CACHE_MAX_BYTES``,
  least recently used first (an object's mtime is its last use), and drops
  objects unused for ``CDS_CACHE_MAX_AGE``. It never evicts what has no other
  copy yet (staged uploads, unconfirmed thumbnails, and the bytes of damaged
  files, which may be the last good copy) nor the files of kept folders.
  Renditions are never protected: they are made again from their source
  (their rows stay, and a row without its object just means "make it").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings

from cds import stats
from junefs.backends import get_backend
from junefs.errors import JuneFSError, PartDamaged
from junefs.models import File, Part, Thumbnail
from junefs.reader import confirmed_parts, spec_of
from junefs.spanning import PartSpec, join
from junefs.store import ContentStore, get_store

log = logging.getLogger(__name__)

BATCH = 500
LOCK_FILE_AGE = 24 * 3600


# --- unpacking -----------------------------------------------------------------


def cache_whole_file(file_id: int, *, store: ContentStore | None = None) -> str:
    """Put the whole file in the store, verified; returns what happened."""
    store = store or get_store()
    file = File.objects.filter(pk=file_id).first()
    if file is None:
        return "no such file"
    if store.exists(file.sha256):
        return "already cached"
    for _ in range(2):  # a corrupt cached part is dropped, then fetched on the second round
        try:
            _join_into_store(file, store)
        except PartDamaged as exc:
            part = file.parts.filter(index=exc.index).first()
            if part is not None and part.sha256 != file.sha256 and store.delete(part.sha256):
                stats.count("cache_corrupt")
                log.warning("dropped cached part %s of file %s: %s", exc.index, file_id, exc)
                continue
            raise
        if file.part_count > 1:
            for part in file.parts.all():
                if part.sha256 != file.sha256:
                    store.delete(part.sha256)
        return "cached"
    return "gave up"


def _join_into_store(file: File, store: ContentStore) -> None:
    parts = list(file.parts.order_by("index"))
    cached = {p.index: store.find(p.sha256) for p in parts}
    if not all(cached.values()):
        parts = confirmed_parts(file, get_backend(file.backend))  # fresh URLs for the fetches
    backend = get_backend(file.backend)
    by_index = {p.index: p for p in parts}

    def open_part(part: PartSpec) -> BinaryIO:
        path = cached.get(part.index)
        if path is not None and path.exists():
            return path.open("rb")
        return backend.open(by_index[part.index].locator)

    writer = store.writer(max_size=file.size)
    try:
        for chunk in join(
            [spec_of(p) for p in parts],
            open_part,
            expected_size=file.size,
            expected_sha256=file.sha256,
            file_id=file.pk,
        ):
            writer.write(chunk)
        writer.commit(file.extension, file.sha256, durable=False)
    except BaseException:
        writer.abort()
        raise


def cache_thumbnail(thumbnail: Thumbnail, *, store: ContentStore | None = None) -> bool:
    """Put a confirmed thumbnail in the store, verified; True if it is there now."""
    store = store or get_store()
    if store.exists(thumbnail.sha256):
        return True
    if not thumbnail.confirmed:
        return False
    with get_backend(thumbnail.backend).open(thumbnail.locator) as stream:
        store.put_stream(
            stream, ext="webp", expected_sha256=thumbnail.sha256, max_size=thumbnail.size
        )
    return True


@dataclass
class AutofetchReport:
    cached: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)


def autofetch_kept_channels(limit: int = 200) -> AutofetchReport:
    """Unpack up to ``limit`` files of keep_cached folders that are not in the store."""
    store = get_store()
    report = AutofetchReport()
    files = File.objects.filter(
        channel__keep_cached=True, state=File.State.COMPLETE
    ).select_related("thumbnail")
    for file in files.order_by("-id").iterator(chunk_size=BATCH):
        if report.cached + report.failed >= limit:
            break
        try:
            thumb = getattr(file, "thumbnail", None)
            if thumb is not None:
                cache_thumbnail(thumb, store=store)
            if store.exists(file.sha256):
                continue
            cache_whole_file(file.pk, store=store)
            report.cached += 1
        except (JuneFSError, OSError) as exc:
            report.failed += 1
            report.problems.append(f"file {file.pk}: {exc}")
            log.warning("autofetch of file %s failed: %s", file.pk, exc)
    return report


# --- eviction --------------------------------------------------------------------


@dataclass
class EvictionReport:
    objects: int = 0
    bytes: int = 0
    protected: int = 0
    evicted: int = 0
    evicted_bytes: int = 0


def protected_hashes(hashes: Iterable[str]) -> set[str]:
    """Which of ``hashes`` the cache must keep (no other copy yet, or a kept folder)."""
    wanted = list(hashes)
    keep: set[str] = set()
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        keep.update(
            File.objects.filter(sha256__in=batch)
            .exclude(state=File.State.COMPLETE)
            .values_list("sha256", flat=True)
        )
        keep.update(
            File.objects.filter(sha256__in=batch, channel__keep_cached=True).values_list(
                "sha256", flat=True
            )
        )
        keep.update(
            Part.objects.filter(sha256__in=batch, file__channel__keep_cached=True).values_list(
                "sha256", flat=True
            )
        )
        keep.update(
            Thumbnail.objects.filter(sha256__in=batch, backend="").values_list("sha256", flat=True)
        )
        keep.update(
            Thumbnail.objects.filter(sha256__in=batch, file__channel__keep_cached=True).values_list(
                "sha256", flat=True
            )
        )
    return keep


def evict_unpacked_cache(
    *,
    max_bytes: int | None = None,
    max_age: int | None = None,
    store: ContentStore | None = None,
    now: float | None = None,
) -> EvictionReport:
    """Drop least recently used objects until the store fits its cap."""
    store = store or get_store()
    max_bytes = settings.CDS_CACHE_MAX_BYTES if max_bytes is None else max_bytes
    max_age = settings.CDS_CACHE_MAX_AGE if max_age is None else max_age
    now = time.time() if now is None else now
    report = EvictionReport()
    entries = []  # (last use, size, sha256, path)
    for path in store.iter_objects():
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        sha256 = path.name.split(".", 1)[0]
        entries.append((stat.st_mtime, stat.st_size, sha256, path))
        report.objects += 1
        report.bytes += stat.st_size
    keep = protected_hashes({e[2] for e in entries})
    total = report.bytes
    for last_use, size, sha256, path in sorted(entries, key=lambda e: e[0]):
        if sha256 in keep:
            report.protected += 1
            continue
        too_old = bool(max_age) and now - last_use > max_age
        if total <= max_bytes and not too_old:
            continue
        path.unlink(missing_ok=True)
        total -= size
        report.evicted += 1
        report.evicted_bytes += size
    _remove_old_lock_files(store, now)
    if report.evicted:
        stats.count("evicted_objects", report.evicted)
        stats.count("evicted_bytes", report.evicted_bytes)
        log.info(
            "evicted %s object(s), %s bytes; the store holds %s bytes",
            report.evicted,
            report.evicted_bytes,
            total,
        )
    if total > max_bytes:
        log.warning(
            "the store holds %s bytes over its %s cap in objects it must keep",
            total - max_bytes,
            max_bytes,
        )
    return report


def _remove_old_lock_files(store: ContentStore, now: float) -> None:
    folder = store.root / ".locks"
    if not folder.is_dir():
        return
    for lock in folder.iterdir():
        try:
            if now - lock.stat().st_mtime > LOCK_FILE_AGE:
                lock.unlink()
        except FileNotFoundError:
            continue
