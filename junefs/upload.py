"""Upload: move a staged file's parts and thumbnail to its backend.

One function, :func:`upload_file`, safe to run twice and to resume:

1. Claim the file with a conditional UPDATE (pending/failed, or uploading
   with an expired lease) and go on only if exactly one row changed. When
   the claim takes over a failed or abandoned upload, the backend first
   removes what that attempt sent and never recorded
   (:meth:`~junefs.backends.base.Backend.cleanup_failed_upload`).
2. Put every part that has no locator yet, several at a time, each read
   from the staged object and checked against its recorded sha256 as it is
   sent. Each confirmed part is saved as it lands, so a crash loses at most
   the parts in flight, and a restart sends only what is missing.
3. Put the thumbnail, then let the backend publish the file (Discord posts
   the parent message with the manifest).
4. Mark the file complete only when every part is confirmed and the parts
   add up to the recorded size; otherwise mark it failed with the reason.

Only the calling thread touches the ORM; worker threads only move bytes.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from junefs.backends import Backend, Locator, Target, get_backend
from junefs.errors import IntegrityError, JuneFSError, ObjectMissing
from junefs.manifest import PartLine
from junefs.spanning import SliceReader
from junefs.store import ContentStore, get_store

if TYPE_CHECKING:
    from junefs.models import File, Part, Server

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UploadSummary:
    file_id: int
    state: str
    sent_parts: int
    reused_parts: int
    note: str = ""


def part_target(server: Server | None, index: int = 0, kind: str = "part") -> Target:
    """Where a server wants its parts (or thumbnails: the parts channels when it has
    no thumbnails channel) to go."""
    if server is None:
        return Target(kind=kind, index=index)
    channels = tuple(int(c) for c in server.parts_channel_ids or ())
    if kind == "thumbnail" and server.thumbnails_channel_id:
        channels = (server.thumbnails_channel_id,)
    return Target(
        kind=kind,
        channel_ids=channels,
        index=index,
        guild_id=server.guild_id,
        attachment_limit=server.attachment_limit,
    )


def claim(file_id: int, lease: timedelta) -> bool:
    """Take the file for upload; True only if this caller got it."""
    return claim_upload(file_id, lease) is not None


def claim_upload(file_id: int, lease: timedelta) -> str | None:
    """Take the file for upload: ``"new"``, ``"resumed"`` (a failed or abandoned
    upload taken over), or None when another caller has it or it is done."""
    from junefs.models import File

    now = timezone.now()
    taken = {"state": File.State.UPLOADING, "upload_lease_until": now + lease, "state_note": ""}
    if File.objects.filter(pk=file_id, state=File.State.PENDING).update(**taken) == 1:
        return "new"
    abandoned = Q(state=File.State.FAILED) | Q(
        state=File.State.UPLOADING, upload_lease_until__lt=now
    )
    if File.objects.filter(abandoned, pk=file_id).update(**taken) == 1:
        return "resumed"
    return None


def _put_slice(backend: Backend, path: str, part: Part, name: str, target: Target) -> Locator:
    with SliceReader(path, part.offset, part.size) as reader:
        locator = backend.put(reader, size=part.size, sha256=part.sha256, name=name, target=target)
        if reader.sha256 != part.sha256:
            # The staged bytes changed under us; never confirm what we did not check.
            with contextlib.suppress(Exception):
                backend.delete(locator)
            raise IntegrityError(
                f"part {part.index} read back as {reader.sha256}, expected {part.sha256}"
            )
    return locator


def upload_file(
    file_id: int,
    *,
    backend: Backend | None = None,
    store: ContentStore | None = None,
    progress: Callable[[int], None] | None = None,
) -> UploadSummary:
    """Upload what is missing of one file. Safe to call again after any failure."""
    from junefs.models import File

    lease = timedelta(seconds=settings.JUNEFS_UPLOAD_LEASE_SECONDS)
    claimed = claim_upload(file_id, lease)
    if claimed is None:
        file = File.objects.filter(pk=file_id).first()
        state = file.state if file else "gone"
        return UploadSummary(file_id, state, 0, 0, note="not claimed (done or in progress)")
    file = File.objects.select_related("channel__server").get(pk=file_id)
    backend = backend or get_backend(file.backend)
    store = store or get_store()
    try:
        if claimed == "resumed":
            backend.cleanup_failed_upload(file)
        sent, reused = _upload_parts(file, backend, store, lease, progress)
        _upload_thumbnail(file, backend, store)
        backend.publish(file)
        _finish(file)
    except (JuneFSError, OSError) as exc:
        note = str(exc) or exc.__class__.__name__
        log.warning("upload of file %s failed: %s", file_id, note)
        File.objects.filter(pk=file_id, state=File.State.UPLOADING).update(
            state=File.State.FAILED, state_note=note[:2000], upload_lease_until=None
        )
        backend.cleanup_failed_upload(file)
        return UploadSummary(file_id, File.State.FAILED, 0, 0, note=note)
    return UploadSummary(file_id, File.State.COMPLETE, sent, reused)


def _upload_parts(
    file: File,
    backend: Backend,
    store: ContentStore,
    lease: timedelta,
    progress: Callable[[int], None] | None,
) -> tuple[int, int]:
    from junefs.models import File, Part

    missing = list(file.parts.filter(backend="").order_by("index"))
    reused = file.part_count - len(missing)
    if not missing:
        return 0, reused
    staged = store.find(file.sha256)
    if staged is None:
        raise ObjectMissing(
            f"the staged copy of {file.sha256} is gone from the store; upload it again"
        )
    server = file.channel.server
    concurrency = settings.JUNEFS_UPLOAD_CONCURRENCY
    sent = 0
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="upload") as pool:
        pending: dict[Future[Locator], Part] = {}
        queue = list(missing)
        first_error: BaseException | None = None
        while queue or pending:
            while queue and len(pending) < concurrency and first_error is None:
                part = queue.pop(0)
                name = f"{file.sha256[:16]}.{part.index:04d}.part"
                line = PartLine(
                    file.sha256, part.index, file.part_count, part.offset, part.size, part.sha256
                )
                target = replace(part_target(server, index=part.index), part_of=line)
                future = pool.submit(_put_slice, backend, str(staged), part, name, target)
                pending[future] = part
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                part = pending.pop(future)
                try:
                    locator = future.result()
                except BaseException as exc:  # keep the other parts' results
                    first_error = first_error or exc
                    continue
                part.set_locator(locator)
                part.save(update_fields=Part.LOCATOR_FIELDS)
                sent += 1
                if progress is not None:
                    progress(part.size)
                File.objects.filter(pk=file.pk, state=File.State.UPLOADING).update(
                    upload_lease_until=timezone.now() + lease
                )
        if first_error is not None:
            raise first_error
    return sent, reused


def _upload_thumbnail(file: File, backend: Backend, store: ContentStore) -> None:
    from junefs.models import Thumbnail

    thumb = Thumbnail.objects.filter(file=file).first()
    if thumb is None or thumb.confirmed:
        return
    path = store.find(thumb.sha256)
    if path is None:
        # The preview can be made again; the file itself is still good.
        log.warning("thumbnail %s of file %s is gone from the store", thumb.sha256, file.pk)
        return
    target = part_target(file.channel.server, kind="thumbnail")
    with SliceReader(str(path), 0, thumb.size) as reader:
        locator = backend.put(
            reader,
            size=thumb.size,
            sha256=thumb.sha256,
            name=f"{file.sha256[:16]}.webp",
            target=target,
        )
    thumb.set_locator(locator)
    thumb.save(update_fields=Thumbnail.LOCATOR_FIELDS)


def _finish(file: File) -> None:
    from junefs.models import File

    parts = list(file.parts.order_by("index"))
    unconfirmed = [p.index for p in parts if not p.confirmed]
    if len(parts) != file.part_count or unconfirmed:
        raise IntegrityError(f"parts not confirmed: {unconfirmed or 'count mismatch'}")
    offset = 0
    for part in parts:
        if part.offset != offset:
            raise IntegrityError(f"part {part.index} starts at {part.offset}, expected {offset}")
        offset += part.size
    if offset != file.size:
        raise IntegrityError(f"parts add up to {offset} bytes, the file has {file.size}")
    File.objects.filter(pk=file.pk, state=File.State.UPLOADING).update(
        state=File.State.COMPLETE, upload_lease_until=None, state_note=""
    )
