"""Albums: public or private lists of files, in an order their owner sets."""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from authware import access
from sequenzia.models import Album, AlbumItem
from sequenzia.views.common import me, member_required, safe_next, sidebar

MAX_ITEMS_SHOWN = 500


def get_album_for(request: HttpRequest, album_id: int, *, edit: bool = False) -> Album:
    """The album if the user owns it (or, to look at, it is public); else 404."""
    mine = Q(owner_id=me(request).pk)
    album = Album.objects.filter(mine if edit else mine | Q(public=True), pk=album_id).first()
    if album is None:
        raise Http404("No such album")
    return album


@member_required
def album_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        name = request.POST.get("name", "").strip()[:120]
        if not name:
            messages.error(request, "An album needs a name.")
            return redirect("albums")
        album = Album.objects.create(
            owner=me(request),
            name=name,
            description=request.POST.get("description", "")[:5000],
            public=request.POST.get("public") == "on",
        )
        file_id = request.POST.get("file")
        if file_id and file_id.isdigit():
            add_files(request, album, [int(file_id)])
        messages.success(request, f"Album {album.name} created.")
        return redirect(safe_next(request, reverse("album", args=[album.pk])))
    mine = Album.objects.filter(owner_id=me(request).pk).select_related("cover")
    public = (
        Album.objects.filter(public=True)
        .exclude(owner_id=me(request).pk)
        .select_related("owner", "cover")[:100]
    )
    return render(
        request,
        "sequenzia/albums.html",
        {"mine": mine, "public": public, "sidebar": sidebar(request)},
    )


@member_required
def album_page(request: HttpRequest, album_id: int) -> HttpResponse:
    album = get_album_for(request, album_id)
    readable = access.files_for(request)
    items = list(
        album.items.filter(file__in=readable).select_related("file", "file__channel")[
            :MAX_ITEMS_SHOWN
        ]
    )
    return render(
        request,
        "sequenzia/album.html",
        {
            "album": album,
            "items": items,
            "is_owner": album.owner_id == me(request).pk,
            "sidebar": sidebar(request),
        },
    )


@require_POST
@member_required
def album_edit(request: HttpRequest, album_id: int) -> HttpResponse:
    album = get_album_for(request, album_id, edit=True)
    album.name = request.POST.get("name", album.name).strip()[:120] or album.name
    album.description = request.POST.get("description", "")[:5000]
    album.public = request.POST.get("public") == "on"
    album.save()
    messages.success(request, "Album saved.")
    return redirect("album", album_id=album.pk)


@require_POST
@member_required
def album_delete(request: HttpRequest, album_id: int) -> HttpResponse:
    album = get_album_for(request, album_id, edit=True)
    album.delete()
    messages.success(request, f"Album {album.name} deleted.")
    return redirect("albums")


def add_files(request: HttpRequest, album: Album, file_ids: list[int]) -> int:
    allowed = set(access.files_for(request).filter(pk__in=file_ids).values_list("id", flat=True))
    readable = [i for i in dict.fromkeys(file_ids) if i in allowed]  # in the order given
    added = 0
    with transaction.atomic():
        top = album.items.aggregate(top=Max("position"))["top"] or 0
        for file_id in readable:
            try:
                with transaction.atomic():
                    top += 1
                    AlbumItem.objects.create(album=album, file_id=file_id, position=top)
                    added += 1
            except IntegrityError:
                pass  # already in the album
        if album.cover_id is None and added:
            album.cover_id = album.items.order_by("position").values_list("file_id", flat=True)[0]
        album.save()
    return added


@require_POST
@member_required
def album_add(request: HttpRequest, album_id: int) -> HttpResponse:
    album = get_album_for(request, album_id, edit=True)
    ids = [int(v) for v in request.POST.getlist("file") if v.isdigit()]
    added = add_files(request, album, ids)
    messages.success(request, f"Added {added} file(s) to {album.name}.")
    return redirect(safe_next(request, reverse("album", args=[album.pk])))


@require_POST
@member_required
def album_item_remove(request: HttpRequest, album_id: int, item_id: int) -> HttpResponse:
    album = get_album_for(request, album_id, edit=True)
    item = album.items.filter(pk=item_id).first()
    if item is None:
        raise Http404("No such item")
    item.delete()
    if album.cover_id == item.file_id:
        album.cover_id = album.items.values_list("file_id", flat=True).first()
    album.save()
    return redirect("album", album_id=album.pk)


@require_POST
@member_required
def album_item_move(request: HttpRequest, album_id: int, item_id: int) -> HttpResponse:
    """Move an item up or down one place, or to the top or the bottom."""
    album = get_album_for(request, album_id, edit=True)
    items = list(album.items.order_by("position", "id"))
    index = next((i for i, item in enumerate(items) if item.pk == item_id), None)
    if index is None:
        raise Http404("No such item")
    item = items.pop(index)
    where = request.POST.get("to", "down")
    target = {"up": index - 1, "down": index + 1, "top": 0, "bottom": len(items)}.get(where, index)
    items.insert(max(0, min(target, len(items))), item)
    with transaction.atomic():
        for position, row in enumerate(items, start=1):
            if row.position != position:
                AlbumItem.objects.filter(pk=row.pk).update(position=position)
        album.save()
    return redirect("album", album_id=album.pk)


@require_POST
@member_required
def album_cover(request: HttpRequest, album_id: int) -> HttpResponse:
    album = get_album_for(request, album_id, edit=True)
    file_id = request.POST.get("file", "")
    if not file_id.isdigit() or not album.items.filter(file_id=int(file_id)).exists():
        raise Http404("No such item")
    album.cover_id = int(file_id)
    album.save()
    messages.success(request, "Cover set.")
    return redirect("album", album_id=album.pk)
