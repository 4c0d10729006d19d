"""Signed URLs: one URL, opened as one token, read-only, until expiry or revocation."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from authware.signed import WINDOW, sign_path
from authware.tokens import issue_token, revoke_token
from tests.web.conftest import World

pytestmark = pytest.mark.django_db


def test_a_signed_url_opens_that_url_only(world: World) -> None:
    token = world.token_rows["api"]  # bob's: he reads "shared"
    shared, secret = world.files["shared"], world.files["secret"]
    url = sign_path(f"/cds/f/{shared.pk}/?download=1", token)
    anyone = Client()
    assert anyone.get(url).status_code == 200
    assert "attachment" in anyone.get(url)["Content-Disposition"]
    # Every parameter is part of what was signed: none may change, go or come.
    assert anyone.get(url.replace("download=1", "download=0")).status_code == 401
    assert anyone.get(url.replace("download=1&", "")).status_code == 401
    assert anyone.get(url + "&extra=1").status_code == 401
    assert anyone.get(url.replace(f"/f/{shared.pk}/", f"/f/{secret.pk}/")).status_code == 401
    # It acts as the token: what bob cannot read stays a 404, even when signed.
    assert anyone.get(sign_path(f"/cds/f/{secret.pk}/", token)).status_code == 404
    # Not a session: pages that want a person refuse it.
    assert anyone.get(sign_path("/", token)).status_code == 403


def test_a_signed_url_expires_and_dies_with_its_token(world: World) -> None:
    _, raw = issue_token(world.bob, "short")
    token = world.bob.tokens.get(name="short")
    path = f"/cds/t/{world.files['shared'].pk}.webp"
    url = sign_path(path, token, seconds=1)
    expires = int(url.split("exp=")[1].split("&")[0])
    assert expires % WINDOW == 0 and expires >= time.time()  # rounded up: URLs repeat
    assert sign_path(path, token, seconds=1) == url
    anyone = Client()
    assert anyone.get(url).status_code == 200
    old = url.replace(f"exp={expires}", f"exp={int(time.time()) - 5}")
    assert anyone.get(old).status_code == 401  # an expiry in the past (and a bad signature)
    revoke_token(token)
    refused = anyone.get(url)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert raw  # the plain token was never needed to sign


def test_signed_urls_only_read(world: World) -> None:
    token = world.token_rows["api_write"]
    url = sign_path("/api/albums", token)
    assert Client().post(url, {"name": "x"}).status_code == 401
    with pytest.raises(ValueError, match="cannot carry"):
        sign_path("/cds/f/1/?sig=abc", token)
