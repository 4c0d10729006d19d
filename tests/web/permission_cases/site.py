"""Site pages and the JSON API."""

from __future__ import annotations

from authware.tokens import issue_token
from sequenzia.models import Album, AlbumItem
from tests.web.conftest import World
from tests.web.permission_cases.common import (
    OWNER_ONLY,
    Case,
    api,
    api_upload_data,
    everyone,
    extra,
    f,
    folder,
    member,
    upload_data,
    url,
    username,
)

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


def setup(world: World) -> None:
    private = Album.objects.create(owner=world.alice, name="alice private")
    item = AlbumItem.objects.create(album=private, file=world.files["photo"], position=1)
    AlbumItem.objects.create(album=private, file=world.files["secret"], position=2)
    public = Album.objects.create(owner=world.bob, name="bob public", public=True)
    AlbumItem.objects.create(album=public, file=world.files["shared"], position=1)
    spare, _ = issue_token(world.bob, "spare")
    world.extra.update(private=private.pk, public=public.pk, item=item.pk, spare_token=spare.pk)
