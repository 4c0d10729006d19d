"""Uploads through the web page, and bulk actions on a selection in the grid."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.http import require_POST

from authware import access
from authware.models import User
from junefs.errors import IngestRejected, JuneFSError
from junefs.ingest import IngestRequest, ingest
from junefs.models import Channel, Server
from junefs.operations import delete_file, move_file
from junefs.sniff import SNIFF_BYTES, sniff
from sequenzia.models import Album, Favourite
from sequenzia.views.albums import add_files as add_to_album
from sequenzia.views.common import me, member_required, safe_next, sidebar, wants_json


def check_upload(upload: UploadedFile) -> None:
    """The web's own limits, before JuneFS sees the bytes (it checks the rest)."""
    limit = settings.UPLOAD_MAX_SIZE
    if limit and (upload.size or 0) > limit:
        raise IngestRejected(
            f"{upload.name} is {filesizeformat(upload.size or 0)}; "
            f"the limit is {filesizeformat(limit)}"
        )
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = sniff(head).kind
    if kind not in settings.UPLOAD_KINDS:
        allowed = ", ".join(settings.UPLOAD_KINDS)
        raise IngestRejected(f"{upload.name} is {kind}; this site accepts {allowed}")


def store_upload(request: HttpRequest, channel: Channel, upload: UploadedFile) -> dict[str, Any]:
    name = (upload.name or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    try:
        check_upload(upload)
        result = ingest(
            IngestRequest(
                stream=upload,  # type: ignore[arg-type]
                name=name,
                channel=channel,
                uploader=access.user_of(request),
                upload="queue",
            )
        )
    except IngestRejected as exc:
        return {"name": name, "ok": False, "error": str(exc)}
    file = result.file
    return {
        "name": name,
        "ok": True,
        "id": file.pk,
        "stored_as": file.name,
        "duplicate": result.duplicate,
        "url": reverse("file", args=[file.pk]),
    }


def create_folder(name: str) -> Channel:
    """An admin's new folder, from the upload page (the same name again: that folder)."""
    server = Server.default()
    channel, _ = Channel.objects.get_or_create(server=server, name=name[:100])
    return channel


@member_required
def upload(request: HttpRequest) -> HttpResponse:
    targets = access.channels_for(request, "write")
    if request.method != "POST":
        return render(
            request,
            "sequenzia/upload.html",
            {
                "targets": targets,
                "can_create": access.has_rank(request, User.Rank.ADMIN),
                "max_size": settings.UPLOAD_MAX_SIZE,
                "kinds": settings.UPLOAD_KINDS,
                "sidebar": sidebar(request),
            },
        )
    new_folder = request.POST.get("new_folder", "").strip()
    if new_folder and access.has_rank(request, User.Rank.ADMIN):
        channel = create_folder(new_folder)
    else:
        channel_id = request.POST.get("channel", "")
        if not channel_id.isdigit():
            raise Http404("No such folder")
        channel = access.get_channel_for(request, int(channel_id), "write")
    results = [store_upload(request, channel, f) for f in request.FILES.getlist("files")]
    if not results:
        results = [{"name": "", "ok": False, "error": "no file was sent"}]
    if wants_json(request):
        status = 200 if all(r["ok"] for r in results) else 400
        return JsonResponse({"results": results}, status=status)
    return render(
        request,
        "sequenzia/upload_result.html",
        {"results": results, "channel": channel, "sidebar": sidebar(request)},
    )


BULK_PERMS = {"move": "manage", "delete": "manage", "favourite": "read", "album": "read"}


@require_POST
@member_required
def bulk(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    if action not in BULK_PERMS:
        messages.error(request, "Choose what to do with the selection.")
        return redirect(safe_next(request, reverse("gallery")))
    ids = [int(v) for v in request.POST.getlist("file") if v.isdigit()][:1000]
    files = list(access.files_for(request, BULK_PERMS[action]).filter(pk__in=ids))  # type: ignore[arg-type]
    done, problems = 0, []
    if action == "move":
        target_id = request.POST.get("channel", "")
        target = access.get_channel_for(request, int(target_id or 0), "write")
        for file in files:
            try:
                move_file(file, target)
                done += 1
            except JuneFSError as exc:
                problems.append(f"{file.name}: {exc}")
    elif action == "delete":
        for file in files:
            problems += delete_file(file)
            done += 1
    elif action == "favourite":
        have = set(
            Favourite.objects.filter(user_id=me(request).pk, file__in=files).values_list(
                "file_id", flat=True
            )
        )
        Favourite.objects.bulk_create(
            [Favourite(user_id=me(request).pk, file=f) for f in files if f.pk not in have]
        )
        done = len(files)
    else:
        album_id = request.POST.get("album", "")
        album = Album.objects.filter(owner_id=me(request).pk, pk=int(album_id or 0)).first()
        if album is None:
            raise Http404("No such album")
        done = add_to_album(request, album, [f.pk for f in files])
    skipped = len(ids) - len(files)
    note = f"{action}: {done} done" + (f", {skipped} not allowed or gone" if skipped else "")
    messages.success(request, note)
    for problem in problems[:5]:
        messages.warning(request, problem)
    return redirect(safe_next(request, reverse("gallery")))
