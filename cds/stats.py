"""Counters of what the content server did, shown on ``/cds/health`` and in the admin.

Kept in Django's cache: with Redis they are shared by every node and process
(and survive restarts of the web process); with the default in-memory cache
they count this process. They are for watching trends (integrity failures,
backend fetches), not for billing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter

from django.core.cache import cache

log = logging.getLogger(__name__)

PREFIX = "cds:count:"

#: Every counter, with what it counts.
COUNTERS: dict[str, str] = {
    "served_requests": "requests that sent bytes (200/206)",
    "served_bytes": "bytes sent by Django (not counting nginx offload)",
    "accel_requests": "requests handed to nginx (X-Accel-Redirect)",
    "nginx_decisions": "fast path: URLs nginx may send itself for a while (see deploy/README.md)",
    "nginx_log_records": "fast path: requests read into the audit from nginx's log",
    "not_modified": "304 answers",
    "blocked": "requests refused by the block list",
    "cache_hits": "objects served from the local store",
    "backend_fetches": "objects fetched from the backend",
    "peer_fetches": "objects fetched from a peer node",
    "peer_misses": "peers that did not have an object or did not answer",
    "peer_bad_copies": "objects a peer sent with the wrong sha256 (rejected)",
    "backend_bad_copies": "objects the backend sent with the wrong sha256 (rejected)",
    "cache_corrupt": "cached objects that failed their sha256 check (dropped)",
    "integrity_failures": "requests that failed because no good copy could be found",
    "damaged_files": "files marked damaged by CDS",
    "unavailable": "requests that failed because the backend could not be reached",
    "evicted_objects": "objects evicted from the unpacked cache",
    "evicted_bytes": "bytes evicted from the unpacked cache",
    "audit_dropped": "access records dropped because the audit buffer was full",
    "renditions_made": "renditions rendered and stored (each a cache miss)",
    "rendition_failures": "renditions refused because the source image did not decode",
}


_pending: Counter[str] = Counter()
_lock = threading.Lock()


def count(name: str, amount: int = 1) -> None:
    """Add ``amount`` to a counter. Never blocks an event loop, never raises.

    In async code the count waits in this process until the next
    :func:`flush` (the audit writer thread flushes every few seconds, and
    :func:`snapshot` flushes first); elsewhere it goes to the cache at once.
    """
    if name not in COUNTERS:
        raise ValueError(f"unknown CDS counter {name!r}")
    with _lock:
        _pending[name] += amount
    if not _in_event_loop():
        flush()


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def flush() -> None:
    """Move the counts waiting in this process into the cache."""
    with _lock:
        pending = dict(_pending)
        _pending.clear()
    for name, amount in pending.items():
        key = PREFIX + name
        try:
            try:
                cache.incr(key, amount)
            except ValueError:  # not there yet
                if not cache.add(key, amount, timeout=None):
                    cache.incr(key, amount)
        except Exception:  # the cache server is down: keep the count for later
            with _lock:
                _pending[name] += amount
            log.warning("could not write the CDS counter %s", name, exc_info=True)


def snapshot() -> dict[str, int]:
    """Every counter's value (0 for those never counted). Blocking: not in an event loop."""
    flush()
    try:
        values = cache.get_many([PREFIX + name for name in COUNTERS])
    except Exception:
        log.warning("could not read the CDS counters", exc_info=True)
        values = {}
    return {name: int(values.get(PREFIX + name, 0)) for name in COUNTERS}


def reset() -> None:
    with _lock:
        _pending.clear()
    cache.delete_many([PREFIX + name for name in COUNTERS])
