"""Mirrored attachments stay out of the upload path (their bytes are the attachment)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from junefs.discord_io.mirror import record_message
from junefs.discord_io.records import AttachmentRecord, MessageRecord
from junefs.models import Channel, File, Server
from tests.processes import drain_task_queue

pytestmark = pytest.mark.django_db


def test_the_admin_never_requeues_a_mirrored_file_for_upload(admin_client) -> None:  # type: ignore[no-untyped-def]
    server = Server.objects.create(name="guild", guild_id=1)
    Channel.objects.create(server=server, name="pics", discord_channel_id=2)
    attachment = AttachmentRecord(4, "a.png", 100, "https://cdn.example/a.png?ex=ffffffff")
    message = MessageRecord(3, 2, 1, 5, "", datetime.now(UTC), (attachment,))
    assert record_message(message).new_file_ids
    file = File.objects.get()
    drain_task_queue()
    response = admin_client.post(
        reverse("admin:junefs_file_changelist"),
        {"action": "requeue_upload", "_selected_action": [file.pk]},
        follow=True,
    )
    assert "Queued 0 upload(s); 1 complete or mirrored from Discord." in response.content.decode()
    assert File.objects.get().state == File.State.INDEXING
    assert drain_task_queue() == []
