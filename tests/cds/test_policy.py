"""The block list on every path, the access audit, and share links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from cds import sharing, stats
from cds.audit import AuditEntry, Requester, audit_log, prune_access_records
from cds.models import AccessRecord, BlockedHash, ShareLink
from tests.cds.helpers import KiB, body, file_url, stored_file
from tests.factories import jpeg_bytes, random_bytes


@pytest.fixture
def photo(settings, folder):  # type: ignore[no-untyped-def]
    data = jpeg_bytes(320, 240, seed=5)
    return stored_file(settings, folder, data, name="photo.jpg", part_size=8 * KiB), data


def share_path(link: ShareLink) -> str:
    return sharing.url_for(link).removeprefix(django_settings.SITE_URL)


@pytest.mark.parametrize("status", [403, 404, 451])
def test_blocked_hashes_are_refused_on_every_path(status, photo, admin_client, admin_user):
    file, _ = photo
    BlockedHash.objects.create(sha256=file.sha256, status=status, reason="court order 12")
    link = sharing.create_share_link(file, created_by=admin_user)
    paths = [
        file_url(file),
        f"/cds/t/{file.pk}.webp",  # the preview of blocked bytes is blocked too
        f"/cds/h/{file.sha256}",
        share_path(link),
    ]
    for path in paths:
        for method in (admin_client.get, admin_client.head):
            response = method(path)
            assert response.status_code == status, path
            if status == 451 and method == admin_client.get:
                assert "court order 12" in response.content.decode()
    assert stats.snapshot()["blocked"] == len(paths) * 2


def test_blocking_a_thumbnail_hash_alone(photo, admin_client):
    file, data = photo
    BlockedHash.objects.create(sha256=file.thumbnail.sha256, status=451, reason="preview only")
    assert admin_client.get(f"/cds/t/{file.pk}.webp").status_code == 451
    assert body(admin_client.get(file_url(file))) == data


def test_peers_are_refused_blocked_bytes_too(settings, photo, client):
    settings.CDS_NODE_TOKEN = "node-secret"
    file, _ = photo
    from junefs.store import get_store

    get_store().put_bytes(body_of_file(file), ext="jpg")
    headers = {"HTTP_AUTHORIZATION": "CDS-Node node-secret", "HTTP_X_CDS_NODE": "n2"}
    assert client.get(f"/cds/h/{file.sha256}", **headers).status_code == 200
    BlockedHash.objects.create(sha256=file.sha256, status=403, reason="no")
    assert client.get(f"/cds/h/{file.sha256}", **headers).status_code == 403


def body_of_file(file) -> bytes:  # type: ignore[no-untyped-def]
    from junefs.reader import iter_file

    return b"".join(iter_file(file))


def test_the_audit_records_what_was_served(photo, admin_client, admin_user):
    file, data = photo
    body(admin_client.get(file_url(file), HTTP_RANGE="bytes=100-1099", REMOTE_ADDR="10.1.2.3"))
    body(admin_client.get(file_url(file), HTTP_USER_AGENT="tv-browser/1.0"))
    admin_client.get(file_url(file), HTTP_IF_NONE_MATCH=f'"{file.sha256}"')
    assert AccessRecord.objects.count() == 0  # batched: nothing written per request
    assert audit_log.flush() == 3
    ranged, full, not_modified = AccessRecord.objects.order_by("id")
    assert (ranged.status, ranged.bytes_sent) == (206, 1000)
    assert (ranged.range_start, ranged.range_end, ranged.client_ip) == (100, 1099, "10.1.2.3")
    assert (full.status, full.bytes_sent, full.user_agent) == (200, len(data), "tv-browser/1.0")
    assert (not_modified.status, not_modified.bytes_sent) == (304, 0)
    for record in (ranged, full, not_modified):
        assert record.user_id == admin_user.pk and record.credential == "user:admin"
        assert record.file_id == file.pk and record.sha256 == file.sha256
        assert record.kind == "file" and record.via == "django"


def test_forwarded_addresses_only_from_trusted_proxies(photo, admin_client, settings):
    file, _ = photo
    settings.CDS_TRUSTED_PROXIES = ["10.0.0.1"]
    admin_client.head(file_url(file), REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    admin_client.head(file_url(file), REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    audit_log.flush()
    assert list(AccessRecord.objects.order_by("id").values_list("client_ip", flat=True)) == [
        "1.2.3.4",
        "10.9.9.9",
    ]


def test_audit_retention_and_a_full_buffer(settings, db):
    settings.CDS_AUDIT_RETENTION_DAYS = 30
    settings.CDS_AUDIT_MAX_BUFFER = 100
    now = timezone.now()
    for age in (1, 29, 31, 400):
        audit_log.record(
            AuditEntry("file", Requester(), None, status=200, at=now - timedelta(days=age))
        )
    audit_log.flush()
    assert prune_access_records(now) == 2
    assert AccessRecord.objects.count() == 2
    for _ in range(150):
        audit_log.record(AuditEntry("file", Requester(), None, status=200))
    assert audit_log.pending() == 100
    assert stats.snapshot()["audit_dropped"] == 50


def test_share_links_work_without_login_expire_and_revoke(photo, client, admin_user):
    file, data = photo
    link = sharing.create_share_link(file, created_by=admin_user, lifetime=timedelta(hours=1))
    path = share_path(link)
    response = client.get(path, HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206 and body(response) == data[:100]
    assert response["Cache-Control"] == "private, no-cache"
    assert body(client.get(path)) == data
    link.refresh_from_db()
    assert link.uses == 2
    # A forged or edited token is refused.
    token = sharing.token_for(link)
    assert client.get(f"/cds/s/{token[:-2]}xx/photo.jpg").status_code == 404
    assert client.get(f"/cds/s/{link.pk + 1}-ffffffff.{token.split('.')[1]}/x").status_code == 404
    sharing.revoke(link)
    assert client.get(path).status_code == 404
    expired = sharing.create_share_link(file, lifetime=timedelta(seconds=1))
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert client.get(share_path(expired)).status_code == 404
    audit_log.flush()
    credentials = set(AccessRecord.objects.values_list("credential", flat=True))
    assert f"share:{link.pk}" in credentials and "share:invalid" in credentials


def test_share_link_lifetime_is_bounded(photo, settings):
    file, _ = photo
    settings.CDS_SHARE_MAX_DAYS = 2
    with pytest.raises(sharing.ShareRefused):
        sharing.create_share_link(file, lifetime=timedelta(days=3))


def test_making_and_revoking_links_over_json(photo, admin_client, client):
    file, data = photo
    made = admin_client.post(f"/cds/share/files/{file.pk}", {"hours": "2", "note": "for Bo"})
    assert made.status_code == 201
    link = made.json()
    assert link["file"] == file.pk and not link["revoked"]
    path = link["url"].split("/cds/", 1)[1]
    assert body(client.get(f"/cds/{path}")) == data
    revoked = admin_client.post(f"/cds/share/{link['id']}/revoke")
    assert revoked.json()["revoked"] is True
    assert client.get(f"/cds/{path}").status_code == 404
    # Without access to the file there is no such file to share.
    assert client.post(f"/cds/share/files/{file.pk}").status_code == 404
    assert admin_client.post(f"/cds/share/files/{file.pk}", {"hours": "x"}).status_code == 400


def test_random_bytes_are_served_by_hash_only_to_readers(settings, folder, client):
    data = random_bytes(10 * KiB, seed=9)
    file = stored_file(settings, folder, data)
    assert client.get(f"/cds/h/{file.sha256}").status_code == 404
    assert client.get("/cds/h/not-a-hash").status_code == 404


def test_a_peer_asking_for_a_corrupt_cached_copy_gets_404(settings, photo, client):
    settings.CDS_NODE_TOKEN = "node-secret"
    file, data = photo
    from junefs.store import get_store

    path = get_store().put_bytes(data, ext="jpg").path
    with path.open("r+b") as handle:
        handle.seek(100)
        flipped = handle.read(1)[0] ^ 0xFF
        handle.seek(100)
        handle.write(bytes([flipped]))
    headers = {"HTTP_AUTHORIZATION": "CDS-Node node-secret"}
    assert client.get(f"/cds/h/{file.sha256}", **headers).status_code == 404
    assert not get_store().exists(file.sha256)  # dropped, never sent
