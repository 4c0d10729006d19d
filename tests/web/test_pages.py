"""Gallery pages end to end through Django's test client."""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from junefs.models import File
from sequenzia.models import Album, AlbumItem, Favourite, Flag, HistoryEntry
from tests.factories import jpeg_bytes, random_bytes
from tests.web.conftest import World, add_file


def login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_grid_pages_by_keyset_with_a_plain_next_link(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GALLERY_PAGE_SIZE = 10
    for i in range(14):
        add_file(world.folders["shared"], f"more-{i}.jpg", 20 + i)
    client = login(world.bob)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("gallery"))
    assert page.status_code == 200
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
    html = page.content.decode()
    assert html.count('class="tile"') == 10
    assert 'loading="lazy"' in html and "background-color: #" in html
    next_url = page.context["next_url"]
    assert next_url and 'rel="next"' in html
    rest = client.get(next_url + "&partial=1")
    fragment = rest.content.decode()
    assert "<html" not in fragment
    shown = html.count('class="tile"') + fragment.count('class="tile"')
    visible = File.objects.filter(channel__name__in=["shared", "uploads", "inbox"]).count()
    assert shown == visible  # nsfw hidden by default, secret never
    assert "secret-plan" not in html + fragment


def test_a_malformed_query_is_a_400_with_a_message(world: World) -> None:
    response = login(world.bob).get(reverse("gallery"), {"q": 'width:>=big "oops'})
    assert response.status_code == 400
    assert "cannot be read" in response.content.decode()


def test_search_and_history(world: World) -> None:
    client = login(world.bob)
    response = client.get(reverse("gallery"), {"q": "cat"})
    names = [f.name for f in response.context["files"]]
    assert names == ["shared-cat.jpg"]
    client.get(reverse("file", args=[world.files["shared"].pk]))
    history = client.get(reverse("history")).content.decode()
    assert "q=cat" in history and "shared-cat.jpg" in history
    assert HistoryEntry.objects.filter(user=world.bob).count() == 2
    client.post(reverse("history_clear"))
    assert not HistoryEntry.objects.filter(user=world.bob).exists()


def test_file_page_previous_next_and_controls(world: World) -> None:
    bob = login(world.bob)
    shared = world.files["shared"]
    page = bob.get(reverse("file", args=[shared.pk]), {"folder": world.folders["shared"].pk})
    html = page.content.decode()
    assert f"/cds/f/{shared.pk}/shared-cat.jpg" in html
    assert "Copy link" in html and "Download" in html
    assert page.context["prev_file"] == world.files["shared2"]  # newer (newest first)
    assert page.context["next_file"] is None
    assert "Moderate" not in html  # bob only reads "shared"
    upload = world.files["upload"]
    assert "Moderate" in bob.get(reverse("file", args=[upload.pk])).content.decode()


def test_favourite_toggle_and_lists(world: World) -> None:
    bob = login(world.bob)
    shared = world.files["shared"]
    bob.post(reverse("file_favourite", args=[shared.pk]))
    assert Favourite.objects.filter(user=world.bob, file=shared).exists()
    assert [f.pk for f in bob.get(reverse("favourites")).context["files"]] == [shared.pk]
    # bob shares his favourites; charlie sees only what charlie may read (nothing).
    charlie = login(world.charlie)
    assert charlie.get(reverse("user_favourites", args=["bob"])).context["files"] == []
    alice = login(world.alice)
    assert [f.pk for f in alice.get(reverse("user_favourites", args=["bob"])).context["files"]] == [
        shared.pk
    ]
    response = bob.post(reverse("file_favourite", args=[shared.pk]), HTTP_ACCEPT="application/json")
    assert response.json() == {"file": shared.pk, "favourite": False}


def test_albums(world: World) -> None:
    bob = login(world.bob)
    cat, dog, png = world.files["shared"], world.files["shared2"], world.files["png"]
    bob.post(reverse("albums"), {"name": "Pets", "file": cat.pk})
    album = Album.objects.get(name="Pets")
    assert album.cover_id == cat.pk
    bob.post(
        reverse("album_add", args=[album.pk]), {"file": [dog.pk, png.pk, world.files["secret"].pk]}
    )
    order = lambda: list(album.items.values_list("file_id", flat=True))  # noqa: E731
    assert order() == [cat.pk, dog.pk, png.pk]  # the secret file was not added
    last = album.items.get(file=png)
    bob.post(reverse("album_item_move", args=[album.pk, last.pk]), {"to": "top"})
    assert order() == [png.pk, cat.pk, dog.pk]
    bob.post(reverse("album_cover", args=[album.pk]), {"file": dog.pk})
    album.refresh_from_db()
    assert album.cover_id == dog.pk
    bob.post(reverse("album_item_remove", args=[album.pk, album.items.get(file=cat).pk]))
    assert order() == [png.pk, dog.pk]
    # Private: nobody else sees it; public: others see the files they may read.
    alice = login(world.alice)
    assert alice.get(reverse("album", args=[album.pk])).status_code == 404
    bob.post(reverse("album_edit", args=[album.pk]), {"name": "Pets", "public": "on"})
    assert alice.get(reverse("album", args=[album.pk])).status_code == 200
    charlie = login(world.charlie)
    assert charlie.get(reverse("album", args=[album.pk])).context["items"] == []


def test_upload_checks_and_results(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    bob = login(world.bob)
    folder = world.folders["inbox"].pk
    files = [
        SimpleUploadedFile("one.jpg", jpeg_bytes(60, 40, seed=31)),
        SimpleUploadedFile("two.jpg", jpeg_bytes(60, 40, seed=32)),
    ]
    response = bob.post(
        reverse("upload"), {"channel": folder, "files": files}, HTTP_ACCEPT="application/json"
    )
    results = response.json()["results"]
    assert response.status_code == 200 and [r["ok"] for r in results] == [True, True]
    new = File.objects.get(pk=results[0]["id"])
    assert new.uploader == world.bob and new.channel_id == folder
    assert results[0]["url"] == reverse("file", args=[new.pk])
    settings.UPLOAD_KINDS = ["image"]
    settings.UPLOAD_MAX_SIZE = 50_000
    bad = bob.post(
        reverse("upload"),
        {
            "channel": folder,
            "files": [
                SimpleUploadedFile("blob.bin", random_bytes(1000)),
                SimpleUploadedFile("big.jpg", random_bytes(60_000)),
                SimpleUploadedFile("empty.jpg", b""),
            ],
        },
        HTTP_ACCEPT="application/json",
    )
    errors = [r["error"] for r in bad.json()["results"]]
    assert bad.status_code == 400
    assert "accepts image" in errors[0]
    assert "the limit is" in errors[1]
    assert "empty" in errors[2]
    # Without JavaScript: a results page linking to the new file.
    page = bob.post(
        reverse("upload"),
        {"channel": folder, "files": SimpleUploadedFile("three.jpg", jpeg_bytes(seed=33))},
    )
    assert page.status_code == 200 and "/f/" in page.content.decode()


def test_bulk_actions(world: World) -> None:
    bob = login(world.bob)
    ids = [world.files[k].pk for k in ("upload", "upload2", "shared")]
    bob.post(reverse("bulk"), {"action": "favourite", "file": ids})
    assert Favourite.objects.filter(user=world.bob).count() == 3
    bob.post(
        reverse("bulk"),
        {"action": "move", "file": ids, "channel": world.folders["inbox"].pk},
    )
    moved = File.objects.filter(pk__in=ids, channel=world.folders["inbox"]).count()
    assert moved == 2  # "shared" is not bob's to move
    bob.post(reverse("albums"), {"name": "Picks"})
    album = Album.objects.get(name="Picks")
    bob.post(reverse("bulk"), {"action": "album", "file": ids, "album": album.pk})
    assert AlbumItem.objects.filter(album=album).count() == 3
    alice = login(world.alice)
    alice.post(reverse("bulk"), {"action": "delete", "file": ids[:2]})
    assert not File.objects.filter(pk__in=ids[:2]).exists()


def test_rotate_rename_flag(world: World) -> None:
    alice = login(world.alice)
    file = world.files["photo"]
    width, height = file.width, file.height
    alice.post(reverse("file_rotate", args=[file.pk]))
    file.refresh_from_db()
    assert (file.rotation, file.width, file.height) == (90, height, width)
    alice.post(reverse("file_rotate", args=[file.pk]), {"direction": "left"})
    file.refresh_from_db()
    assert file.rotation == 0
    alice.post(reverse("file_rename", args=[file.pk]), {"name": "dusk.jpg"})
    file.refresh_from_db()
    assert file.name == "dusk.jpg"
    alice.post(reverse("file_flag", args=[file.pk]), {"reason": "duplicate"})
    assert Flag.objects.get(file=file).reason == "duplicate"


def test_feed_of_a_query(world: World) -> None:
    response = login(world.bob).get(reverse("feed"), {"q": "shared"})
    body = response.content.decode()
    assert response["Content-Type"].startswith("application/atom+xml")
    assert body.count("<entry>") == 2 and "shared-cat.jpg" in body
    token = Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['api']}")
    assert token.get(reverse("feed")).status_code == 200


def test_headers_and_escaping(world: World) -> None:
    file = world.files["shared"]
    File.objects.filter(pk=file.pk).update(description='<script>alert("x")</script>')
    response = login(world.bob).get(reverse("file", args=[file.pk]))
    html = response.content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    form = login(world.bob).get(reverse("upload")).content.decode()
    assert "csrfmiddlewaretoken" in form


def test_api_pages_follow_the_cursor(world: World) -> None:
    token = Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['api']}")
    first = token.get(reverse("api:list_files"), {"limit": 2, "nsfw": "show"}).json()
    assert len(first["items"]) == 2 and first["next"]
    second = token.get(
        reverse("api:list_files"), {"limit": 2, "nsfw": "show", "after": first["next"]}
    ).json()
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
    folders = {f["name"]: f for f in token.get(reverse("api:list_folders")).json()}
    assert set(folders) == {"shared", "nsfw", "uploads", "inbox"}
    assert not any(f["can_write"] for f in folders.values())  # a read-only token
    writer = Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['api_write']}")
    folders = {f["name"]: f for f in writer.get(reverse("api:list_folders")).json()}
    assert folders["uploads"]["can_manage"] and not folders["shared"]["can_write"]
    created = writer.post(
        reverse("api:create_album"), json.dumps({"name": "API"}), content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["owner"] == "bob"
    docs = Client().get(reverse("api:openapi-json")).json()
    assert "/api/files" in docs["paths"]


@pytest.mark.parametrize("model", sorted(admin.site._registry, key=lambda m: m._meta.label))
def test_admin_lists_render_for_staff(world: World, model) -> None:  # type: ignore[no-untyped-def]
    alice = login(world.alice)
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert alice.get(changelist).status_code == 200
    assert alice.get(changelist, {"q": "a"}).status_code == 200
    if admin.site._registry[model].has_add_permission(type("R", (), {"user": world.alice})()):
        assert (
            alice.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200
        )


def test_janitors_review_flags(world: World) -> None:
    from authware.models import User

    world.bob.rank = User.Rank.JANITOR
    world.bob.save()
    bob = login(world.bob)
    shared = world.files["shared"]
    bob.post(reverse("file_flag", args=[shared.pk]), {"reason": "wrong folder"})
    Flag.objects.create(file=world.files["secret"], reason="not for bob")
    page = bob.get(reverse("flags")).content.decode()
    assert "wrong folder" in page and "not for bob" not in page
    bob.post(reverse("file_flag", args=[shared.pk]), {"resolve": "1", "next": reverse("flags")})
    assert Flag.objects.get(file=shared).resolved_by == world.bob
    assert login(world.charlie).get(reverse("flags")).status_code == 404


def test_admins_can_upload_into_a_new_folder(world: World) -> None:
    from junefs.models import Channel

    alice = login(world.alice)
    response = alice.post(
        reverse("upload"),
        {"new_folder": "holiday", "files": SimpleUploadedFile("a.jpg", jpeg_bytes(seed=51))},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    holiday = Channel.objects.get(name="holiday")
    assert File.objects.filter(channel=holiday).count() == 1
    # Others cannot make folders this way.
    bob = login(world.bob)
    bob.post(
        reverse("upload"),
        {
            "new_folder": "bobs",
            "channel": world.folders["inbox"].pk,
            "files": SimpleUploadedFile("b.jpg", jpeg_bytes(seed=52)),
        },
    )
    assert not Channel.objects.filter(name="bobs").exists()


@pytest.mark.django_db
def test_a_fresh_install_points_to_upload(client) -> None:  # type: ignore[no-untyped-def]
    from authware.models import User

    admin = User.objects.create_superuser("admin", "", "pw", rank=User.Rank.ADMIN)
    client.force_login(admin)
    page = client.get("/").content.decode()
    assert "No files yet." in page and 'href="/upload/"' in page
