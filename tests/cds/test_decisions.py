"""Django's side of the nginx fast path: the decision answers (cds.views.decisions)."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from cds.audit import audit_log
from cds.models import AccessRecord, BlockedHash
from tests.cds.helpers import KiB, body, file_url, stored_file
from tests.factories import random_bytes


@pytest.fixture(autouse=True)
def fast_path(settings):  # type: ignore[no-untyped-def]
    settings.CDS_NGINX_DECISION_SECONDS = 5
    audit_log.discard()


@pytest.fixture
def cached(settings, folder):  # type: ignore[no-untyped-def]
    return stored_file(settings, folder, random_bytes(40 * KiB, seed=51), cached=True)


def ask(client, path: str, **headers: str):  # type: ignore[no-untyped-def]
    """A decision request as nginx sends it (its key: this client's session cookie)."""
    session = client.cookies["sessionid"].value if "sessionid" in client.cookies else ""
    extra = {"HTTP_X_CDS_DECISION": "1", "HTTP_X_CDS_KEY_SESSION": session}
    for name, value in headers.items():
        extra[name if name.startswith("REMOTE_") else f"HTTP_{name.upper()}"] = value
    return client.get(path, **extra)


def test_a_readable_cached_file_is_handed_over_with_its_headers(admin_client, admin_user, cached):  # type: ignore[no-untyped-def]
    answer = ask(admin_client, file_url(cached))
    assert answer.status_code == 200 and answer.content == b""
    assert answer["X-Accel-Expires"] == "5"
    assert answer["X-CDS-Object"] == f"{cached.sha256[:2]}/{cached.sha256[2:4]}/{cached.sha256}.bin"
    assert answer["X-CDS-Content-Type"] == "application/octet-stream"
    assert answer["X-CDS-Cache-Control"] == "private, max-age=86400"
    assert answer["Cache-Control"] == "no-store"
    assert answer["ETag"] == f'"{cached.sha256}"'
    audit = {k: v[0] for k, v in parse_qs(answer["X-CDS-Audit"]).items()}
    assert audit == {
        "kind": "file",
        "file": str(cached.pk),
        "sha256": cached.sha256,
        "size": str(cached.size),
        "user": str(admin_user.pk),
        "credential": f"user:{admin_user.username}",
    }
    audit_log.flush()
    assert not AccessRecord.objects.exists()  # a decision sends no bytes


def test_anything_else_is_sent_on_to_django(admin_client, client, settings, folder, cached):  # type: ignore[no-untyped-def]
    spanned = stored_file(settings, folder, random_bytes(100 * KiB, seed=52), part_size=64 * KiB)
    assert ask(client, file_url(cached)).status_code == 403  # anonymous: no access
    assert ask(admin_client, "/cds/f/999999/x").status_code == 403  # no such file
    assert ask(admin_client, file_url(spanned)).status_code == 403  # not whole in the store
    # nginx keyed it on another credential than the one Django read
    assert ask(admin_client, file_url(cached), X_CDS_KEY_SESSION="other").status_code == 403
    assert (
        ask(admin_client, file_url(cached), AUTHORIZATION="Bearer sqa_x").status_code == 401
    )  # a bad token is the token middleware's 401, as without the fast path
    BlockedHash.objects.create(sha256=cached.sha256, status=451, reason="x")
    answer = ask(admin_client, file_url(cached))
    assert answer.status_code == 403 and answer["X-Accel-Expires"] == "5"
    audit_log.flush()
    assert not AccessRecord.objects.exists()


def test_share_links_and_peers_always_go_to_django(admin_client, admin_user, cached, settings):  # type: ignore[no-untyped-def]
    from cds.sharing import create_share_link, url_for

    link = create_share_link(cached, created_by=admin_user)
    path = url_for(link).removeprefix(settings.SITE_URL)
    assert ask(admin_client, path).status_code == 403
    link.refresh_from_db()
    assert link.uses == 0  # a decision is not a use
    settings.CDS_NODE_TOKEN = "node-secret"
    peer = ask(admin_client, f"/cds/h/{cached.sha256}", AUTHORIZATION="CDS-Node node-secret")
    assert peer.status_code == 403


def test_only_nginx_may_ask_and_only_when_the_option_is_on(admin_client, cached, settings):  # type: ignore[no-untyped-def]
    answer = ask(admin_client, file_url(cached), REMOTE_ADDR="203.0.113.9")
    assert answer.status_code == 200 and "X-CDS-Object" not in answer  # the file itself
    assert body(answer) == cached_bytes(cached)
    settings.CDS_NGINX_DECISION_SECONDS = 0
    answer = ask(admin_client, file_url(cached))
    assert answer.status_code == 200 and "X-CDS-Object" not in answer


def cached_bytes(file) -> bytes:  # type: ignore[no-untyped-def]
    from junefs.store import get_store

    with get_store().open(file.sha256) as handle:
        data: bytes = handle.read()
    return data


def test_a_rendition_is_handed_over_once_it_is_made(admin_client, settings, folder):  # type: ignore[no-untyped-def]
    from tests.factories import jpeg_bytes

    photo = stored_file(settings, folder, jpeg_bytes(800, 600, seed=3), name="p.jpg", cached=True)
    path = f"/cds/r/{photo.pk}/256x256.webp"
    assert ask(admin_client, path).status_code == 403  # not made yet: Django makes it
    assert admin_client.get(path).status_code == 200
    answer = ask(admin_client, path)
    assert answer.status_code == 200 and answer["X-CDS-Content-Type"] == "image/webp"
    assert parse_qs(answer["X-CDS-Audit"])["kind"] == ["rendition"]
