"""Read files back from their backend: download and verify.

Every byte is checked against the sha256 recorded when it entered. A part
that is missing or changed is reported by number (:class:`PartDamaged`) and
never handed on; ``verify`` marks such a file damaged so nothing serves it as
good.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from django.utils import timezone

from junefs.backends import Backend, get_backend
from junefs.errors import PartDamaged
from junefs.models import File, Part
from junefs.spanning import PartSpec, check_part, join

#: Refresh a cached URL when it expires within this margin.
URL_MARGIN = timedelta(minutes=10)


def spec_of(part: Part) -> PartSpec:
    return PartSpec(part.index, part.offset, part.size, part.sha256)


def refresh_urls(parts: list[Part], backend: Backend) -> None:
    """Renew, in one batch, the cached URLs that expired or are about to."""
    soon = timezone.now() + URL_MARGIN
    stale = [
        p
        for p in parts
        if p.confirmed and (p.url == "" or p.url_expires_at is None or p.url_expires_at < soon)
    ]
    if not stale:
        return
    fresh = backend.refresh([p.locator for p in stale])
    for part, locator in zip(stale, fresh, strict=True):
        if locator.url != part.url or locator.url_expires_at != part.url_expires_at:
            part.url, part.url_expires_at = locator.url, locator.url_expires_at
            part.save(update_fields=["url", "url_expires_at"])


def confirmed_parts(file: File, backend: Backend) -> list[Part]:
    """The file's parts with fresh URLs; PartDamaged if one was never stored."""
    parts = list(file.parts.order_by("index"))
    if len(parts) != file.part_count:
        raise PartDamaged(file.pk, len(parts), f"file has {len(parts)} of {file.part_count} parts")
    for part in parts:
        if not part.confirmed:
            raise PartDamaged(file.pk, part.index, "was never confirmed by the backend")
    refresh_urls(parts, backend)
    return parts


def _opener(parts: list[Part], backend: Backend) -> Callable[[PartSpec], BinaryIO]:
    by_index = {p.index: p for p in parts}

    def open_part(spec: PartSpec) -> BinaryIO:
        return backend.open(by_index[spec.index].locator)

    return open_part


def iter_file(file: File, *, backend: Backend | None = None) -> Iterator[bytes]:
    """The file's bytes from its backend, each part verified before it is yielded."""
    backend = backend or get_backend(file.backend)
    parts = confirmed_parts(file, backend)
    yield from join(
        [spec_of(p) for p in parts],
        _opener(parts, backend),
        expected_size=file.size,
        expected_sha256=file.sha256,
        file_id=file.pk,
    )


def download_to(
    file: File,
    destination: Path,
    *,
    backend: Backend | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the file to ``destination``, atomically: a failed download leaves nothing."""
    destination = Path(destination)
    fd, temp_name = tempfile.mkstemp(dir=destination.parent, prefix=".junefs-", suffix=".part")
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in iter_file(file, backend=backend):
                out.write(chunk)
                written += len(chunk)
                if progress is not None:
                    progress(len(chunk))
        os.replace(temp_name, destination)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return written


@dataclass
class VerifyReport:
    file_id: int
    ok: bool
    checked_parts: int = 0
    problems: list[str] = field(default_factory=list)


def verify_file(
    file: File,
    *,
    backend: Backend | None = None,
    mark: bool = True,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Re-read every part and check its hash. Marks the file damaged (or good again)."""
    backend = backend or get_backend(file.backend)
    report = VerifyReport(file.pk, ok=True)
    try:
        parts = confirmed_parts(file, backend)
    except PartDamaged as exc:
        report.ok = False
        report.problems.append(str(exc))
        parts = []
    opener = _opener(parts, backend)
    for part in parts:
        try:
            check_part(spec_of(part), opener, file_id=file.pk)
            report.checked_parts += 1
        except PartDamaged as exc:
            report.ok = False
            report.problems.append(str(exc))
        if progress is not None:
            progress(part.size)
    if mark:
        _mark(file, report)
    return report


def _mark(file: File, report: VerifyReport) -> None:
    if not report.ok:
        File.objects.filter(pk=file.pk).exclude(
            # Not stored yet, or (indexing) its sha256 is not known yet.
            state__in=[File.State.PENDING, File.State.UPLOADING, File.State.INDEXING]
        ).update(state=File.State.DAMAGED, state_note="; ".join(report.problems)[:2000])
    elif file.state == File.State.DAMAGED:
        File.objects.filter(pk=file.pk, state=File.State.DAMAGED).update(
            state=File.State.COMPLETE, state_note=""
        )
    file.refresh_from_db(fields=["state", "state_note"])
