"""Gateway behaviour: RESUME loses and doubles nothing, replays apply once, roles, catch-up."""

from __future__ import annotations

from typing import Any

import pytest

from junefs.models import Channel, File
from junefs.signals import discord_member_updated
from tests.discord_emulator.emulator import Emulator
from tests.discord_io.helpers import MirrorThread
from tests.factories import png_bytes
from tests.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _post(emulator: Emulator, n: int, tag: str) -> list[int]:
    return [
        emulator.post_message(
            emulator.channel.id,
            emulator.person.id,
            f"{tag}{i}",
            files=[(f"{tag}{i}.png", png_bytes(8 + i, 8))],
        ).id
        for i in range(n)
    ]


@pytest.mark.parametrize("cut", ["close 4000", "tcp cut"])
def test_a_disconnect_resumes_without_losing_or_doubling_events(
    emulator: Emulator, folder: Channel, mirror: MirrorThread, cut: str
) -> None:
    client = mirror.client
    assert client is not None
    before = _post(emulator, 3, "a")
    wait_until(lambda: File.objects.count() == 3, what="the first files")
    emulator.force_disconnect(4000 if cut == "close 4000" else None)
    during = _post(emulator, 3, "b")  # sent while the client is away: replayed on RESUME
    wait_until(lambda: File.objects.count() == 6, what="the files posted while disconnected")
    wait_until(lambda: emulator.counters()["gateway"].get("resume", 0) == 1, what="a RESUME")
    after = _post(emulator, 1, "c")
    mirror.flush(emulator)
    assert File.objects.count() == 7
    assert set(File.objects.values_list("discord_message_id", flat=True)) == {
        *before,
        *during,
        *after,
    }
    assert all(client.applied_messages[m] == 1 for m in [*before, *during, *after])
    assert emulator.counters()["gateway"]["identify"] == 1
    assert client.failures == 0


def test_events_delivered_twice_are_applied_once(
    emulator: Emulator, folder: Channel, mirror: MirrorThread
) -> None:
    """A RESUME from an older sequence number makes Discord replay events already applied."""
    client = mirror.client
    assert client is not None

    async def sequence() -> int:
        assert client.ws is not None and client.ws.sequence is not None
        return client.ws.sequence

    rewind_to = mirror.call(sequence())
    posted = _post(emulator, 3, "r")
    mirror.flush(emulator)
    assert File.objects.count() == 3

    async def rewind() -> None:
        client.ws.sequence = rewind_to  # type: ignore[union-attr]

    mirror.call(rewind())
    emulator.force_disconnect(4000)
    wait_until(lambda: emulator.counters()["gateway"].get("replayed", 0) >= 4, what="the replay")
    mirror.flush(emulator)
    assert [client.applied_messages[m] for m in posted] == [2, 2, 2]  # delivered twice...
    assert File.objects.count() == 3  # ...recorded once
    assert File.objects.values("discord_attachment_id").distinct().count() == 3


def test_member_role_changes_are_signalled(
    emulator: Emulator, folder: Channel, mirror: MirrorThread
) -> None:
    seen: list[dict[str, Any]] = []

    def receiver(sender: object, **kwargs: Any) -> None:
        seen.append({k: kwargs[k] for k in ("guild_id", "user_id", "role_ids")})

    discord_member_updated.connect(receiver)
    try:
        artists = emulator.create_role(emulator.guild.id, "artists")
        mods = emulator.create_role(emulator.guild.id, "mods")
        emulator.set_member_roles(emulator.guild.id, emulator.person.id, [mods.id, artists.id])
        expected = {
            "guild_id": emulator.guild.id,
            "user_id": emulator.person.id,
            "role_ids": sorted([artists.id, mods.id]),
        }
        wait_until(lambda: expected in seen, what="the member update signal")
        emulator.set_member_roles(emulator.guild.id, emulator.person.id, [])
        wait_until(lambda: seen[-1]["role_ids"] == [], what="the roles removed")
    finally:
        discord_member_updated.disconnect(receiver)


def test_what_was_posted_while_no_client_ran_is_caught_up(
    emulator: Emulator, folder: Channel, discord_settings: Emulator
) -> None:
    seen = emulator.post_message(emulator.channel.id, emulator.person.id, "applied already")
    Channel.objects.filter(pk=folder.pk).update(discord_last_message_id=seen.id)
    missed = _post(emulator, 3, "m")
    deleted = _post(emulator, 1, "d")[0]
    emulator.delete_message(emulator.channel.id, deleted, emit_event=False)
    thread = MirrorThread(emulator.token).start()  # waits for the catch-up too
    try:
        assert set(File.objects.values_list("discord_message_id", flat=True)) == set(missed)
        folder.refresh_from_db()
        assert folder.discord_last_message_id == missed[-1]
        live = _post(emulator, 1, "l")
        wait_until(lambda: File.objects.count() == 4, what="live events after catching up")
        assert set(File.objects.values_list("discord_message_id", flat=True)) == {*missed, *live}
    finally:
        thread.stop()
