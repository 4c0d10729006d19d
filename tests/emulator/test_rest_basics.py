"""Auth, users, the gateway URL, guilds and channels, error shapes."""

from __future__ import annotations

import discord
import discord.http
import pytest

from tests.discord_emulator import Emulator
from tests.discord_emulator.fixtures import logged_in_http

from .helpers import raw


async def test_unknown_token_is_a_login_failure(emulator: Emulator) -> None:
    with pytest.raises(discord.LoginFailure):
        async with logged_in_http("not-a-token"):
            pass


async def test_unauthorized_body_and_count(emulator: Emulator) -> None:
    status, headers, body = await raw(emulator, "GET", "/users/@me", token="wrong")
    assert status == 401
    assert headers["Content-Type"] == "application/json"
    assert body == {"message": "401: Unauthorized", "code": 0}
    assert emulator.counters()["invalid_requests"] == 1


async def test_current_user_and_configurable_bots(emulator: Emulator) -> None:
    other = emulator.create_user("Second Bot", bot=True, token="second-token")
    async with logged_in_http("second-token") as http:
        me = await http.get_user(other.id)
    assert me["id"] == str(other.id)
    assert me["bot"] is True
    status, _, body = await raw(emulator, "GET", "/users/@me")
    assert status == 200
    assert body["id"] == str(emulator.bot.id)


async def test_gateway_bot_gives_the_websocket_url(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    shards, url, limits = await discord_http.get_bot_gateway()
    assert shards == 1
    assert url == emulator.gateway_url.rstrip("/")
    assert limits["max_concurrency"] == 1
    status, _, body = await raw(emulator, "GET", "/gateway", token="anything")
    assert status == 200
    assert body == {"url": url}


async def test_guild_payload_builds_a_discord_py_guild(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    emulator.set_premium_tier(emulator.guild.id, 3)
    data = await discord_http.get_guild(emulator.guild.id, with_counts=True)
    assert data["approximate_member_count"] == 2
    guild = discord.Guild(data=data, state=_state(discord_http))
    assert guild.premium_tier == 3
    assert guild.filesize_limit == 100 * 1024 * 1024
    assert {r.name for r in guild.roles} == {"@everyone", "Sequenzia"}


async def test_channels_create_update_delete(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    guild_id = emulator.guild.id
    category = await discord_http.create_channel(guild_id, 4, name="Parts Archive")
    assert category["name"] == "Parts Archive"
    created = await discord_http.create_channel(
        guild_id, 0, name="Parts 01", parent_id=category["id"]
    )
    assert created["name"] == "parts-01"
    assert created["parent_id"] == category["id"]
    listed = await discord_http.get_all_guild_channels(guild_id)
    assert created["id"] in {c["id"] for c in listed}
    edited = await discord_http.edit_channel(int(created["id"]), name="renamed", topic="t")
    assert (edited["name"], edited["topic"]) == ("renamed", "t")
    await discord_http.delete_channel(int(category["id"]))
    orphan = await discord_http.get_channel(int(created["id"]))
    assert orphan["parent_id"] is None
    with pytest.raises(discord.NotFound) as missing:
        await discord_http.get_channel(int(category["id"]))
    assert missing.value.code == 10003


async def test_channel_validation_is_a_form_error(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    with pytest.raises(discord.HTTPException) as bad:
        await discord_http.create_channel(emulator.guild.id, 0, name="x" * 101)
    assert bad.value.status == 400
    assert bad.value.code == 50035
    status, _, body = await raw(
        emulator,
        "POST",
        f"/guilds/{emulator.guild.id}/channels",
        json={"name": "nested", "type": 0, "parent_id": str(emulator.channel.id)},
    )
    assert status == 400
    assert body["errors"]["parent_id"]["_errors"][0]["code"] == "CHANNEL_PARENT_INVALID"


async def test_category_holds_at_most_its_limit(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    emulator.set_limits(emulator.guild.id, max_channels_per_category=2)
    await discord_http.create_channel(
        emulator.guild.id, 0, name="second", parent_id=emulator.category.id
    )
    with pytest.raises(discord.HTTPException) as full:
        await discord_http.create_channel(
            emulator.guild.id, 0, name="third", parent_id=emulator.category.id
        )
    assert full.value.code == 50035


async def test_unknown_things_answer_in_discords_shape(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    with pytest.raises(discord.NotFound) as channel:
        await discord_http.get_channel(123)
    assert channel.value.code == 10003
    with pytest.raises(discord.NotFound) as message:
        await discord_http.get_message(emulator.channel.id, 123)
    assert message.value.code == 10008
    with pytest.raises(discord.NotFound) as member:
        await discord_http.get_member(emulator.guild.id, 123)
    assert member.value.code == 10007
    status, _, body = await raw(emulator, "GET", "/no/such/route")
    assert (status, body) == (404, {"message": "404: Not Found", "code": 0})
    status, _, body = await raw(
        emulator,
        "POST",
        f"/channels/{emulator.channel.id}/messages",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert (status, body["code"]) == (400, 50109)


async def test_a_guild_the_bot_is_not_in_is_missing_access(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    private = emulator.create_guild("Elsewhere", member_ids=[])
    with pytest.raises(discord.Forbidden) as forbidden:
        await discord_http.get_guild(private.id)
    assert forbidden.value.code == 50001


async def test_members_and_roles(emulator: Emulator, discord_http: discord.http.HTTPClient) -> None:
    role = emulator.create_role(emulator.guild.id, "Viewers")
    await discord_http.add_role(emulator.guild.id, emulator.person.id, role.id)
    member = await discord_http.get_member(emulator.guild.id, emulator.person.id)
    assert member["roles"] == [str(role.id)]
    listed = await discord_http.get_members(emulator.guild.id, limit=10, after=None)
    assert {m["user"]["id"] for m in listed} == {str(emulator.bot.id), str(emulator.person.id)}
    roles = await discord_http.get_roles(emulator.guild.id)
    assert str(role.id) in {r["id"] for r in roles}


def _state(http: discord.http.HTTPClient) -> discord.state.ConnectionState:
    return discord.state.ConnectionState(
        dispatch=lambda *a: None,
        handlers={},
        hooks={},
        http=http,
        intents=discord.Intents.default(),
    )


async def test_channel_positions_move_in_bulk(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    other = emulator.create_channel(emulator.guild.id, "second")
    await discord_http.bulk_channel_update(
        emulator.guild.id,
        [{"id": other.id, "position": 0}, {"id": emulator.channel.id, "position": 1}],
    )
    channels = {
        c["id"]: c["position"] for c in await discord_http.get_all_guild_channels(emulator.guild.id)
    }
    assert (channels[str(other.id)], channels[str(emulator.channel.id)]) == (0, 1)
