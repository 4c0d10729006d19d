"""Read a mirrored attachment once: hash it, learn its type, probe it, make its thumbnail.

The body of the ``junefs.read_mirrored_file`` task. The file was recorded
from the message (name, size, ids, URL) in state ``indexing`` with a stand-in
sha256; this fills in what only the bytes can tell and marks it ``complete``.
Safe to run twice: the final write is a conditional UPDATE on the state.

The bytes pass through the local store (hashed as they are written, as
ingest does) so the probes can read a file; the copy is kept only for folders
that keep their files cached.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from junefs import media
from junefs.backends import Backend, get_backend
from junefs.backends.discord.urls import url_expiry
from junefs.errors import BackendError, IngestRejected, ObjectMissing
from junefs.ingest import PILLOW_NATIVE, PROBED_FIELDS, apply_facts, copy_facts
from junefs.models import File, Part, Thumbnail
from junefs.names import clean_name
from junefs.reader import refresh_urls
from junefs.sniff import SNIFF_BYTES, Sniffed, sniff
from junefs.store import ContentStore, StoredEntry, get_store

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ReadSummary:
    file_id: int
    state: str
    note: str = ""


@dataclass
class Looks:
    """What probing found (or a file with the same bytes already knew)."""

    preview: str = File.Preview.NONE
    note: str = ""
    facts: media.VisualFacts | None = None
    duration: float | None = None
    dimensions: tuple[int | None, int | None] = (None, None)
    sibling: File | None = None


def read_mirrored_file(file_id: int, *, backend: Backend | None = None) -> ReadSummary:
    file = File.objects.select_related("channel").filter(pk=file_id).first()
    if file is None:
        return ReadSummary(file_id, "gone", "no such file")
    if file.state != File.State.INDEXING:
        return ReadSummary(file_id, file.state, "already read")
    part = file.parts.get(index=0)
    store = get_store()
    try:
        url, staged, sniffed = _download(file, part, backend or get_backend("discord"), store)
    except ObjectMissing as exc:
        File.objects.filter(pk=file_id, state=File.State.INDEXING).update(
            state=File.State.MISSING, state_note=str(exc)[:2000], updated_at=timezone.now()
        )
        return ReadSummary(file_id, File.State.MISSING, str(exc))
    try:
        return _record(file, part, url, staged, sniffed, _look(file, staged, sniffed), store)
    finally:
        if staged.created and not file.channel.keep_cached and not _needed(staged.sha256):
            store.delete(staged.sha256)


def _needed(sha256: str) -> bool:
    """An upload waiting for these bytes would read them from the store."""
    waiting = (File.State.PENDING, File.State.UPLOADING, File.State.FAILED)
    return File.objects.filter(sha256=sha256, state__in=waiting).exists()


def _download(
    file: File, part: Part, backend: Backend, store: ContentStore
) -> tuple[str, StoredEntry, Sniffed]:
    """The attachment's bytes into the store, through the backend (fresh URL, retries)."""
    writer = store.writer()
    head = bytearray()
    try:
        refresh_urls([part], backend)  # renews a stale URL and keeps it on the part
        with backend.open(part.locator) as stream:
            while chunk := stream.read(CHUNK):
                writer.write(chunk)
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
        url = part.url
        if writer.size != file.size:
            raise BackendError(f"read {writer.size} bytes of {file.size} from Discord")
        sniffed = sniff(bytes(head))
        staged = writer.commit(ext=sniffed.ext)
    except BaseException:
        writer.abort()
        raise
    return url, staged, sniffed


def _look(file: File, staged: StoredEntry, sniffed: Sniffed) -> Looks:
    sibling = (
        File.objects.filter(sha256=staged.sha256)
        .exclude(pk=file.pk)
        .exclude(preview=File.Preview.FAILED)
        .order_by("id")
        .first()
    )
    if sibling is not None:
        return Looks(sibling=sibling)
    looks = Looks(note=f"no preview for {sniffed.mime}")
    if sniffed.kind == "image" and not sniffed.active:
        try:
            looks.facts = media.probe_image(staged.path)
        except IngestRejected as exc:
            native = sniffed.mime in PILLOW_NATIVE
            looks.preview = File.Preview.FAILED if native else File.Preview.NONE
            looks.note = str(exc) if native else f"no decoder for {sniffed.mime}"
            return looks
        looks.preview, looks.note = File.Preview.READY, ""
        looks.dimensions = (looks.facts.width, looks.facts.height)
    elif sniffed.kind == "video":
        probe = media.probe_video(staged.path)
        looks.duration, looks.dimensions, looks.facts = (
            probe.duration,
            (probe.width, probe.height),
            probe.facts,
        )
        if probe.facts is not None:
            looks.preview, looks.note = File.Preview.READY, ""
        else:
            looks.preview = File.Preview.UNAVAILABLE if not probe.available else File.Preview.FAILED
            looks.note = probe.note
    return looks


def _record(
    file: File,
    part: Part,
    url: str,
    staged: StoredEntry,
    sniffed: Sniffed,
    looks: Looks,
    store: ContentStore,
) -> ReadSummary:
    thumb_entry = None
    if looks.facts is not None:
        thumb_entry = store.put_bytes(looks.facts.thumbnail.data, ext="webp")
    target = File(pk=file.pk)
    if looks.sibling is not None:
        copy_facts(looks.sibling, target)
    else:
        target.width, target.height = looks.dimensions
        target.duration, target.preview, target.preview_note = (
            looks.duration,
            looks.preview,
            looks.note[:255],
        )
        if looks.facts is not None:
            apply_facts(target, looks.facts)
    fields = {name: getattr(target, name) for name in PROBED_FIELDS}
    try:
        with transaction.atomic():
            changed = File.objects.filter(pk=file.pk, state=File.State.INDEXING).update(
                sha256=staged.sha256,
                size=staged.size,
                mime=sniffed.mime,
                kind=sniffed.kind,
                name=clean_name(file.original_name or file.name, sniffed),
                state=File.State.COMPLETE,
                state_note="",
                updated_at=timezone.now(),
                **fields,
            )
            if changed != 1:
                return ReadSummary(file.pk, "", "read by someone else meanwhile")
            Part.objects.filter(pk=part.pk).update(
                sha256=staged.sha256, url=url, url_expires_at=url_expiry(url)
            )
            _thumbnail(file, looks, thumb_entry)
    except IntegrityError:
        return _duplicate(file, staged, thumb_entry, store)
    return ReadSummary(file.pk, File.State.COMPLETE, f"{sniffed.mime}, {looks.preview}")


def _thumbnail(file: File, looks: Looks, entry: StoredEntry | None) -> None:
    if entry is not None and looks.facts is not None:
        Thumbnail.objects.create(
            file=file,
            sha256=entry.sha256,
            size=entry.size,
            width=looks.facts.thumbnail.width,
            height=looks.facts.thumbnail.height,
        )
        return
    donor = Thumbnail.objects.filter(file=looks.sibling).first() if looks.sibling else None
    if donor is not None:
        thumb = Thumbnail(file=file)
        for name in ("sha256", "size", "width", "height", "mime", *Thumbnail.LOCATOR_FIELDS):
            setattr(thumb, name, getattr(donor, name))
        thumb.save()


def _duplicate(
    file: File, staged: StoredEntry, thumb: StoredEntry | None, store: ContentStore
) -> ReadSummary:
    """The folder holds these bytes already (posted twice): keep one file."""
    other = File.objects.filter(channel_id=file.channel_id, sha256=staged.sha256).first()
    File.objects.filter(pk=file.pk, state=File.State.INDEXING).delete()
    if thumb is not None and thumb.created:
        store.delete(thumb.sha256)
    note = f"same bytes as file {other.pk if other else '?'} in this folder; not kept twice"
    log.info("mirrored file %s: %s", file.pk, note)
    return ReadSummary(file.pk, "duplicate", note)
