"""Turn a servable into an HTTP answer: 304, 412, 416, HEAD, nginx offload or a stream.

Shared by every CDS path that sends bytes. The caller has already checked
access and the block list; this decides the representation's headers and
how the bytes go out, and fills the audit entry with what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from cds import accel, blocklist, stats
from cds.audit import AuditEntry, audit_log
from cds.fetch import Obtainer
from cds.headers import safety_headers
from cds.integrity import SegmentUnavailable, mark_damaged
from cds.io import run_io
from cds.models import AccessRecord, BlockedHash
from cds.objects import Servable
from cds.ranges import (
    ByteRange,
    Unsatisfiable,
    evaluate_preconditions,
    if_range_allows,
    last_modified_header,
    parse_range,
    quote_etag,
)
from cds.streaming import RangeStream
from junefs.store import get_store

log = logging.getLogger(__name__)

#: Servables whose bytes are a file's (a failure there means the file is damaged).
FILE_KINDS = {AccessRecord.Kind.FILE, AccessRecord.Kind.SHARE, AccessRecord.Kind.HASH}


class StreamAborted(Exception):
    """A later part had no good copy: the response is cut short rather than served wrong."""


def wants_download(request: HttpRequest) -> bool:
    """``?download=1`` (or true, yes): send the file as an attachment."""
    return request.GET.get("download") in ("1", "true", "yes")


def finish(response: HttpResponse, entry: AuditEntry) -> HttpResponse:
    """Record the answer in the audit and return it."""
    entry.status = response.status_code
    entry.finish()
    audit_log.record(entry)
    return response


def refuse_blocked(entry: AuditEntry, sha256: str, blocked: BlockedHash) -> HttpResponse:
    """The block list's answer, audited and counted (raises Http404 for a 404 entry)."""
    entry.sha256, entry.status = sha256, blocked.status
    entry.error = f"blocked: {blocked.reason}"
    entry.finish()
    audit_log.record(entry)
    stats.count("blocked")
    return blocklist.refusal(blocked)


def text_answer(text: str, status: int) -> HttpResponse:
    """A short plain-text answer that no cache keeps."""
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def representation_headers(
    servable: Servable, *, download: bool, cache_control: str | None
) -> dict[str, str]:
    headers = safety_headers(servable.mime, servable.name, download=download)
    headers.update(
        {
            "ETag": quote_etag(servable.sha256),
            "Last-Modified": last_modified_header(servable.last_modified),
            "Cache-Control": cache_control or settings.CDS_CACHE_CONTROL,
            "Accept-Ranges": "bytes",
        }
    )
    return headers


def precondition_verdict(request: HttpRequest, servable: Servable) -> int | None:
    """304 or 412 when the request's conditions decide the answer, else None."""
    lowered = {name.lower(): value for name, value in request.headers.items()}
    return evaluate_preconditions(
        lowered,
        etag=servable.sha256,
        last_modified=servable.last_modified,
        method=request.method or "GET",
    )


async def respond(
    request: HttpRequest,
    servable: Servable,
    entry: AuditEntry,
    *,
    download: bool = False,
    cache_control: str | None = None,
    obtainer: Obtainer | None = None,
) -> HttpResponseBase:
    """The answer for a servable; ``obtainer`` gets its bytes (default: the usual fetch path)."""
    entry.sha256, entry.file_id = servable.sha256, servable.file_id
    headers = representation_headers(servable, download=download, cache_control=cache_control)
    verdict = precondition_verdict(request, servable)
    if verdict is not None:
        response = HttpResponse(status=verdict)
        for name in ("ETag", "Last-Modified", "Cache-Control", "X-Content-Type-Options"):
            response[name] = headers[name]
        if verdict == 304:
            stats.count("not_modified")
        return finish(response, entry)

    try:
        byte_range = (
            parse_range(request.headers.get("Range"), servable.size)
            if if_range_allows(
                request.headers.get("If-Range"),
                etag=servable.sha256,
                last_modified=servable.last_modified,
            )
            else None
        )
    except Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{servable.size}"
        for name in ("ETag", "Accept-Ranges", "X-Content-Type-Options"):
            response[name] = headers[name]
        return finish(response, entry)

    status = 206 if byte_range is not None else 200
    if byte_range is not None:
        entry.range_start, entry.range_end = byte_range.start, byte_range.end
        headers["Content-Range"] = byte_range.content_range(servable.size)
    else:
        byte_range = ByteRange(0, servable.size - 1)
    headers["Content-Length"] = str(byte_range.length)

    if request.method == "HEAD" or byte_range.length == 0:
        response = HttpResponse(status=status, headers=headers)
        return finish(response, entry)

    store = get_store()
    # nginx would judge If-Match / If-Unmodified-Since again against its own
    # validators (none, or the cache file's date) and answer 412: Django has
    # judged them already, so it sends those few answers itself.
    if accel.enabled() and not _has_write_preconditions(request):
        uri = await run_io(accel.offload_uri, servable, store)
        if uri is not None:
            # nginx sets these itself from the file and the Range it applies.
            for name in ("Content-Length", "Content-Range", "Accept-Ranges"):
                headers.pop(name, None)
            response = HttpResponse(headers=headers)
            response["X-Accel-Redirect"] = uri
            # nginx answers 200 or 206 and sends the bytes; record that.
            entry.via, entry.status, entry.bytes_sent = "nginx", status, byte_range.length
            entry.finish()
            audit_log.record(entry)
            stats.count("accel_requests")
            return response

    stream = RangeStream(servable, byte_range, obtainer or Obtainer(servable, store))
    try:
        await stream.start()
    except SegmentUnavailable as problem:
        stream.close()
        if servable.store_only:  # a peer asked; this node's copy went bad or away
            return finish(HttpResponse("Not cached here\n", status=404), entry)
        return finish(await failure_response(servable, problem), entry)
    streaming = StreamingHttpResponse(_send(stream, servable, entry), status=status)
    for name, value in headers.items():
        streaming[name] = value
    entry.status = status
    return streaming


def _has_write_preconditions(request: HttpRequest) -> bool:
    return "If-Match" in request.headers or "If-Unmodified-Since" in request.headers


async def _send(stream: RangeStream, servable: Servable, entry: AuditEntry) -> AsyncIterator[bytes]:
    try:
        async with contextlib.aclosing(stream.chunks()) as chunks:
            async for chunk in chunks:
                yield chunk
        if stream.range.length == servable.size:
            await _after_full_read(servable)
    except SegmentUnavailable as problem:
        entry.error = str(problem)
        await _record_failure(servable, problem)
        raise StreamAborted(
            f"{servable.kind} {servable.file_id or servable.sha256}: {problem}"
        ) from problem
    except (asyncio.CancelledError, GeneratorExit):
        entry.error = "the client went away"
        raise
    finally:
        entry.bytes_sent = stream.sent
        entry.finish()
        audit_log.record(entry)
        stats.count("served_requests")
        stats.count("served_bytes", stream.sent)


async def _after_full_read(servable: Servable) -> None:
    """A spanned file was read through: have the worker unpack it into the store."""
    if not (settings.CDS_UNPACK_SPANNED and servable.spanned and servable.kind in FILE_KINDS):
        return
    from cds.tasks import unpack_file_task

    try:
        await run_io(unpack_file_task.delay, servable.file_id)
    except Exception:  # the broker is down: the file stays served from its parts
        log.warning("could not queue unpacking file %s", servable.file_id, exc_info=True)


async def _record_failure(servable: Servable, problem: SegmentUnavailable) -> None:
    if problem.damaged:
        stats.count("integrity_failures")
        if servable.kind in FILE_KINDS and servable.file_id is not None:
            await sync_to_async(mark_damaged)(servable.file_id, problem)
        else:
            log.error("%s %s has no good copy: %s", servable.kind, servable.sha256, problem)
    else:
        stats.count("unavailable")
        log.warning("%s %s is out of reach: %s", servable.kind, servable.sha256, problem)


async def failure_response(servable: Servable, problem: SegmentUnavailable) -> HttpResponse:
    """A clear 502 (no good copy) or 503 (the backend is out of reach)."""
    await _record_failure(servable, problem)
    what = f"file {servable.file_id}" if servable.file_id else f"object {servable.sha256}"
    if problem.damaged:
        text = (
            f"{what} is damaged: no copy of part {problem.index} matches its recorded "
            f"sha256. Nothing was sent. The problem is logged and the file marked damaged; "
            f"an administrator can verify or restore it.\n\nDetails: {problem}\n"
        )
    else:
        text = f"{what} cannot be fetched right now; try again later.\n\nDetails: {problem}\n"
    response = HttpResponse(text, status=problem.status, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    if not problem.damaged:
        response["Retry-After"] = "30"
    return response
