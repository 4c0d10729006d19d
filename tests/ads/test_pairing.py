"""Pairing a TV: the code, the approval on a phone, the one-time claim of the token."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from authware.models import Token
from sequenzia.ads import pairing
from sequenzia.ads.models import Display, DisplayProfile, Pairing
from tests.ads.conftest import ScreenWorld

pytestmark = pytest.mark.django_db


def tv_start(client: Client) -> dict[str, object]:
    response = client.post("/ads/pair/start")
    assert response.status_code == 201
    body: dict[str, object] = response.json()
    return body


def test_the_whole_flow_over_http(screens: ScreenWorld) -> None:
    tv = Client(enforce_csrf_checks=False)
    started = tv_start(tv)
    code = str(started["code"])
    assert len(code) == 7 and code[3] == "-"  # ABC-DEF, easy to read across a room
    assert str(started["qr"]).startswith("data:image/svg+xml;base64,")
    assert "/ads/pair/?code=" in str(started["approve_url"])
    poll = tv.post("/ads/pair/poll", {"secret": started["secret"]})
    assert poll.json() == {"status": "pending"}

    phone = Client()
    phone.force_login(screens.world.bob)
    page = phone.get("/ads/pair/", {"code": code.replace("-", "")})
    assert page.status_code == 200 and b"Screens" in page.content
    approved = phone.post(
        "/ads/pair/", {"code": code.lower(), "profile": screens.profile.pk, "name": "Den"}
    )
    assert approved.status_code == 302
    display = Display.objects.get(name="Den")
    assert approved["Location"] == f"/ads/displays/{display.pk}/remote/"

    claim = tv.post("/ads/pair/poll", {"secret": started["secret"]}).json()
    assert claim["status"] == "approved" and claim["display"] == display.pk
    assert claim["token"].startswith("sqd_")
    token = Token.objects.get(display=display)
    assert token.kind == Token.Kind.DEVICE and not token.writable and token.folders_only
    assert set(token.channels.values_list("id", flat=True)) == {screens.folder.pk}
    # Only the hash is kept; a second claim (a replayed poll) gets nothing.
    assert not Pairing.objects.filter(secret_hash=started["secret"]).exists()
    assert tv.post("/ads/pair/poll", {"secret": started["secret"]}).status_code == 404
    state = Client(HTTP_AUTHORIZATION=f"Bearer {claim['token']}").get("/ads/api/display")
    assert state.json()["display"]["name"] == "Den"


def test_a_code_is_used_once_and_expires(screens: ScreenWorld) -> None:
    bob = screens.world.bob
    started = pairing.start()
    pairing.approve(started.pairing.code, bob, screens.profile, "one")
    with pytest.raises(pairing.PairingError, match="already used"):
        pairing.approve(started.pairing.code, bob, screens.profile, "two")
    late = pairing.start()
    Pairing.objects.filter(pk=late.pairing.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(pairing.PairingError, match="expired"):
        pairing.approve(late.pairing.code, bob, screens.profile, "late")
    assert pairing.claim(late.secret).status == "expired"
    with pytest.raises(pairing.PairingError, match="no TV shows this code"):
        pairing.approve("ZZZZZZ", bob, screens.profile, "x")
    with pytest.raises(pairing.PairingError, match="letters and digits"):
        pairing.approve("12", bob, screens.profile, "x")


def test_only_your_own_profile_can_be_paired(screens: ScreenWorld) -> None:
    started = pairing.start()
    with pytest.raises(pairing.PairingError, match="not yours"):
        pairing.approve(started.pairing.code, screens.world.charlie, screens.profile, "x")
    phone = Client()
    phone.force_login(screens.world.charlie)
    response = phone.post(
        "/ads/pair/", {"code": started.pairing.code, "profile": screens.profile.pk}
    )
    # charlie has no profile of his own: he gets "Everything", never bob's.
    assert response.status_code == 302
    display = Display.objects.get(owner=screens.world.charlie)
    assert display.profile.owner == screens.world.charlie and display.profile.name == "Everything"


def test_pairing_is_rate_limited_per_address(screens: ScreenWorld, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ADS_PAIRING_PER_HOUR = 3
    tv = Client(REMOTE_ADDR="192.0.2.7")
    for _ in range(3):
        assert tv.post("/ads/pair/start").status_code == 201
    refused = tv.post("/ads/pair/start")
    assert refused.status_code == 429 and "too many" in refused.json()["detail"]
    assert Client(REMOTE_ADDR="192.0.2.8").post("/ads/pair/start").status_code == 201


def test_unpairing_revokes_the_token_at_once(screens: ScreenWorld) -> None:
    assert screens.tv.get("/ads/api/display").status_code == 200
    owner = Client()
    owner.force_login(screens.world.bob)
    assert owner.post(f"/ads/displays/{screens.display.pk}/revoke/").status_code == 302
    assert screens.tv.get("/ads/api/display").status_code == 401
    assert screens.tv.post("/ads/api/next").status_code == 401
    # Someone else's display cannot be unpaired (it does not exist for them).
    other = Client()
    other.force_login(screens.world.charlie)
    assert other.post(f"/ads/displays/{screens.display.pk}/revoke/").status_code == 404


def test_deleting_a_profile_unpairs_its_screens(screens: ScreenWorld) -> None:
    owner = Client()
    owner.force_login(screens.world.bob)
    assert owner.post(f"/ads/profiles/{screens.profile.pk}/delete/").status_code == 302
    assert not DisplayProfile.objects.filter(pk=screens.profile.pk).exists()
    assert screens.tv.get("/ads/api/display").status_code == 401
