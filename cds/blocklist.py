"""The block list: bytes that must not be served, by sha256.

Every path that sends bytes (files, thumbnails, by-hash, share links, peer
loads, and later ADS/DWS) asks :func:`blocked` with every hash that names
what it is about to send: the file's own hash, and for a thumbnail or a part
also the hash of the file it belongs to. The strictest entry wins (451 over
403 over 404), so blocking a file also blocks its preview.

Every request asks, so each process keeps the set of blocked hashes in
memory and asks the database only when a hash is in it. The set is reloaded
when the block list's version (in Django's cache, bumped by every change)
moves, and at least every ``RELOAD_SECONDS`` in any case, for processes that
do not share a cache (no Redis).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import Http404, HttpResponse

from cds.models import BlockedHash

#: Which entry wins when several hashes of one request are blocked.
_SEVERITY = {BlockedHash.Status.LEGAL: 3, BlockedHash.Status.FORBIDDEN: 2}
VERSION_KEY = "cds:blocklist:version"
RELOAD_SECONDS = 10.0


class _BlockedSet:
    """This process's copy of the blocked hashes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hashes: frozenset[str] = frozenset()
        self.version: object = None
        self.loaded_at = float("-inf")

    def current(self) -> frozenset[str]:
        version = cache.get(VERSION_KEY)
        if version is None:  # never changed since the cache started
            cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
            version = cache.get(VERSION_KEY)
        fresh = time.monotonic() - self.loaded_at < RELOAD_SECONDS
        if version is not None and version == self.version and fresh:
            return self.hashes
        with self.lock:
            hashes = frozenset(BlockedHash.objects.values_list("sha256", flat=True))
            self.hashes, self.version, self.loaded_at = hashes, version, time.monotonic()
        return hashes


_blocked_set = _BlockedSet()


def changed() -> None:
    """Tell every process the block list changed (call after bulk updates)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


@receiver(post_save, sender=BlockedHash)
@receiver(post_delete, sender=BlockedHash)
def _on_change(**_: object) -> None:
    changed()


def blocked(hashes: Iterable[str]) -> BlockedHash | None:
    """The block entry that applies to any of ``hashes``, or None."""
    wanted = {h for h in hashes if h}
    if not wanted or not wanted & _blocked_set.current():
        return None
    entries = list(BlockedHash.objects.filter(sha256__in=wanted))
    if not entries:
        return None
    return max(entries, key=lambda e: _SEVERITY.get(e.status, 1))  # type: ignore[call-overload]


def refusal(entry: BlockedHash) -> HttpResponse:
    """The answer for a blocked request. A 404 entry looks like any missing file."""
    if entry.status == BlockedHash.Status.NOT_FOUND:
        raise Http404("No such file")
    if entry.status == BlockedHash.Status.LEGAL:
        text = f"Unavailable for legal reasons: {entry.reason}\n"
    else:
        text = f"Blocked: {entry.reason}\n"
    response = HttpResponse(text, status=entry.status, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
