"""JuneFS in the admin: every page renders, actions do their job."""

from __future__ import annotations

import pytest
from django.urls import reverse

from junefs.models import File, Part, Server, Thumbnail
from tests.factories import ingest_bytes, jpeg_bytes
from tests.processes import drain_task_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(channel):  # type: ignore[no-untyped-def]
    return ingest_bytes(jpeg_bytes(200, 150), channel, "pic.jpg").file


@pytest.mark.parametrize("model", [Server, File, Part, Thumbnail])
def test_changelist_search_and_change_pages_render(admin_client, stored, model) -> None:  # type: ignore[no-untyped-def]
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "pic"}).status_code == 200
    obj = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert admin_client.get(change).status_code == 200


def test_channel_pages_render(admin_client, channel) -> None:  # type: ignore[no-untyped-def]
    assert admin_client.get(reverse("admin:junefs_channel_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:junefs_channel_add")).status_code == 200


def test_hashes_are_read_only(admin_client, stored) -> None:  # type: ignore[no-untyped-def]
    url = reverse("admin:junefs_file_change", args=[stored.pk])
    page = admin_client.get(url).content.decode()
    assert stored.sha256 in page
    assert 'name="sha256"' not in page


def test_requeue_action_resets_failed_uploads(admin_client, stored) -> None:  # type: ignore[no-untyped-def]
    File.objects.filter(pk=stored.pk).update(state=File.State.FAILED)
    response = admin_client.post(
        reverse("admin:junefs_file_changelist"),
        {"action": "requeue_upload", "_selected_action": [stored.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Queued 1 upload(s)" in response.content.decode()
    assert File.objects.get(pk=stored.pk).state == File.State.PENDING


def test_verify_action_queues_verification(admin_client, stored) -> None:  # type: ignore[no-untyped-def]
    drain_task_queue()
    response = admin_client.post(
        reverse("admin:junefs_file_changelist"),
        {"action": "verify", "_selected_action": [stored.pk]},
        follow=True,
    )
    assert "Queued verification of 1 file(s)" in response.content.decode()
    assert drain_task_queue() == ["junefs.verify_file"]


def test_the_admin_is_staff_only(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("admin:junefs_file_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]
