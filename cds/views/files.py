"""The byte-serving endpoints: files, thumbnails, by hash, share links.

Each view finds what to serve in one synchronous step (access through
``authware.access``, the block list, the requester for the audit), then hands
the servable to :func:`cds.views.respond.respond`. A file the requester may
not read is a 404, exactly like a file that does not exist. A request that
is nginx asking whether it may send the bytes itself (the fast path) gets
its answer from :mod:`cds.views.decisions` after that same first step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.http import Http404, HttpRequest, HttpResponseBase
from django.views.decorators.http import require_http_methods

from authware import access
from cds import blocklist
from cds.audit import AuditEntry, Requester, audit_log, client_ip, requester_of
from cds.models import AccessRecord, BlockedHash
from cds.objects import NotServable, Servable, file_servable, object_servable, thumbnail_servable
from cds.peers import peer_node
from cds.sharing import link_for_token
from cds.views import decisions
from cds.views.respond import refuse_blocked, respond, wants_download
from junefs.store import check_sha256, get_store

Finder = Callable[[], tuple[Servable | None, Requester | None]]


@dataclass
class Found:
    servable: Servable | None
    requester: Requester
    blocked: BlockedHash | None


def _find(request: HttpRequest, finder: Finder) -> Found:
    """Run the finder and the block list check; all the ORM work of a request."""
    try:
        servable, requester = finder()
    except (Http404, NotServable):
        servable, requester = None, None
    requester = requester or requester_of(request)
    blocked = blocklist.blocked(servable.block_hashes) if servable is not None else None
    return Found(servable, requester, blocked)


async def _serve(
    request: HttpRequest,
    kind: str,
    finder: Finder,
    *,
    file_id: int | None = None,
    sha256: str = "",
    cache_control: str | None = None,
) -> HttpResponseBase:
    found = await sync_to_async(_find)(request, finder)
    download = wants_download(request)
    if decisions.asked(request):
        return await decisions.decide(
            request,
            found.servable,
            found.requester,
            blocked=found.blocked,
            download=download,
            cache_control=cache_control,
        )
    entry = AuditEntry(
        kind=kind,
        requester=found.requester,
        client_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        file_id=file_id,
        sha256=sha256,
    )
    if found.servable is None:
        entry.status = 404
        entry.finish()
        audit_log.record(entry)
        raise Http404("No such file")
    if found.blocked is not None:
        return refuse_blocked(entry, found.servable.sha256, found.blocked)
    return await respond(
        request, found.servable, entry, download=download, cache_control=cache_control
    )


@require_http_methods(["GET", "HEAD"])
async def serve_file(request: HttpRequest, file_id: int, filename: str = "") -> HttpResponseBase:
    """``/cds/f/<id>/<name>``: a file's bytes. The name is for people; the id decides."""

    def finder() -> tuple[Servable | None, Requester | None]:
        return file_servable(access.get_file_for(request, file_id, "read")), None

    return await _serve(request, AccessRecord.Kind.FILE, finder, file_id=file_id)


@require_http_methods(["GET", "HEAD"])
async def serve_thumbnail(request: HttpRequest, file_id: int) -> HttpResponseBase:
    """``/cds/t/<id>.webp``: a file's preview image."""

    def finder() -> tuple[Servable | None, Requester | None]:
        return thumbnail_servable(access.get_file_for(request, file_id, "read")), None

    return await _serve(request, AccessRecord.Kind.THUMBNAIL, finder, file_id=file_id)


@require_http_methods(["GET", "HEAD"])
async def serve_by_hash(request: HttpRequest, sha256: str) -> HttpResponseBase:
    """``/cds/h/<sha256>``: a readable file with these bytes; any cached object for a peer."""
    try:
        check_sha256(sha256)
    except ValueError:
        raise Http404("No such file") from None
    node = peer_node(request)
    if node is not None:
        if decisions.asked(request):
            return decisions.ask_django()  # peers read this node's store through Django

        def node_finder() -> tuple[Servable | None, Requester | None]:
            return object_servable(sha256, get_store()), Requester(None, f"node:{node}")

        return await _serve(request, AccessRecord.Kind.PEER, node_finder, sha256=sha256)

    def finder() -> tuple[Servable | None, Requester | None]:
        file = access.files_for(request, "read").filter(sha256=sha256).order_by("id").first()
        if file is None:
            return None, None
        return dataclasses.replace(file_servable(file), kind=AccessRecord.Kind.HASH), None

    return await _serve(request, AccessRecord.Kind.HASH, finder, sha256=sha256)


@require_http_methods(["GET", "HEAD"])
async def serve_share(request: HttpRequest, token: str, filename: str = "") -> HttpResponseBase:
    """``/cds/s/<token>/<name>``: a shared file, for anyone holding a live link."""
    if decisions.asked(request):
        return decisions.ask_django()  # every use is counted, and a revoked link stops at once

    def finder() -> tuple[Servable | None, Requester | None]:
        link = link_for_token(token, count_use=request.method == "GET")
        if link is None:
            return None, Requester(None, "share:invalid")
        servable = dataclasses.replace(file_servable(link.file), kind=AccessRecord.Kind.SHARE)
        return servable, Requester(None, f"share:{link.pk}")

    # Revalidate every time (cheap with the ETag) so a revoked link stops at once.
    return await _serve(request, AccessRecord.Kind.SHARE, finder, cache_control="private, no-cache")
