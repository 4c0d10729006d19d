"""``/cds/r/<id>/<w>x<h>.<webp|jpg>``: a file's image, resized to cover a screen.

The same rules as every CDS path (see :mod:`cds.views.files`): access through
``authware.access`` (a file the requester may not read is a 404), the block
list on the source file's sha256 as well as the rendition's own, the access
audit (kind ``rendition``), and :func:`cds.views.respond.respond` for the
answer (ETag = the rendition's sha256, Last-Modified = when it was made,
conditional requests, ranges, nginx offload). The box is bucketed
(:func:`cds.imaging.bucket_box`): any size in a bucket gets the same
rendition. Answers of its own:

* 400 — a box side outside 16..7680;
* 404 ``no rendition for this kind of file`` — video, audio, other files,
  SVG, and images whose pixels ingest could not read;
* 422 — the source's bytes are intact (they match their sha256) but do not
  decode: corrupt, truncated, or a decompression bomb over
  ``JUNEFS_MAX_IMAGE_PIXELS``. Logged, remembered for a while, never cached;
* 502 / 503 — the source has no good copy / cannot be fetched, as for files.

A request that has to send bytes makes the rendition first if needed
(:mod:`cds.renditions`); HEAD and conditional requests answered 304/412 use
the recorded row alone once it exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.http import require_http_methods

from authware import access
from cds import blocklist
from cds.audit import AuditEntry, Requester, audit_log, client_ip, requester_of
from cds.fetch import HeldObtainer
from cds.imaging import bucket_box
from cds.integrity import SegmentUnavailable
from cds.io import Slice
from cds.models import AccessRecord, BlockedHash, Rendition
from cds.objects import NotServable, rendition_servable
from cds.renditions import (
    NoRendition,
    RenditionFailed,
    RenditionJob,
    find_rendition,
    obtain_rendition,
    rendition_job,
)
from cds.views import decisions
from cds.views.respond import (
    failure_response,
    finish,
    precondition_verdict,
    refuse_blocked,
    respond,
    text_answer,
    wants_download,
)
from junefs.store import get_store

NO_RENDITION = "no rendition for this kind of file\n"


@dataclass
class Found:
    requester: Requester
    job: RenditionJob | None = None
    row: Rendition | None = None
    blocked: BlockedHash | None = None
    #: Set when there is no such file for this requester (a plain 404).
    no_file: bool = False


def _find(request: HttpRequest, file_id: int, box: tuple[int, int], fmt: str) -> Found:
    """Access, what to render, the row if made already, the block list: the ORM work."""
    requester = requester_of(request)
    try:
        file = access.get_file_for(request, file_id, "read")
        job = rendition_job(file, *box, fmt)
    except (Http404, NotServable):
        return Found(requester, no_file=True)
    except NoRendition:
        return Found(requester)
    row = find_rendition(job.key)
    hashes = (job.source.sha256, row.sha256) if row is not None else (job.source.sha256,)
    return Found(requester, job, row, blocklist.blocked(hashes))


@require_http_methods(["GET", "HEAD"])
async def serve_rendition(
    request: HttpRequest, file_id: int, width: int, height: int, fmt: str
) -> HttpResponseBase:
    """A file's image scaled down to cover ``width`` x ``height`` (bucketed), as webp or jpg."""
    try:
        box = bucket_box(width, height)
    except ValueError as exc:
        return text_answer(f"{exc}\n", 400)
    found = await sync_to_async(_find)(request, file_id, box, fmt)
    if decisions.asked(request):  # a rendition not made yet is made by Django
        made = None
        if found.job is not None and found.row is not None:
            made = rendition_servable(found.job.source, found.row)
        return await decisions.decide(
            request,
            made,
            found.requester,
            blocked=found.blocked,
            download=wants_download(request),
        )
    entry = AuditEntry(
        kind=AccessRecord.Kind.RENDITION,
        requester=found.requester,
        client_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        file_id=file_id,
    )
    job = found.job
    if job is None:
        if found.no_file:
            entry.status = 404
            entry.finish()
            audit_log.record(entry)
            raise Http404("No such file")
        entry.error = NO_RENDITION.strip()
        return finish(text_answer(NO_RENDITION, 404), entry)
    if found.blocked is not None:
        return refuse_blocked(entry, job.source.sha256, found.blocked)

    store = get_store()
    row, held = found.row, None
    if row is None or _needs_bytes(request, row, job):
        try:
            row, held = await obtain_rendition(job, store, known=row)
        except RenditionFailed as exc:
            entry.error = f"undecodable: {exc}"
            return finish(_undecodable(file_id, exc), entry)
        except SegmentUnavailable as problem:
            entry.error = str(problem)
            return finish(await failure_response(job.source, problem), entry)
        if found.row is None or row.sha256 != found.row.sha256:  # not checked yet
            blocked = await sync_to_async(blocklist.blocked)([row.sha256])
            if blocked is not None:
                held.close()
                return refuse_blocked(entry, row.sha256, blocked)
    return await _respond(request, job, row, entry, held)


async def _respond(
    request: HttpRequest,
    job: RenditionJob,
    row: Rendition,
    entry: AuditEntry,
    held: Slice | None,
) -> HttpResponseBase:
    servable = rendition_servable(job.source, row)
    store = get_store()
    obtainer = HeldObtainer(servable, store, held) if held is not None else None
    download = wants_download(request)
    try:
        return await respond(request, servable, entry, download=download, obtainer=obtainer)
    finally:
        if obtainer is not None:
            obtainer.release()  # HEAD, 304, nginx offload: the bytes were not needed


def _needs_bytes(request: HttpRequest, row: Rendition, job: RenditionJob) -> bool:
    """Whether the answer needs the rendition's bytes, beyond the row that names them."""
    if request.method != "GET":
        return False  # HEAD: the row has every header
    return precondition_verdict(request, rendition_servable(job.source, row)) is None


def _undecodable(file_id: int, problem: RenditionFailed) -> HttpResponse:
    return text_answer(
        f"file {file_id} has no rendition: its bytes are intact but do not decode "
        f"as an image ({problem}).\n",
        422,
    )
