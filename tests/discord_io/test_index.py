"""``junefs index CHANNEL``: history over several pages, idempotent, rebuilds, prunes."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from junefs.models import Channel, File, Server
from tests.discord_emulator.emulator import Emulator
from tests.discord_io.helpers import bot_sender, post_stored_file
from tests.factories import png_bytes, random_bytes

pytestmark = pytest.mark.django_db

HISTORY = "GET /channels/{channel_id}/messages"


def index(*args: str) -> str:
    out = io.StringIO()
    call_command("junefs", "index", *args, stdout=out)
    return out.getvalue()


def test_index_reads_several_pages_and_running_it_again_adds_nothing(
    emulator: Emulator, folder: Channel
) -> None:
    posted = []
    for i in range(230):
        files = [(f"p{i}.png", png_bytes(4 + i % 7, 4))] if i % 3 == 0 else []
        posted.append(
            emulator.post_message(emulator.channel.id, emulator.person.id, f"m{i}", files=files)
        )
    emulator.reset_counters()
    output = index(folder.name)
    assert File.objects.count() == 77
    assert emulator.counters()["requests_by_route"][HISTORY] >= 3  # 100 a page
    assert "230 messages" in output and "77 new files" in output
    assert set(File.objects.values_list("state", flat=True)) == {File.State.INDEXING}
    assert File.objects.get(discord_message_id=posted[3].id).description == "m3"
    folder.refresh_from_db()
    assert folder.discord_last_message_id == posted[-1].id

    again = index(str(emulator.channel.id))  # by Discord id this time
    assert File.objects.count() == 77
    assert "0 new files, 77 already indexed" in again


def test_index_rebuilds_lost_files_and_prunes_deleted_messages(
    emulator: Emulator, folder: Channel, server: Server
) -> None:
    parts = emulator.create_channel(emulator.guild.id, "sequenzia-parts")
    Server.objects.filter(pk=server.pk).update(parts_channel_ids=[parts.id])
    data = random_bytes(9000, seed=9)
    parent, _ = post_stored_file(
        bot_sender(emulator.token), emulator.channel.id, parts.id, data, "old.bin", 77
    )
    gone = emulator.post_message(
        emulator.channel.id, emulator.person.id, "", files=[("gone.png", png_bytes())]
    )
    kept = emulator.post_message(
        emulator.channel.id, emulator.person.id, "", files=[("kept.png", png_bytes(9, 9))]
    )
    index(folder.name)
    rebuilt = File.objects.get(discord_message_id=int(parent["id"]))
    assert (rebuilt.pk, rebuilt.name, rebuilt.part_count) == (77, "old.bin", 2)
    assert File.objects.count() == 3

    emulator.delete_message(emulator.channel.id, gone.id, emit_event=False)
    output = index(folder.name, "--prune")
    assert "1 pruned" in output
    assert set(File.objects.values_list("discord_message_id", flat=True)) == {
        int(parent["id"]),
        kept.id,
    }


def test_index_needs_a_mapped_folder(emulator: Emulator, server: Server) -> None:
    Channel.objects.create(server=server, name="local only")
    with pytest.raises(CommandError, match="not mapped to a Discord channel"):
        index("local only")
