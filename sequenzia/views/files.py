"""One file: its page, favourite, and the moderators' move / rename / rotate / delete."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from authware import access
from authware.models import User
from junefs.errors import JuneFSError
from junefs.models import File
from junefs.operations import delete_file, move_file, rename_file
from sequenzia import links
from sequenzia.ads.models import Display
from sequenzia.models import Album, Favourite, Flag
from sequenzia.query import GalleryQuery, QueryError, filter_files, neighbours
from sequenzia.views.common import (
    hidden_ids,
    me,
    member_required,
    remember_file,
    safe_next,
    sidebar,
    wants_json,
)


@member_required
def file_page(request: HttpRequest, file_id: int) -> HttpResponse:
    file = access.get_file_for(request, file_id)
    favourite = Favourite.objects.filter(user_id=me(request).pk, file=file).first()
    prev_file = next_file = None
    query_string = ""
    try:
        query = GalleryQuery.from_params(request.GET)
        query_string = query.urlencode()
        if query.sort == "fav":
            file.fav_at = favourite.created_at if favourite else None  # type: ignore[attr-defined]
            file.fav_id = favourite.pk if favourite else None  # type: ignore[attr-defined]
        if query.sort != "fav" or favourite is not None:
            qs = filter_files(
                request, query, hidden=hidden_ids(request), fav_user_id=me(request).pk
            )
            prev_file, next_file = neighbours(qs, query, file)
    except QueryError:
        pass  # a stale or hand-edited query only loses previous/next
    remember_file(request, file.pk)
    return render(
        request,
        "sequenzia/file.html",
        {
            "file": file,
            "favourite": favourite,
            "prev_file": prev_file,
            "next_file": next_file,
            "query_string": query_string,
            "file_url": links.file_url(file),
            "download_url": links.download_url(file),
            "share_url": links.share_url(file),
            "thumbnail_url": links.thumbnail_url(file),
            "can_manage": access.can(request, "manage", file.channel_id),
            # A share link makes the file public to whoever holds it: CDS asks for write.
            "can_share": access.can(request, "write", file.channel_id),
            "can_flag": access.has_rank(request, User.Rank.JANITOR),
            "move_targets": access.channels_for(request, "write").exclude(pk=file.channel_id),
            "albums": Album.objects.filter(owner_id=me(request).pk).only("id", "name"),
            "screens": Display.objects.filter(owner_id=me(request).pk, api_token__isnull=True)
            .exclude(token__revoked_at__isnull=False)
            .only("id", "name"),
            "sidebar": sidebar(request),
        },
    )


def _back(request: HttpRequest, file: File | None = None) -> str:
    fallback = reverse("file", args=[file.pk]) if file is not None else reverse("gallery")
    return safe_next(request, fallback)


@require_POST
@member_required
def favourite(request: HttpRequest, file_id: int) -> HttpResponse:
    file = access.get_file_for(request, file_id)
    want = request.POST.get("state", "toggle")
    existing = Favourite.objects.filter(user_id=me(request).pk, file=file)
    on = not existing.exists() if want == "toggle" else want == "on"
    if on:
        # get_or_create copes with a double click racing itself.
        Favourite.objects.get_or_create(user_id=me(request).pk, file=file)
    else:
        existing.delete()
    if wants_json(request):
        return JsonResponse({"file": file.pk, "favourite": on})
    return redirect(_back(request, file))


@require_POST
@member_required
def move(request: HttpRequest, file_id: int) -> HttpResponse:
    file = access.get_file_for(request, file_id, "manage")
    target = access.get_channel_for(request, _int(request.POST.get("channel")), "write")
    try:
        move_file(file, target)
        messages.success(request, f"Moved to {target.name}.")
    except JuneFSError as exc:
        messages.error(request, str(exc))
    return redirect(_back(request, file))


@require_POST
@member_required
def rename(request: HttpRequest, file_id: int) -> HttpResponse:
    file = access.get_file_for(request, file_id, "manage")
    try:
        rename_file(file, request.POST.get("name", ""))
        messages.success(request, f"Renamed to {file.name}.")
    except JuneFSError as exc:
        messages.error(request, str(exc))
    return redirect(_back(request, file))


@require_POST
@member_required
def rotate(request: HttpRequest, file_id: int) -> HttpResponse:
    """Turn the displayed file a quarter clockwise (or back); the bytes stay as they are."""
    file = access.get_file_for(request, file_id, "manage")
    step = 270 if request.POST.get("direction") == "left" else 90
    file.rotation = (file.rotation + step) % 360
    file.width, file.height = file.height, file.width
    file.save(update_fields=["rotation", "width", "height", "updated_at"])
    return redirect(_back(request, file))


@require_POST
@member_required
def delete(request: HttpRequest, file_id: int) -> HttpResponse:
    file = access.get_file_for(request, file_id, "manage")
    name = file.name
    problems = delete_file(file)
    if problems:
        messages.warning(request, f"Deleted {name}, with problems: {'; '.join(problems)}")
    else:
        messages.success(request, f"Deleted {name}.")
    return redirect(safe_next(request, reverse("gallery")))


@require_POST
@member_required
def flag(request: HttpRequest, file_id: int) -> HttpResponse:
    if not access.has_rank(request, User.Rank.JANITOR):
        raise Http404("No such file")
    file = access.get_file_for(request, file_id)
    reason = request.POST.get("reason", "").strip()[:300] or "needs a look"
    if request.POST.get("resolve") and access.has_rank(request, User.Rank.JANITOR):
        Flag.objects.filter(file=file, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=me(request)
        )
        messages.success(request, "Flags resolved.")
    else:
        Flag.objects.create(file=file, raised_by=me(request), reason=reason)
        messages.success(request, "Flagged for review.")
    return redirect(_back(request, file))


@member_required
def flags(request: HttpRequest) -> HttpResponse:
    """Open flags on files the janitor can read, to review and resolve."""
    if not access.has_rank(request, User.Rank.JANITOR):
        raise Http404("No such page")
    open_flags = (
        Flag.objects.filter(resolved_at__isnull=True, file__in=access.files_for(request))
        .select_related("file", "raised_by")
        .order_by("-created_at")[:200]
    )
    return render(
        request, "sequenzia/flags.html", {"flags": open_flags, "sidebar": sidebar(request)}
    )


def _int(value: str | None) -> int:
    if value is None or not value.isdigit():
        raise Http404("No such folder")
    return int(value)
