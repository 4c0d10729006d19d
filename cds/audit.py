"""The access audit: who got which bytes, how many, and how it ended.

Serving must not pay a database write per request, so records go into an
in-process buffer and a background thread writes them in batches every
``CDS_AUDIT_FLUSH_SECONDS`` (one ``bulk_create``). The buffer is bounded
(``CDS_AUDIT_MAX_BUFFER``): if the database stays away that long, the oldest
records are dropped and counted rather than eating the server's memory.
Whatever is left is written when the process exits.
"""

from __future__ import annotations

import atexit
import ipaddress
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections
from django.http import HttpRequest
from django.utils import timezone

from cds import stats
from cds.models import AccessRecord

log = logging.getLogger(__name__)


@dataclass
class Requester:
    """Who asked: a user, a device or API token, a share link or a peer node."""

    user_id: int | None = None
    credential: str = "anonymous"


@dataclass
class AuditEntry:
    kind: str
    requester: Requester
    client_ip: str | None
    user_agent: str = ""
    file_id: int | None = None
    sha256: str = ""
    status: int = 0
    bytes_sent: int = 0
    range_start: int | None = None
    range_end: int | None = None
    via: str = "django"
    error: str = ""
    at: datetime = field(default_factory=timezone.now)
    started: float = field(default_factory=time.monotonic)
    duration_ms: int = 0

    def finish(self) -> None:
        self.duration_ms = int((time.monotonic() - self.started) * 1000)

    def as_record(self) -> AccessRecord:
        return AccessRecord(
            at=self.at,
            user_id=self.requester.user_id,
            credential=self.requester.credential[:100],
            kind=self.kind,
            file_id=self.file_id,
            sha256=self.sha256,
            status=self.status,
            bytes_sent=self.bytes_sent,
            range_start=self.range_start,
            range_end=self.range_end,
            client_ip=self.client_ip,
            user_agent=self.user_agent[:200],
            via=self.via,
            duration_ms=min(self.duration_ms, 2**31 - 1),
            error=self.error[:500],
        )


def requester_of(request: HttpRequest) -> Requester:
    """Who is asking. Touches ``request.user``: call from sync code."""
    token = getattr(request, "auth_token", None) or getattr(request, "device_token", None)
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    if token is not None:
        label = getattr(token, "name", None) or getattr(token, "pk", None) or "?"
        return Requester(user_id, f"token:{label}")
    if user_id is not None:
        return Requester(user_id, f"user:{user.get_username()}")  # type: ignore[union-attr]
    return Requester()


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; X-Forwarded-For is believed only from a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR") or ""
    address = remote
    if remote in settings.CDS_TRUSTED_PROXIES:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            address = hops[-1]
        elif request.META.get("HTTP_X_REAL_IP"):
            address = request.META["HTTP_X_REAL_IP"].strip()
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


class AuditLog:
    """The buffer of records waiting to be written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer: deque[AuditEntry] = deque()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def record(self, entry: AuditEntry) -> None:
        """Queue one record (never touches the database)."""
        dropped = 0
        with self._lock:
            self._buffer.append(entry)
            while len(self._buffer) > settings.CDS_AUDIT_MAX_BUFFER:
                self._buffer.popleft()
                dropped += 1
        if dropped:
            stats.count("audit_dropped", dropped)
            log.warning("audit buffer full: dropped %s record(s)", dropped)
        self._ensure_writer()

    def discard(self) -> None:
        """Forget what is buffered (tests)."""
        with self._lock:
            self._buffer.clear()

    def pending(self) -> int:
        with self._lock:
            return len(self._buffer)

    def flush(self) -> int:
        """Write what is buffered, in one batch. Returns how many records were written."""
        with self._lock:
            batch = list(self._buffer)
            self._buffer.clear()
        if not batch:
            return 0
        try:
            AccessRecord.objects.bulk_create([e.as_record() for e in batch], batch_size=500)
        except Exception:
            with self._lock:  # keep them for the next try, oldest first
                self._buffer.extendleft(reversed(batch))
            raise
        return len(batch)

    def _ensure_writer(self) -> None:
        interval = settings.CDS_AUDIT_FLUSH_SECONDS
        if interval <= 0 or (self._thread is not None and self._thread.is_alive()):
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(
                target=self._run, args=(interval,), name="cds-audit", daemon=True
            )
            self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.flush_quietly()

    def flush_quietly(self) -> None:
        """Flush from a thread of its own (connections opened and closed here)."""
        close_old_connections()
        try:
            stats.flush()
            self.flush()
        except Exception:
            log.exception("could not write the access audit; will retry")
        finally:
            close_old_connections()


audit_log = AuditLog()


@atexit.register
def flush_at_shutdown() -> None:
    """Write what is still buffered: at the ASGI lifespan's shutdown, and at exit.

    uvicorn stops on SIGTERM by re-raising the signal once it has shut down,
    so atexit handlers never run there; the lifespan shutdown
    (:mod:`sequenzia.lifespan`) is what saves the last records of a web process.
    """
    stats.flush()
    if audit_log.pending():
        audit_log.flush_quietly()


def prune_access_records(now: datetime | None = None) -> int:
    """Delete records older than the retention; returns how many went."""
    days = settings.CDS_AUDIT_RETENTION_DAYS
    if not days:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    removed = 0
    while True:
        ids = list(AccessRecord.objects.filter(at__lt=cutoff).values_list("id", flat=True)[:5000])
        if not ids:
            return removed
        removed += AccessRecord.objects.filter(id__in=ids).delete()[0]
