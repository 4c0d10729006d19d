"""CDS in the admin: lists, filters, search and actions work."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cds import sharing
from cds.audit import AuditEntry, Requester, audit_log
from cds.models import AccessRecord, BlockedHash, ShareLink
from tests.cds.helpers import KiB, stored_file
from tests.factories import random_bytes


def test_cds_admin_pages(settings, folder, admin_client, admin_user):
    file = stored_file(settings, folder, random_bytes(5 * KiB, seed=40))
    audit_log.record(
        AuditEntry(
            "file",
            Requester(admin_user.pk, "user:admin"),
            "10.0.0.5",
            file_id=file.pk,
            sha256=file.sha256,
            status=200,
            bytes_sent=5,
        )
    )
    audit_log.flush()
    link = sharing.create_share_link(file, created_by=admin_user)
    for url in (
        "/admin/cds/accessrecord/",
        "/admin/cds/accessrecord/?status__exact=200&q=10.0.0.5",
        "/admin/cds/blockedhash/",
        "/admin/cds/blockedhash/add/",
        "/admin/cds/sharelink/?q=" + str(file.pk),
        f"/admin/cds/sharelink/{link.pk}/change/",
        "/admin/cds/sharelink/add/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    assert b"served_requests" in admin_client.get("/admin/cds/accessrecord/").content
    assert (
        sharing.url_for(link).encode()
        in admin_client.get(f"/admin/cds/sharelink/{link.pk}/change/").content
    )

    record = AccessRecord.objects.get()
    exported = admin_client.post(
        "/admin/cds/accessrecord/",
        {"action": "export_csv", "_selected_action": [record.pk]},
    )
    assert file.sha256 in b"".join(exported.streaming_content).decode()
    admin_client.post(
        "/admin/cds/accessrecord/", {"action": "block_hashes", "_selected_action": [record.pk]}
    )
    entry = BlockedHash.objects.get(sha256=file.sha256)
    assert entry.status == 403 and entry.created_by == admin_user
    admin_client.post(
        "/admin/cds/blockedhash/", {"action": "make_451", "_selected_action": [entry.pk]}
    )
    entry.refresh_from_db()
    assert entry.status == 451

    admin_client.post(
        "/admin/cds/sharelink/", {"action": "revoke_links", "_selected_action": [link.pk]}
    )
    link.refresh_from_db()
    assert link.revoked_at is not None


def test_adding_a_block_and_a_share_link_in_the_admin(settings, folder, admin_client):
    file = stored_file(settings, folder, random_bytes(5 * KiB, seed=41))
    response = admin_client.post(
        "/admin/cds/blockedhash/add/",
        {"sha256": file.sha256.upper(), "status": 451, "reason": "DMCA"},
    )
    assert response.status_code == 302
    assert BlockedHash.objects.get(sha256=file.sha256).reason == "DMCA"
    assert (
        admin_client.post(
            "/admin/cds/blockedhash/add/", {"sha256": "abc", "status": 403, "reason": "x"}
        ).status_code
        == 200
    )  # invalid: the form comes back
    expires = timezone.now() + timedelta(days=1)
    admin_client.post(
        "/admin/cds/sharelink/add/",
        {
            "file": file.pk,
            "expires_at_0": expires.strftime("%Y-%m-%d"),
            "expires_at_1": expires.strftime("%H:%M:%S"),
            "note": "from the admin",
        },
    )
    link = ShareLink.objects.get(note="from the admin")
    assert sharing.link_for_token(sharing.token_for(link)) is not None
