"""The block list: bytes that must not be served, by sha256.

Every path that sends bytes (files, thumbnails, by-hash, share links, peer
loads, and later ADS/DWS) asks :func:`blocked` with every hash that names
what it is about to send: the file's own hash, and for a thumbnail or a part
also the hash of the file it belongs to. The strictest entry wins (451 over
403 over 404), so blocking a file also blocks its preview.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import Http404, HttpResponse

from cds.models import BlockedHash

#: Which entry wins when several hashes of one request are blocked.
_SEVERITY = {BlockedHash.Status.LEGAL: 3, BlockedHash.Status.FORBIDDEN: 2}


def blocked(hashes: Iterable[str]) -> BlockedHash | None:
    """The block entry that applies to any of ``hashes``, or None."""
    wanted = {h for h in hashes if h}
    if not wanted:
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
