"""The gateway through an unmodified discord.Client: READY, GUILD_CREATE, dispatches."""

from __future__ import annotations

import asyncio
from collections import Counter

import discord
import pytest

from tests.discord_emulator import Emulator
from tests.discord_emulator.fixtures import connected_client

from .helpers import eventually, send


async def test_client_connects_and_sees_the_world(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    guild = discord_client.get_guild(emulator.guild.id)
    assert guild is not None
    assert discord_client.user is not None and discord_client.user.id == emulator.bot.id
    assert {c.name for c in guild.channels} == {"Sequenzia", "general"}
    channel = guild.get_channel(emulator.channel.id)
    assert isinstance(channel, discord.TextChannel)
    assert channel.category_id == emulator.category.id
    assert guild.get_member(emulator.person.id) is not None  # chunked over the gateway
    assert guild.me.guild_permissions.administrator
    gateway = emulator.counters()["gateway"]
    assert (gateway["identify"], gateway["compress=zlib-stream"]) == (1, 1)


async def test_on_message_for_a_message_posted_by_a_person(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    seen: list[discord.Message] = []

    @discord_client.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message)

    emulator.post_message(
        emulator.channel.id,
        emulator.person.id,
        "my holiday",
        files=[("beach.png", b"\x89PNG fake")],
    )
    await eventually(lambda: len(seen) == 1)
    message = seen[0]
    assert message.content == "my holiday"
    assert isinstance(message.author, discord.Member)
    assert message.author.id == emulator.person.id and not message.author.bot
    assert await message.attachments[0].read() == b"\x89PNG fake"


async def test_without_message_content_intent_others_content_is_empty(emulator: Emulator) -> None:
    seen: list[discord.Message] = []
    async with connected_client(emulator, intents=discord.Intents.default()) as client:

        @client.event
        async def on_message(message: discord.Message) -> None:
            seen.append(message)

        emulator.post_message(
            emulator.channel.id, emulator.person.id, "secret", files=[("a.bin", b"a")]
        )
        emulator.post_message(emulator.channel.id, emulator.person.id, f"<@{emulator.bot.id}> look")
        channel = client.get_channel(emulator.channel.id)
        assert isinstance(channel, discord.TextChannel)
        await channel.send("mine")
        await eventually(lambda: len(seen) == 3)
    assert [(m.content, len(m.attachments)) for m in seen] == [
        ("", 0),
        (f"<@{emulator.bot.id}> look", 0),
        ("mine", 0),
    ]


async def test_privileged_intents_must_be_enabled_for_the_app(emulator: Emulator) -> None:
    limited = emulator.create_user("Limited", bot=True, token="limited", privileged_intents=0)
    emulator.add_member(emulator.guild.id, limited.id)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with connected_client(emulator, token="limited"):
            pass


async def test_rest_actions_dispatch_channel_and_message_events(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    emulator.set_bucket("bulk_delete", 5, 1.0)
    events: list[str] = []
    for name in (
        "guild_channel_create",
        "guild_channel_update",
        "guild_channel_delete",
        "message",
        "raw_message_edit",
        "raw_message_delete",
        "raw_bulk_message_delete",
    ):

        async def record(*_: object, name: str = name) -> None:
            events.append(name)

        discord_client.event(_named(f"on_{name}", record))
    guild = discord_client.get_guild(emulator.guild.id)
    assert guild is not None
    created = await guild.create_text_channel("uploads")
    await eventually(lambda: "guild_channel_create" in events)
    await created.edit(topic="parts live here")
    await eventually(lambda: "guild_channel_update" in events)
    first = await created.send("part 1")
    second = await created.send("part 2")
    await first.edit(content="part 1 (fixed)")
    await created.delete_messages([first, second])
    await created.delete()
    await eventually(lambda: "guild_channel_delete" in events)
    assert events == [
        "guild_channel_create",
        "guild_channel_update",
        "message",
        "message",
        "raw_message_edit",
        "raw_bulk_message_delete",
        "guild_channel_delete",
    ]


async def test_member_role_changes_reach_the_client(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    updates: list[tuple[list[int], list[int]]] = []

    @discord_client.event
    async def on_member_update(before: discord.Member, after: discord.Member) -> None:
        updates.append(([r.id for r in before.roles], [r.id for r in after.roles]))

    role = emulator.create_role(emulator.guild.id, "Family")
    emulator.set_member_roles(emulator.guild.id, emulator.person.id, [role.id])
    await eventually(lambda: len(updates) == 1)
    assert role.id not in updates[0][0] and role.id in updates[0][1]
    guild = discord_client.get_guild(emulator.guild.id)
    assert guild is not None
    member = guild.get_member(emulator.person.id)
    assert member is not None and member.get_role(role.id) is not None


async def test_a_guild_the_bot_joins_arrives(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    joined: list[int] = []

    @discord_client.event
    async def on_guild_join(guild: discord.Guild) -> None:
        joined.append(guild.id)

    new = emulator.create_guild("New Library")
    await eventually(lambda: joined == [new.id])


@pytest.mark.parametrize("how", ["close 4000", "tcp cut", "reconnect op", "resumable op 9"])
async def test_reconnects_resume_without_losing_or_doubling_events(
    emulator: Emulator, discord_client: discord.Client, how: str
) -> None:
    seen: Counter[int] = Counter()

    @discord_client.event
    async def on_message(message: discord.Message) -> None:
        seen[message.id] += 1

    posted = [
        emulator.post_message(emulator.channel.id, emulator.person.id, f"a{i}").id for i in range(5)
    ]
    await eventually(lambda: len(seen) == 5)
    {
        "close 4000": lambda: emulator.force_disconnect(4000),
        "tcp cut": lambda: emulator.force_disconnect(None),
        "reconnect op": emulator.send_reconnect,
        "resumable op 9": lambda: emulator.invalidate_session(resumable=True),
    }[how]()
    posted += [
        emulator.post_message(emulator.channel.id, emulator.person.id, f"b{i}").id for i in range(5)
    ]
    await eventually(lambda: len(seen) == 10 and emulator.counters()["gateway"]["resume"] == 1)
    posted.append(emulator.post_message(emulator.channel.id, emulator.person.id, "after").id)
    await eventually(lambda: len(seen) == 11)
    assert sorted(seen) == sorted(posted)
    assert set(seen.values()) == {1}
    assert emulator.counters()["gateway"]["identify"] == 1


async def test_an_invalid_session_makes_the_client_identify_again(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    seen: list[str] = []

    @discord_client.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before a re-IDENTIFY (its documented, overridable hook)."""

    discord_client.before_identify_hook = no_wait  # type: ignore[method-assign]
    assert emulator.invalidate_session(resumable=False) == 1
    await eventually(lambda: emulator.counters()["gateway"]["identify"] == 2)
    await eventually(lambda: any(s["connected"] for s in emulator.sessions()))
    emulator.post_message(emulator.channel.id, emulator.person.id, "new session")
    await eventually(lambda: seen == ["new session"])


async def test_a_message_deleted_behind_the_clients_back(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    deleted: list[int] = []
    seen: list[str] = []

    @discord_client.event
    async def on_raw_message_delete(payload: discord.RawMessageDeleteEvent) -> None:
        deleted.append(payload.message_id)

    @discord_client.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    loud = emulator.post_message(emulator.channel.id, emulator.person.id, "loud")
    quiet = emulator.post_message(emulator.channel.id, emulator.person.id, "quiet")
    emulator.delete_message(emulator.channel.id, loud.id)
    emulator.delete_message(emulator.channel.id, quiet.id, emit_event=False)
    emulator.post_message(emulator.channel.id, emulator.person.id, "marker")
    await eventually(lambda: seen == ["loud", "quiet", "marker"])  # events arrive in order
    assert deleted == [loud.id]
    channel = discord_client.get_channel(emulator.channel.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.NotFound):
        await channel.fetch_message(quiet.id)


async def test_events_reach_several_clients(emulator: Emulator) -> None:
    async with connected_client(emulator) as one, connected_client(emulator) as two:
        got: list[str] = []
        for client, name in ((one, "one"), (two, "two")):

            async def on_message(_: discord.Message, name: str = name) -> None:
                got.append(name)

            client.event(on_message)
        await asyncio.to_thread(
            emulator.post_message, emulator.channel.id, emulator.person.id, "both"
        )
        await eventually(lambda: sorted(got) == ["one", "two"])


async def test_the_bot_sees_its_own_messages(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    own: list[int] = []

    @discord_client.event
    async def on_message(message: discord.Message) -> None:
        own.append(message.author.id)

    channel = discord_client.get_channel(emulator.channel.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await send(discord_client.http, channel.id, "from me")
    await eventually(lambda: own == [emulator.bot.id])
    assert sent["author"]["id"] == str(emulator.bot.id)


def _named(name: str, function: object) -> object:
    function.__name__ = name  # type: ignore[attr-defined]
    return function


async def test_auto_sharded_client_uses_gateway_bot(emulator: Emulator) -> None:
    client = discord.AutoShardedClient(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    runner = asyncio.create_task(client.start(emulator.token))
    try:
        await eventually(client.is_ready)
        assert client.shard_count == 1
        assert client.get_guild(emulator.guild.id) is not None
        assert emulator.counters()["requests_by_route"]["GET /gateway/bot"] == 1
    finally:
        await client.close()
        await asyncio.wait_for(runner, timeout=5)


async def test_members_joining_and_leaving(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    events: list[tuple[str, int]] = []

    @discord_client.event
    async def on_member_join(member: discord.Member) -> None:
        events.append(("join", member.id))

    @discord_client.event
    async def on_raw_member_remove(payload: discord.RawMemberRemoveEvent) -> None:
        events.append(("remove", payload.user.id))

    bob = emulator.create_user("bob")
    emulator.add_member(emulator.guild.id, bob.id)
    emulator.remove_member(emulator.guild.id, bob.id)
    await eventually(lambda: events == [("join", bob.id), ("remove", bob.id)])


async def test_the_server_can_ask_for_a_heartbeat(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    before = emulator.counters()["gateway"]["heartbeats"]
    assert emulator.request_heartbeat() == 1
    await eventually(lambda: emulator.counters()["gateway"]["heartbeats"] > before)
