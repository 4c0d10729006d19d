"""The permission matrix: every URL of the site and the API, for every kind of requester.

Each case names a URL, how to call it, and exactly what each requester gets.
``test_every_url_has_a_case`` fails when a URL is added without an entry.
Each requester runs the whole list on a fresh database (so destructive
cases come last in the list and never affect another requester).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, reverse

from authware.tokens import issue_token
from sequenzia import urls as site_urls
from sequenzia.models import Album, AlbumItem
from tests.factories import jpeg_bytes
from tests.web.conftest import World, build_world, client_for

WHO = ("alice", "bob", "charlie", "anon", "token", "token_write", "device")


def member(alice: int = 200, bob: int = 200, charlie: int = 200) -> dict[str, int]:
    """A gallery page: people get it; anonymous visitors go to the login; tokens are refused."""
    return {
        "alice": alice,
        "bob": bob,
        "charlie": charlie,
        "anon": 302,
        "token": 403,
        "token_write": 403,
        "device": 403,
    }


def api(
    alice: int, bob: int, charlie: int, token: int, token_write: int, device: int
) -> dict[str, int]:
    return {
        "alice": alice,
        "bob": bob,
        "charlie": charlie,
        "anon": 401,
        "token": token,
        "token_write": token_write,
        "device": device,
    }


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(WHO, status)


@dataclass
class Case:
    name: str
    method: str
    path: Callable[[World], str]
    expect: dict[str, int]
    data: Callable[[World], Any] = field(default=lambda w: {})
    json: bool = False


def f(key: str) -> Callable[[World], int]:
    return lambda w: w.files[key].pk


def url(name: str, *args: Callable[[World], Any], query: str = "") -> Callable[[World], str]:
    return lambda w: reverse(name, args=[a(w) for a in args]) + query


def folder(key: str) -> Callable[[World], int]:
    return lambda w: w.folders[key].pk


def extra(key: str) -> Callable[[World], Any]:
    return lambda w: w.extra[key]


def username(name: str) -> Callable[[World], str]:
    return lambda w: name


def upload_data(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {
        "channel": w.folders[key].pk,
        "files": SimpleUploadedFile("new.jpg", jpeg_bytes(40, 30, seed=99), "image/jpeg"),
    }


def api_upload_data(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {
        "folder": w.folders[key].pk,
        "files": SimpleUploadedFile("api.jpg", jpeg_bytes(40, 30, seed=98), "image/jpeg"),
    }


OWNER_ONLY = {"alice": 302, "bob": 404, "charlie": 404}

CASES: list[Case] = [
    # --- site pages -------------------------------------------------------------------
    Case("healthz", "get", url("healthz"), everyone(200)),
    Case("gallery", "get", url("gallery"), member()),
    Case("gallery", "get", url("gallery", query="?q=width:abc"), member(400, 400, 400)),
    Case("favourites", "get", url("favourites"), member()),
    Case("user_favourites", "get", url("user_favourites", username("bob")), member()),
    Case(
        "user_favourites",
        "get",
        url("user_favourites", username("charlie")),
        member(404, 404, 200),
    ),
    Case(
        "feed",
        "get",
        url("feed"),
        {**everyone(200), "anon": 401, "device": 403},
    ),
    Case("file", "get", url("file", f("shared")), member(200, 200, 404)),
    Case("file", "get", url("file", f("secret")), member(200, 404, 404)),
    Case("file_favourite", "post", url("file_favourite", f("shared")), member(302, 302, 404)),
    Case("file_favourite", "post", url("file_favourite", f("secret")), member(302, 404, 404)),
    Case(
        "file_move",
        "post",
        url("file_move", f("upload2")),
        member(302, 302, 404),
        data=lambda w: {"channel": w.folders["inbox"].pk},
    ),
    Case(
        "file_move",
        "post",
        url("file_move", f("shared2")),
        member(302, 404, 404),
        data=lambda w: {"channel": w.folders["inbox"].pk},
    ),
    Case(
        "file_rename",
        "post",
        url("file_rename", f("upload")),
        member(302, 302, 404),
        data=lambda w: {"name": "renamed.jpg"},
    ),
    Case("file_rotate", "post", url("file_rotate", f("upload")), member(302, 302, 404)),
    Case("file_rotate", "post", url("file_rotate", f("shared")), member(302, 404, 404)),
    Case(
        "file_flag",
        "post",
        url("file_flag", f("shared")),
        member(302, 404, 404),
        data=lambda w: {"reason": "blurry"},
    ),
    Case("flags", "get", url("flags"), member(200, 404, 404)),
    Case("albums", "get", url("albums"), member()),
    Case(
        "albums",
        "post",
        url("albums"),
        member(302, 302, 302),
        data=lambda w: {"name": "new album"},
    ),
    Case("album", "get", url("album", extra("private")), member(200, 404, 404)),
    Case("album", "get", url("album", extra("public")), member(200, 200, 200)),
    Case(
        "album_edit",
        "post",
        url("album_edit", extra("private")),
        member(**OWNER_ONLY),
        data=lambda w: {"name": "renamed"},
    ),
    Case(
        "album_add",
        "post",
        url("album_add", extra("private")),
        member(**OWNER_ONLY),
        data=lambda w: {"file": w.files["shared"].pk},
    ),
    Case(
        "album_cover",
        "post",
        url("album_cover", extra("private")),
        member(**OWNER_ONLY),
        data=lambda w: {"file": w.files["photo"].pk},
    ),
    Case(
        "album_item_move",
        "post",
        url("album_item_move", extra("private"), extra("item")),
        member(**OWNER_ONLY),
        data=lambda w: {"to": "down"},
    ),
    Case(
        "album_item_remove",
        "post",
        url("album_item_remove", extra("private"), extra("item")),
        member(**OWNER_ONLY),
    ),
    Case("upload", "get", url("upload"), member()),
    Case("upload", "post", url("upload"), member(200, 200, 404), data=upload_data("inbox")),
    Case("upload", "post", url("upload"), member(200, 404, 404), data=upload_data("shared")),
    Case(
        "bulk",
        "post",
        url("bulk"),
        member(302, 302, 302),
        data=lambda w: {"action": "favourite", "file": [w.files["shared"].pk]},
    ),
    Case(
        "bulk",
        "post",
        url("bulk"),
        member(302, 302, 404),
        data=lambda w: {
            "action": "move",
            "file": [w.files["upload2"].pk],
            "channel": w.folders["inbox"].pk,
        },
    ),
    Case("history", "get", url("history"), member()),
    Case("account", "get", url("account"), member()),
    Case(
        "account",
        "post",
        url("account"),
        member(302, 302, 302),
        data=lambda w: {"hide": [w.folders["shared"].pk]},
    ),
    Case(
        "token_create",
        "post",
        url("token_create"),
        member(302, 302, 302),
        data=lambda w: {"name": "script"},
    ),
    Case(
        "token_revoke",
        "post",
        url("token_revoke", extra("spare_token")),
        member(404, 302, 404),
    ),
    # --- JSON API ---------------------------------------------------------------------
    Case("api:openapi-json", "get", url("api:openapi-json"), everyone(200)),
    Case("api:openapi-view", "get", url("api:openapi-view"), everyone(200)),
    Case("api:list_files", "get", url("api:list_files"), api(200, 200, 200, 200, 200, 200)),
    Case(
        "api:list_files",
        "get",
        url("api:list_files", query="?q=date:2024-13"),
        api(400, 400, 400, 400, 400, 400),
    ),
    Case("api:search", "get", url("api:search", query="?q=cat"), api(*[200] * 6)),
    Case(
        "api:get_file", "get", url("api:get_file", f("shared")), api(200, 200, 404, 200, 200, 200)
    ),
    Case(
        "api:get_file", "get", url("api:get_file", f("secret")), api(200, 404, 404, 404, 404, 404)
    ),
    Case(
        "api:patch_file",
        "patch",
        url("api:patch_file", f("upload")),
        api(200, 200, 404, 403, 200, 403),
        data=lambda w: {"name": "api-renamed.jpg"},
        json=True,
    ),
    Case(
        "api:upload_files",
        "post",
        url("api:upload_files"),
        api(200, 200, 404, 403, 200, 403),
        data=api_upload_data("inbox"),
    ),
    Case("api:list_folders", "get", url("api:list_folders"), api(*[200] * 6)),
    Case(
        "api:get_folder",
        "get",
        url("api:get_folder", folder("shared")),
        api(200, 200, 404, 200, 200, 200),
    ),
    Case(
        "api:get_folder",
        "get",
        url("api:get_folder", folder("secret")),
        api(200, 404, 404, 404, 404, 404),
    ),
    Case("api:list_favourites", "get", url("api:list_favourites"), api(*[200] * 6)),
    Case(
        "api:add_favourite",
        "put",
        url("api:add_favourite", f("shared")),
        api(204, 204, 404, 403, 204, 403),
    ),
    Case(
        "api:remove_favourite",
        "delete",
        url("api:remove_favourite", f("shared")),
        api(204, 204, 404, 403, 204, 403),
    ),
    Case("api:list_albums", "get", url("api:list_albums"), api(*[200] * 6)),
    Case(
        "api:create_album",
        "post",
        url("api:create_album"),
        api(201, 201, 201, 403, 201, 403),
        data=lambda w: {"name": "from the API"},
        json=True,
    ),
    Case(
        "api:get_album",
        "get",
        url("api:get_album", extra("private")),
        api(200, 404, 404, 404, 404, 404),
    ),
    Case(
        "api:get_album",
        "get",
        url("api:get_album", extra("public")),
        api(200, 200, 200, 200, 200, 200),
    ),
    Case(
        "api:add_album_items",
        "post",
        url("api:add_album_items", extra("private")),
        api(200, 404, 404, 403, 404, 403),
        data=lambda w: {"files": [w.files["shared"].pk]},
        json=True,
    ),
    Case(
        "api:remove_album_item",
        "delete",
        url("api:remove_album_item", extra("private"), f("photo")),
        api(204, 404, 404, 403, 404, 403),
    ),
    # --- destructive cases last ------------------------------------------------------------
    Case("file_delete", "post", url("file_delete", f("upload3")), member(302, 302, 404)),
    Case("file_delete", "post", url("file_delete", f("shared2")), member(302, 404, 404)),
    Case(
        "api:remove_file",
        "delete",
        url("api:remove_file", f("upload")),
        api(204, 204, 404, 403, 204, 403),
    ),
    Case(
        "api:delete_album",
        "delete",
        url("api:delete_album", extra("public")),
        api(404, 204, 404, 403, 204, 403),
    ),
    Case("album_delete", "post", url("album_delete", extra("private")), member(**OWNER_ONLY)),
    Case("history_clear", "post", url("history_clear"), member(302, 302, 302)),
    # --- other apps' pages, for the record -------------------------------------------------
    Case("admin:index", "get", url("admin:index"), {**everyone(302), "alice": 200}),
    Case(
        "account_login",
        "get",
        url("account_login"),
        {**everyone(200), "alice": 302, "bob": 302, "charlie": 302},
    ),
]


def readers_of_shared(status: int = 200) -> dict[str, int]:
    """Bytes of a file in "shared": whoever may read the folder, else 404 (never 403)."""
    return {
        "alice": status,
        "bob": status,
        "charlie": 404,
        "anon": 404,
        "token": status,
        "token_write": status,
        "device": status,
    }


def sha(key: str) -> Callable[[World], str]:
    return lambda w: w.files[key].sha256


def share_path(w: World) -> str:
    from cds.sharing import url_for

    return url_for(w.extra["share_link"])


#: CDS (the content server), under /cds/: bytes follow the folder grants.
CDS_CASES: list[Case] = [
    Case("cds:file", "get", url("cds:file", f("shared")), readers_of_shared()),
    Case(
        "cds:file-named",
        "get",
        url("cds:file-named", f("shared"), username("cat.jpg")),
        readers_of_shared(),
    ),
    Case(
        "cds:file-named",
        "get",
        url("cds:file-named", f("secret"), username("x.jpg")),
        {**everyone(404), "alice": 200},
    ),
    Case("cds:thumbnail", "get", url("cds:thumbnail", f("shared")), readers_of_shared()),
    Case("cds:thumbnail", "get", url("cds:thumbnail", f("photo")), {**everyone(404), "alice": 200}),
    Case("cds:hash", "get", url("cds:hash", sha("shared")), readers_of_shared()),
    Case("cds:hash", "get", url("cds:hash", sha("secret")), {**everyone(404), "alice": 200}),
    # A share link is the access: it works for anyone holding it.
    Case("cds:share", "get", share_path, everyone(200)),
    Case("cds:health", "get", url("cds:health"), everyone(200)),
    # Making a file public takes write access to its folder.
    Case(
        "cds:create-share",
        "post",
        url("cds:create-share", f("upload2")),
        {**everyone(404), "alice": 201, "bob": 201, "token_write": 201},
    ),
    Case(
        "cds:create-share",
        "post",
        url("cds:create-share", f("shared")),
        {**everyone(404), "alice": 201},
    ),
    Case(
        "cds:revoke-share",
        "post",
        url("cds:revoke-share", extra("share_link_id")),
        {**everyone(404), "alice": 200, "bob": 200, "token_write": 200},
    ),
]
CASES += CDS_CASES


def add_albums(world: World) -> None:
    private = Album.objects.create(owner=world.alice, name="alice private")
    item = AlbumItem.objects.create(album=private, file=world.files["photo"], position=1)
    AlbumItem.objects.create(album=private, file=world.files["secret"], position=2)
    public = Album.objects.create(owner=world.bob, name="bob public", public=True)
    AlbumItem.objects.create(album=public, file=world.files["shared"], position=1)
    spare, _ = issue_token(world.bob, "spare")
    world.extra.update(private=private.pk, public=public.pk, item=item.pk, spare_token=spare.pk)


def add_share_links(world: World) -> None:
    from cds.sharing import create_share_link

    shared = create_share_link(world.files["shared"], created_by=world.alice)
    revocable = create_share_link(world.files["upload2"], created_by=world.bob)
    world.extra.update(share_link=shared, share_link_id=revocable.pk)


def site_url_names() -> set[str]:
    """Every named URL of our own site and of the API (admin and allauth are theirs)."""
    names: set[str] = set()
    for entry in site_urls.urlpatterns:
        if isinstance(entry, URLPattern) and entry.name:
            names.add(entry.name)
        elif isinstance(entry, URLResolver) and entry.namespace in ("api", "cds"):
            names |= {
                f"{entry.namespace}:{p.name}"
                for p in entry.url_patterns
                if isinstance(p, URLPattern) and p.name and p.name != "api-root"
            }
    return names


def test_every_url_has_a_case() -> None:
    covered = {case.name for case in CASES}
    missing = site_url_names() - covered
    assert not missing, f"URLs with no entry in the permission matrix: {sorted(missing)}"
    for case in CASES:
        assert set(case.expect) == set(WHO), f"{case.name}: expectations for {sorted(case.expect)}"


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_permission_matrix(who: str) -> None:
    world = build_world()
    add_albums(world)
    add_share_links(world)
    client = client_for(world, who)
    wrong = []
    for case in CASES:
        path = case.path(world)
        data = case.data(world)
        call = getattr(client, case.method)
        if case.json:
            response = call(path, json.dumps(data), content_type="application/json")
        elif case.method in ("get", "post"):
            response = call(path, data)
        else:
            response = call(path)
        want = case.expect[who]
        if response.status_code != want:
            got = response.status_code
            wrong.append(f"{case.method.upper()} {path} ({case.name}): {got}, expected {want}")
    assert not wrong, f"{who} got unexpected answers:\n" + "\n".join(wrong)
