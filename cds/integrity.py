"""What happens when bytes are not what JuneFS recorded.

A copy that fails its sha256 check is never served: a cached copy is dropped
and fetched again, a remote copy (backend or peer) is discarded before it is
stored. When no source has a good copy, :class:`SegmentUnavailable` says why,
and :func:`mark_damaged` records it on the file (state ``damaged`` with the
reason) so people and the admin see it, logs it and counts it. When sources
were merely unreachable the file is left alone: that is an outage, not damage.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.core.cache import cache

from cds import stats
from junefs.models import File

log = logging.getLogger(__name__)


class Outcome(Enum):
    BAD = "bad copy"  # bytes came, with the wrong sha256 or size
    MISSING = "missing"  # the source says it does not have the object
    UNREACHABLE = "unreachable"  # network, timeout, 5xx: try again later


@dataclass
class SourceFailure:
    source: str
    outcome: Outcome
    detail: str

    def __str__(self) -> str:
        return f"{self.source}: {self.outcome.value} ({self.detail})"


class SegmentUnavailable(Exception):
    """No source had a good copy of a segment.

    ``backend`` is what the backend (the copy of record) said: BAD or MISSING
    mean the file is damaged; UNREACHABLE, or no answer at all, is an outage.
    Peers not having an object is normal and never makes a file damaged.
    """

    def __init__(
        self,
        sha256: str,
        index: int,
        failures: list[SourceFailure],
        backend: Outcome | None,
    ) -> None:
        self.sha256 = sha256
        self.index = index
        self.failures = failures
        self.backend = backend
        super().__init__(str(self))

    @property
    def damaged(self) -> bool:
        return self.backend in (Outcome.BAD, Outcome.MISSING)

    @property
    def status(self) -> int:
        return 502 if self.damaged else 503

    def __str__(self) -> str:
        reasons = "; ".join(str(f) for f in self.failures) or "no source holds it"
        return f"part {self.index} ({self.sha256[:16]}…) is unavailable: {reasons}"


def _flag_key(file_id: int) -> str:
    return f"cds:damaged:{file_id}"


def recently_damaged(file_id: int | None) -> bool:
    """True while a file found damaged should not be fetched remotely again."""
    return file_id is not None and bool(cache.get(_flag_key(file_id)))


def mark_damaged(file_id: int, problem: SegmentUnavailable) -> None:
    """Record that a complete file has no good copy of one of its parts."""
    note = f"CDS: {problem}"[:2000]
    changed = File.objects.filter(pk=file_id, state=File.State.COMPLETE).update(
        state=File.State.DAMAGED, state_note=note
    )
    if settings.CDS_DAMAGED_RETRY_SECONDS:
        cache.set(_flag_key(file_id), True, settings.CDS_DAMAGED_RETRY_SECONDS)
    if changed:
        stats.count("damaged_files")
    log.error("file %s marked damaged: %s", file_id, problem)


def clear_damaged_flag(file_id: int) -> None:
    cache.delete(_flag_key(file_id))
