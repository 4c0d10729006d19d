"""The gallery grid: any query, as a page, an infinite-scroll fragment or an Atom feed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from authware import access
from sequenzia import links
from sequenzia.models import Album
from sequenzia.query import GalleryQuery, QueryError, fetch_page, filter_files, folders_of
from sequenzia.views.common import hidden_ids, me, member_required, remember_query, sidebar

FEED_SIZE = 50
#: What a grid tile and the keyset cursor need (fewer columns, fewer conversions).
GRID_FIELDS = (
    "id",
    "channel_id",
    "name",
    "kind",
    "size",
    "width",
    "height",
    "color_r",
    "color_g",
    "color_b",
    "preview",
    "rotation",
    "created_at",
    "shuffle",
)


def _grid(
    request: HttpRequest,
    *,
    base_url: str,
    fav_user_id: int | None,
    title: str,
    fixed: dict[str, str] | None = None,
) -> HttpResponse:
    params = request.GET.copy()
    for key, value in (fixed or {}).items():
        params[key] = value
    try:
        query = GalleryQuery.from_params(params)
        qs = filter_files(request, query, hidden=hidden_ids(request), fav_user_id=fav_user_id)
        page = fetch_page(
            qs.only(*GRID_FIELDS), query, request.GET.get("after"), settings.GALLERY_PAGE_SIZE
        )
    except QueryError as exc:
        problem = {"error": str(exc), "q": request.GET.get("q", ""), "sidebar": sidebar(request)}
        return render(request, "sequenzia/query_error.html", problem, status=400)
    query_string = query.urlencode()
    next_url = f"{base_url}?{query.urlencode(after=page.next_cursor)}" if page.next_cursor else None
    context: dict[str, Any] = {
        "title": title,
        "query": query,
        "query_string": query_string,
        "files": page.files,
        "next_url": next_url,
        "base_url": base_url,
        "can_manage": access.channel_ids_for(request, "manage") != frozenset(),
        "move_targets": move_targets(request),
        "albums": Album.objects.filter(owner_id=me(request).pk).only("id", "name"),
        "live_folders": ",".join(str(f) for f in query.folders),
    }
    if request.GET.get("partial"):
        return render(request, "sequenzia/_grid_page.html", context)
    if not request.GET.get("after") and not query.is_default and not fixed:
        remember_query(request, query_string)
    context["sidebar"] = sidebar(request)
    context["has_folders"] = bool(folders_of(request))  # cached list: no query
    context["feed_url"] = f"{reverse('feed')}?{query_string}"
    return render(request, "sequenzia/gallery.html", context)


def move_targets(request: HttpRequest) -> list[tuple[int, str]]:
    """Folders the user may move files into, from the cached folder list (no query)."""
    writable = access.channel_ids_for(request, "write")
    return [(f.id, f.name) for f in folders_of(request) if writable is None or f.id in writable]


@member_required
def gallery(request: HttpRequest) -> HttpResponse:
    title = "Gallery"
    folder_ids = request.GET.getlist("folder")
    if len(folder_ids) == 1 and folder_ids[0].isdigit():
        readable = access.channel_ids_for(request)
        wanted = int(folder_ids[0])
        for folder in folders_of(request):
            if folder.id == wanted and (readable is None or wanted in readable):
                title = folder.name
    return _grid(request, base_url=reverse("gallery"), fav_user_id=me(request).pk, title=title)


@member_required
def favourites(request: HttpRequest) -> HttpResponse:
    return _grid(
        request,
        base_url=reverse("favourites"),
        fav_user_id=me(request).pk,
        title="Your favourites",
        fixed={"sort": "fav"},
    )


@member_required
def user_favourites(request: HttpRequest, username: str) -> HttpResponse:
    owner = get_user_model().objects.filter(username=username, is_active=True).first()
    if owner is None or not (owner.favourites_public or owner.pk == me(request).pk):
        raise Http404("No such list")
    return _grid(
        request,
        base_url=reverse("user_favourites", args=[username]),
        fav_user_id=owner.pk,
        title=f"{owner.username}'s favourites",
        fixed={"sort": "fav"},
    )


def feed(request: HttpRequest) -> HttpResponse:
    """Atom feed of any gallery query (session, or an API token in the Authorization header)."""
    user = access.user_of(request)
    if user is None:
        return HttpResponse("Sign in or send an API token.", status=401, content_type="text/plain")
    token = access.token_of(request)
    if token is not None and token.kind != token.Kind.API:
        return HttpResponse("Device tokens are for screens.", status=403, content_type="text/plain")
    try:
        query = GalleryQuery.from_params(request.GET)
        qs = filter_files(request, query, fav_user_id=user.pk)
        page = fetch_page(qs, query, None, FEED_SIZE)
    except QueryError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    gallery_url = f"{settings.SITE_URL}{reverse('gallery')}?{query.urlencode()}"
    atom = Atom1Feed(
        title=f"Sequenzia: {query.q or 'gallery'}",
        link=gallery_url,
        description="Files matching a gallery query",
        feed_url=f"{settings.SITE_URL}{request.get_full_path()}",
    )
    for file in page.files:
        atom.add_item(
            title=file.name,
            link=links.share_url(file),
            description=f"{file.channel.name} · {file.mime} · {file.size} bytes",
            unique_id=f"sequenzia:file:{file.pk}",
            pubdate=file.created_at,
            updateddate=file.updated_at,
            enclosures=[],
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    atom.write(response, "utf-8")
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """A trivial view: load balancers, and the benchmark's baseline."""
    return HttpResponse("ok", content_type="text/plain")
