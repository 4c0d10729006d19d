"""The screen's JSON and the wallpaper API, for a paired TV, a browser and a DWS client."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from authware.tokens import issue_token, revoke_token
from sequenzia.ads.models import Display, DisplayHistory, DisplayProfile
from tests.ads.conftest import ScreenWorld, make_images, pair_display
from tests.cds.helpers import body as body_of

pytestmark = pytest.mark.django_db


def profile_form(**fields: object) -> dict[str, object]:
    """What the profile form posts, with these fields changed."""
    return {
        "interval_seconds": 5,
        "transition": "cut",
        "fit": "auto",
        "night_mode": "off",
        "night_start": "22:00",
        "night_end": "07:00",
        "dim_percent": 50,
        "repeat_days": 0,
        **fields,
    }


def bob_client(screens: ScreenWorld) -> Client:
    client = Client()
    client.force_login(screens.world.bob)
    return client


def test_a_paired_tv_gets_its_settings_and_images(screens: ScreenWorld) -> None:
    tv = screens.tv
    state = tv.get("/ads/api/display", {"w": 3840, "h": 2160}).json()
    assert state["display"]["id"] == screens.display.pk
    assert state["profile"]["interval_ms"] == 500 and state["current"] is None
    ids = set()
    showing: dict[str, object] = {}
    for _ in range(len(screens.images)):
        item = tv.post("/ads/api/next", {"w": 3840, "h": 2160, **showing}).json()["item"]
        ids.add(item["id"])
        showing = {"showing": item["id"]}  # as the screen says when it asks for the next
        # A signed rendition sized for the screen, never the original.
        url = urlsplit(item["image"])
        assert url.path.startswith(f"/cds/r/{item['id']}/")
        assert set(parse_qs(url.query)) == {"as", "exp", "sig"}
        assert item["page"].endswith(f"/f/{item['id']}/") and item["fit"] in ("cover", "contain")
    assert ids == {f.pk for f in screens.images}
    assert DisplayHistory.objects.filter(display=screens.display).count() == len(ids)
    # The current image is what the screen said it shows, not what it was handed last.
    again = tv.get("/ads/api/display").json()
    assert again["current"]["id"] != item["id"]
    tv.post("/ads/api/next", {"showing": item["id"]})
    assert tv.get("/ads/api/display").json()["current"]["id"] == item["id"]
    # It cannot claim to show what it may not read.
    tv.post("/ads/api/next", {"showing": screens.world.files["secret"].pk})
    assert Display.objects.get(pk=screens.display.pk).current_id == item["id"]
    display = Display.objects.get(pk=screens.display.pk)
    assert (display.screen_width, display.screen_height) == (3840, 2160)


def test_the_signed_image_url_opens_that_rendition_only(screens: ScreenWorld) -> None:
    item = screens.tv.post("/ads/api/next").json()["item"]
    anonymous = Client()
    response = anonymous.get(item["image"])
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    path, _, query = item["image"].partition("?")
    assert anonymous.get(f"/cds/f/{item['id']}/?{query}").status_code == 401  # another path
    assert anonymous.get(path).status_code == 404  # no credential: as if it did not exist
    tampered = item["image"].replace("sig=", "sig=0")
    assert anonymous.get(tampered).status_code == 401
    assert anonymous.post(item["image"]).status_code == 401  # reading only
    revoke_token(screens.display.token)
    assert anonymous.get(item["image"]).status_code == 401


def test_a_browser_display_runs_on_the_owners_session(screens: ScreenWorld) -> None:
    bob = bob_client(screens)
    response = bob.post("/ads/start/", {"profile": screens.profile.pk})
    assert response.status_code == 302
    display = Display.objects.get(owner=screens.world.bob, token=None, api_token=None)
    assert response["Location"] == f"/ads/screen/?display={display.pk}"
    item = bob.post("/ads/api/next", {"display": display.pk}).json()["item"]
    assert "sig=" not in item["image"]  # the session is the credential
    assert bob.get(item["image"]).status_code == 200
    # Another person's display does not exist for bob; nobody's session: 401.
    alice_profile = DisplayProfile.objects.create(owner=screens.world.alice, name="A")
    alice_display = Display.objects.create(owner=screens.world.alice, profile=alice_profile)
    assert bob.post("/ads/api/next", {"display": alice_display.pk}).status_code == 404
    assert Client().post("/ads/api/next", {"display": display.pk}).status_code == 401


def test_session_requests_need_csrf(screens: ScreenWorld) -> None:
    bob = Client(enforce_csrf_checks=True)
    bob.force_login(screens.world.bob)
    display = Display.objects.create(owner=screens.world.bob, profile=screens.profile, name="b")
    assert bob.post("/ads/api/next", {"display": display.pk}).status_code == 403
    tv = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {screens.token}")
    assert tv.post("/ads/api/next").status_code == 200  # a bearer token is not a cookie


def test_an_empty_pool_says_so(screens: ScreenWorld) -> None:
    screens.profile.query = "q=nothing-matches-this"
    screens.profile.save()
    answer = screens.tv.post("/ads/api/next").json()
    assert answer["item"] is None and "matches no image" in answer["detail"]


def test_a_mirrored_display_shows_what_the_other_shows(screens: ScreenWorld) -> None:
    follower, token = pair_display(screens.world.bob, screens.profile, "Kitchen")
    follower.follow = screens.display
    follower.save()
    leader_item = screens.tv.post("/ads/api/next").json()["item"]
    screens.tv.post("/ads/api/next", {"showing": leader_item["id"]})  # it is up now
    other = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    for _ in range(2):
        answer = other.post("/ads/api/next").json()
        assert answer["mirror"] is True and answer["item"]["id"] == leader_item["id"]


def test_api_item_describes_readable_images_only(screens: ScreenWorld) -> None:
    tv = screens.tv
    assert tv.get(f"/ads/api/item/{screens.images[3].pk}").json()["item"]["id"] == (
        screens.images[3].pk
    )
    # bob can read "shared", but the TV's token is limited to its profile's folder.
    assert tv.get(f"/ads/api/item/{screens.world.files['shared'].pk}").status_code == 404
    assert tv.get(f"/ads/api/item/{screens.world.files['secret'].pk}").status_code == 404


def test_a_device_token_reaches_its_own_profile_only(screens: ScreenWorld) -> None:
    tv, world = screens.tv, screens.world
    # Not the gallery, not the API's writes, not files outside its profile's folders.
    assert tv.get("/").status_code == 403
    assert tv.get("/ads/profiles/new/").status_code == 403
    assert tv.post("/api/albums", {"name": "x"}, content_type="application/json").status_code == 403
    assert tv.get(f"/cds/f/{world.files['shared'].pk}/").status_code == 404
    assert tv.get(f"/cds/f/{screens.images[0].pk}/").status_code == 200
    # Another profile of the same owner, asked for through DWS: not there.
    DisplayProfile.objects.create(owner=world.bob, name="Other")
    assert tv.get("/dws/next", {"w": 60, "h": 40, "profile": "Other"}).status_code == 404
    assert tv.get("/dws/next", {"w": 60, "h": 40, "profile": "Screens"}).status_code == 200
    # Naming another display changes nothing: a token has one display.
    other = Display.objects.create(owner=world.bob, profile=screens.profile, name="x")
    state = tv.get("/ads/api/display", {"display": other.pk}).json()
    assert state["display"]["id"] == screens.display.pk
    # An API token has no display at all.
    api = Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['api']}")
    assert api.post("/ads/api/next").status_code == 404


def test_the_token_follows_the_profile_when_it_changes(screens: ScreenWorld) -> None:
    bob = bob_client(screens)
    shared = screens.world.folders["shared"].pk
    response = bob.post(
        f"/ads/profiles/{screens.profile.pk}/",
        profile_form(name="Screens", query=f"folder={shared}", avoid_repeats="on"),
    )
    assert response.status_code == 302, response.content
    token = screens.display.token
    assert token is not None
    assert set(token.channels.values_list("id", flat=True)) == {shared}
    ids = {screens.tv.post("/ads/api/next").json()["item"]["id"] for _ in range(4)}
    files = screens.world.files
    assert ids <= {files["shared"].pk, files["shared2"].pk, files["png"].pk}
    assert screens.tv.get(f"/cds/f/{screens.images[0].pk}/").status_code == 404


def test_the_profile_form_refuses_a_bad_query(screens: ScreenWorld) -> None:
    bob = bob_client(screens)
    response = bob.post("/ads/profiles/new/", profile_form(name="Bad", query="min_width=abc"))
    assert response.status_code == 200
    assert b"not a whole number" in response.content
    assert not DisplayProfile.objects.filter(name="Bad").exists()


# --- DWS ---------------------------------------------------------------------------------


def test_dws_returns_a_wallpaper_sized_for_the_screen(screens: ScreenWorld) -> None:
    world = screens.world
    big = make_images(screens.folder, 3, start=200, size=(320, 180))
    _, raw = issue_token(world.bob, "desktop")
    desktop = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    seen = set()
    for _ in range(3):
        response = desktop.get("/dws/next", {"w": 320, "h": 180, "profile": "Screens"})
        assert response.status_code == 200
        body = response.json()
        seen.add(body["id"])
        assert body["url"].startswith("http://") and "/cds/r/" in body["url"]
        assert set(body) >= {"id", "url", "page", "color", "name", "width", "height"}
    # Only images that cover a 320x180 screen (the small ones do not), each once.
    assert seen == {f.pk for f in big}
    redirect = desktop.get("/dws/next", {"w": 320, "h": 180, "redirect": 1})
    assert redirect.status_code == 302 and "/cds/r/" in redirect["Location"]
    image = Client().get(redirect["Location"])
    assert image.status_code == 200 and image["Content-Type"] == "image/webp"
    as_jpeg = desktop.get("/dws/next", {"w": 320, "h": 180, "redirect": 1, "format": "jpg"})
    image = Client().get(as_jpeg["Location"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert body_of(image)[:3] == b"\xff\xd8\xff"  # a JPEG, whatever the header says
    assert desktop.get("/dws/next", {"w": 320, "h": 180, "format": "gif"}).status_code == 400
    # Portrait phones get portrait images; none of these cover a tall 4K phone.
    tall = desktop.get("/dws/next", {"w": 40, "h": 60}).json()
    assert tall["height"] > tall["width"]
    assert desktop.get("/dws/next", {"w": 2160, "h": 3840}).status_code == 404


def test_dws_needs_a_token_and_a_size(screens: ScreenWorld) -> None:
    assert Client().get("/dws/next", {"w": 100, "h": 100}).status_code == 401
    bob = bob_client(screens)
    assert bob.get("/dws/next", {"w": 100, "h": 100}).status_code == 401  # a token, not a session
    api = Client(HTTP_AUTHORIZATION=f"Bearer {screens.world.tokens['api']}")
    assert api.get("/dws/next", {"w": "abc", "h": 100}).status_code == 400
    assert api.get("/dws/next", {"w": 100, "h": 100, "profile": "nope"}).status_code == 404


def test_the_file_page_offers_the_owners_screens(screens: ScreenWorld) -> None:
    bob = bob_client(screens)
    image = screens.images[0]
    page = bob.get(f"/f/{image.pk}/")
    assert b"Show on TV" in page.content
    sent = bob.post(
        f"/ads/displays/{screens.display.pk}/command/",
        {"action": "show", "file": image.pk, "next": f"/f/{image.pk}/"},
    )
    assert sent.status_code == 302 and sent["Location"] == f"/f/{image.pk}/"
    # An image the screen may not show is refused with a reason, not sent.
    refused = bob.post(
        f"/ads/displays/{screens.display.pk}/command/",
        {"action": "show", "file": screens.world.files["shared"].pk},
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 404 and "may show" in refused.json()["detail"]
    revoke_token(screens.display.token)
    assert b"Show on TV" not in bob.get(f"/f/{image.pk}/").content
    charlie = Client()
    charlie.force_login(screens.world.charlie)
    assert charlie.get(f"/f/{screens.world.files['upload'].pk}/").status_code == 404


def test_a_rotated_image_gets_a_new_url(screens: ScreenWorld) -> None:
    """Browsers keep renditions for a day: a rotation must change the URL they ask for."""
    image = screens.images[0]
    before = screens.tv.get(f"/ads/api/item/{image.pk}").json()["item"]
    image.rotation = 90
    image.save(update_fields=["rotation"])
    after = screens.tv.get(f"/ads/api/item/{image.pk}").json()["item"]
    assert "r=90" in after["image"] and "r=" not in before["image"]
    assert (after["width"], after["height"]) == (before["height"], before["width"])
    assert Client().get(after["image"]).status_code == 200  # still signed as a whole
