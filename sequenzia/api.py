"""The JSON API under /api/ (django-ninja), with OpenAPI docs at /api/docs.

Authentication: the browser session (CSRF-checked on writes), or a token in
``Authorization: Bearer …`` (checked by :class:`authware.middleware.TokenMiddleware`).
Reads take any token; writes take a session or an API token created with
write access — device tokens and read-only tokens get 403 there. Every file
and folder goes through :mod:`authware.access` (404 when not allowed).

``GET /api/files`` takes the gallery's URL parameters (``q``, ``folder``,
``type``, ``sort``, ``after``…), so a gallery URL's query string works here too.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import File as FileParam
from ninja import Form, NinjaAPI, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.security import APIKeyCookie, HttpBearer

from authware import access
from authware.models import User
from junefs.errors import JuneFSError
from junefs.models import Channel, File
from junefs.operations import delete_file, move_file, rename_file
from sequenzia import links
from sequenzia.models import Album, Favourite
from sequenzia.query import GalleryQuery, QueryError, fetch_page, filter_files
from sequenzia.views.albums import add_files
from sequenzia.views.upload import store_upload


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return access.token_of(request)  # already checked by the middleware


class SessionAuth(APIKeyCookie):
    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if access.token_of(request) is None and request.user.is_authenticated:
            return request.user
        return None


api = NinjaAPI(
    title="Sequenzia API",
    version="1",
    description=__doc__,
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


def acting_user(request: HttpRequest) -> User:
    user = access.user_of(request)
    if user is None:
        raise HttpError(401, "sign in or send a token")
    return user


def writer(request: HttpRequest) -> User:
    """The user, when this request may change things (session, or a write API token)."""
    token = access.token_of(request)
    if token is not None and not token.writable:
        raise HttpError(403, "this token is read-only")
    return acting_user(request)


class FolderOut(Schema):
    id: int
    name: str
    category: str
    class_name: str
    description: str
    nsfw: bool
    can_write: bool
    can_manage: bool


class FileOut(Schema):
    id: int
    name: str
    folder: int
    folder_name: str
    kind: str
    mime: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    rotation: int
    color: str
    is_dark: bool | None
    state: str
    created_at: datetime
    url: str
    thumbnail: str
    page: str


class FilePage(Schema):
    items: list[FileOut]
    next: str | None


class FilePatch(Schema):
    name: str | None = None
    folder: int | None = None


class AlbumIn(Schema):
    name: str
    description: str = ""
    public: bool = False


class AlbumOut(Schema):
    id: int
    name: str
    description: str
    public: bool
    owner: str
    cover: int | None
    items: list[int] | None = None


class FileIds(Schema):
    files: list[int]


class UploadOut(Schema):
    name: str
    ok: bool
    id: int | None = None
    duplicate: bool | None = None
    error: str | None = None


def file_out(file: File) -> dict[str, Any]:
    return {
        "id": file.pk,
        "name": file.name,
        "folder": file.channel_id,
        "folder_name": file.channel.name,
        "kind": file.kind,
        "mime": file.mime,
        "size": file.size,
        "sha256": file.sha256,
        "width": file.width,
        "height": file.height,
        "rotation": file.rotation,
        "color": file.color_hex,
        "is_dark": file.is_dark,
        "state": file.state,
        "created_at": file.created_at,
        "url": links.file_url(file),
        "thumbnail": links.thumbnail_url(file),
        "page": reverse("file", args=[file.pk]),
    }


def folder_out(request: HttpRequest, channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.pk,
        "name": channel.name,
        "category": channel.category,
        "class_name": channel.class_name,
        "description": channel.description,
        "nsfw": channel.nsfw,
        "can_write": access.can(request, "write", channel.pk),
        "can_manage": access.can(request, "manage", channel.pk),
    }


def _page(request: HttpRequest, fixed: dict[str, str] | None = None) -> dict[str, Any]:
    params = request.GET.copy()
    for key, value in (fixed or {}).items():
        params[key] = value
    user = acting_user(request)
    try:
        query = GalleryQuery.from_params(params)
        qs = filter_files(request, query, fav_user_id=user.pk)
        size = min(int(request.GET.get("limit") or settings.GALLERY_PAGE_SIZE), 500)
        page = fetch_page(qs, query, request.GET.get("after"), max(size, 1))
    except (QueryError, ValueError) as exc:
        raise HttpError(400, str(exc)) from None
    return {"items": [file_out(f) for f in page.files], "next": page.next_cursor}


@api.get("/files", response=FilePage, tags=["files"])
def list_files(request: HttpRequest) -> dict[str, Any]:
    """Files matching the gallery's URL parameters; follow ``next`` with ``after=``."""
    return _page(request)


@api.get("/search", response=FilePage, tags=["files"])
def search(request: HttpRequest, q: str) -> dict[str, Any]:
    """The search box syntax (``name:``, ``ext:``, ``date:A..B``, ``width:>=N``, ``-word``…)."""
    return _page(request)


@api.post("/files", response={200: list[UploadOut], 400: list[UploadOut]}, tags=["files"])
def upload_files(
    request: HttpRequest, folder: Form[int], files: FileParam[list[UploadedFile]]
) -> Status[list[dict[str, Any]]]:
    """Upload files into a folder you may write to (multipart: ``folder``, ``files``)."""
    writer(request)
    channel = access.get_channel_for(request, folder, "write")
    results = [store_upload(request, channel, f) for f in files]
    return Status((200 if all(r["ok"] for r in results) else 400), results)


@api.get("/files/{file_id}", response=FileOut, tags=["files"])
def get_file(request: HttpRequest, file_id: int) -> dict[str, Any]:
    return file_out(access.get_file_for(request, file_id))


@api.patch("/files/{file_id}", response=FileOut, tags=["files"])
def patch_file(request: HttpRequest, file_id: int, body: FilePatch) -> dict[str, Any]:
    """Rename and/or move a file (needs manage on its folder, write on the target)."""
    writer(request)
    file = access.get_file_for(request, file_id, "manage")
    try:
        if body.folder is not None and body.folder != file.channel_id:
            move_file(file, access.get_channel_for(request, body.folder, "write"))
        if body.name:
            rename_file(file, body.name)
    except JuneFSError as exc:
        raise HttpError(409, str(exc)) from None
    return file_out(access.get_file_for(request, file_id))


@api.delete("/files/{file_id}", response={204: None}, tags=["files"])
def remove_file(request: HttpRequest, file_id: int) -> Status[None]:
    writer(request)
    delete_file(access.get_file_for(request, file_id, "manage"))
    return Status(204, None)


@api.get("/folders", response=list[FolderOut], tags=["folders"])
def list_folders(request: HttpRequest) -> list[dict[str, Any]]:
    return [folder_out(request, c) for c in access.channels_for(request)]


@api.get("/folders/{folder_id}", response=FolderOut, tags=["folders"])
def get_folder(request: HttpRequest, folder_id: int) -> dict[str, Any]:
    return folder_out(request, access.get_channel_for(request, folder_id))


@api.get("/favourites", response=FilePage, tags=["favourites"])
def list_favourites(request: HttpRequest) -> dict[str, Any]:
    """Your favourites, newest first (same parameters as /files)."""
    return _page(request, {"sort": "fav"})


@api.put("/favourites/{file_id}", response={204: None}, tags=["favourites"])
def add_favourite(request: HttpRequest, file_id: int) -> Status[None]:
    user = writer(request)
    file = access.get_file_for(request, file_id)
    with contextlib.suppress(IntegrityError):
        Favourite.objects.get_or_create(user=user, file=file)
    return Status(204, None)


@api.delete("/favourites/{file_id}", response={204: None}, tags=["favourites"])
def remove_favourite(request: HttpRequest, file_id: int) -> Status[None]:
    user = writer(request)
    file = access.get_file_for(request, file_id)
    Favourite.objects.filter(user=user, file=file).delete()
    return Status(204, None)


def album_out(album: Album, items: list[int] | None = None) -> dict[str, Any]:
    return {
        "id": album.pk,
        "name": album.name,
        "description": album.description,
        "public": album.public,
        "owner": album.owner.username,
        "cover": album.cover_id,
        "items": items,
    }


def _album(request: HttpRequest, album_id: int, *, edit: bool) -> Album:
    user = acting_user(request)
    mine = Q(owner=user)
    album = (
        Album.objects.select_related("owner")
        .filter(mine if edit else mine | Q(public=True), pk=album_id)
        .first()
    )
    if album is None:
        raise Http404("No such album")
    return album


@api.get("/albums", response=list[AlbumOut], tags=["albums"])
def list_albums(request: HttpRequest) -> list[dict[str, Any]]:
    """Your albums, then other people's public ones."""
    user = acting_user(request)
    albums = Album.objects.select_related("owner").filter(Q(owner=user) | Q(public=True))
    return [album_out(a) for a in albums[:500]]


@api.post("/albums", response={201: AlbumOut}, tags=["albums"])
def create_album(request: HttpRequest, body: AlbumIn) -> Status[dict[str, Any]]:
    user = writer(request)
    if not body.name.strip():
        raise HttpError(400, "an album needs a name")
    album = Album.objects.create(
        owner=user, name=body.name.strip()[:120], description=body.description, public=body.public
    )
    return Status(201, album_out(album, []))


@api.get("/albums/{album_id}", response=AlbumOut, tags=["albums"])
def get_album(request: HttpRequest, album_id: int) -> dict[str, Any]:
    album = _album(request, album_id, edit=False)
    readable = access.files_for(request)
    items = list(album.items.filter(file__in=readable).values_list("file_id", flat=True))
    return album_out(album, items)


@api.delete("/albums/{album_id}", response={204: None}, tags=["albums"])
def delete_album(request: HttpRequest, album_id: int) -> Status[None]:
    writer(request)
    _album(request, album_id, edit=True).delete()
    return Status(204, None)


@api.post("/albums/{album_id}/items", response=AlbumOut, tags=["albums"])
def add_album_items(request: HttpRequest, album_id: int, body: FileIds) -> dict[str, Any]:
    """Append files (ones you may read) to the end of an album."""
    writer(request)
    album = _album(request, album_id, edit=True)
    add_files(request, album, body.files[:1000])
    return get_album(request, album_id)


@api.delete("/albums/{album_id}/items/{file_id}", response={204: None}, tags=["albums"])
def remove_album_item(request: HttpRequest, album_id: int, file_id: int) -> Status[None]:
    writer(request)
    album = _album(request, album_id, edit=True)
    album.items.filter(file_id=file_id).delete()
    return Status(204, None)
