"""History pagination and bulk delete."""

from __future__ import annotations

import datetime as dt

import discord
import discord.http
import pytest

from tests.discord_emulator import Emulator

from .helpers import raw


@pytest.fixture(autouse=True)
def _quick_bulk_bucket(emulator: Emulator) -> None:
    """Discord allows about one bulk delete a second; these tests do several."""
    emulator.set_bucket("bulk_delete", 10, 1.0)


def _post(emulator: Emulator, count: int) -> list[int]:
    return [
        emulator.post_message(emulator.channel.id, emulator.person.id, f"m{i}").id
        for i in range(count)
    ]


def _ids(data: list[dict[str, object]]) -> list[int]:
    return [int(str(m["id"])) for m in data]


async def test_history_is_newest_first_with_default_limit_50(emulator: Emulator) -> None:
    ids = _post(emulator, 60)
    status, _, body = await raw(emulator, "GET", f"/channels/{emulator.channel.id}/messages")
    assert status == 200
    assert _ids(body) == list(reversed(ids))[:50]


async def test_before_after_around(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    ids = _post(emulator, 20)
    channel = emulator.channel.id
    before = await discord_http.logs_from(channel, 5, before=ids[10])
    assert _ids(before) == [ids[9], ids[8], ids[7], ids[6], ids[5]]
    after = await discord_http.logs_from(channel, 5, after=ids[10])
    assert _ids(after) == [ids[15], ids[14], ids[13], ids[12], ids[11]]
    around = await discord_http.logs_from(channel, 5, around=ids[10])
    assert _ids(around) == [ids[12], ids[11], ids[10], ids[9], ids[8]]
    newest = await discord_http.logs_from(channel, 3)
    assert _ids(newest) == [ids[19], ids[18], ids[17]]


async def test_discord_py_history_walks_every_page(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    ids = _post(emulator, 230)
    channel = discord_client.get_channel(emulator.channel.id)
    assert isinstance(channel, discord.TextChannel)
    newest_first = [m.id async for m in channel.history(limit=None)]
    assert newest_first == list(reversed(ids))
    oldest_first = [
        m.id async for m in channel.history(limit=None, after=discord.Object(0), oldest_first=True)
    ]
    assert oldest_first == ids


@pytest.mark.parametrize("limit", ["0", "101", "many"])
async def test_limit_out_of_range_is_a_form_error(emulator: Emulator, limit: str) -> None:
    status, _, body = await raw(
        emulator, "GET", f"/channels/{emulator.channel.id}/messages", params={"limit": limit}
    )
    assert status == 400
    assert body["code"] == 50035
    assert body["message"] == "Invalid Form Body"
    assert "limit" in body["errors"]


async def test_bulk_delete(emulator: Emulator, discord_http: discord.http.HTTPClient) -> None:
    ids = _post(emulator, 5)
    unknown = discord.utils.time_snowflake(dt.datetime.now(dt.UTC))  # counts, is ignored
    await discord_http.delete_messages(emulator.channel.id, [ids[0], ids[1], unknown])
    left = [m.id for m in emulator.messages(emulator.channel.id)]
    assert left == ids[2:]


@pytest.mark.parametrize("count", [1, 101])
async def test_bulk_delete_takes_2_to_100_ids(
    emulator: Emulator, discord_http: discord.http.HTTPClient, count: int
) -> None:
    ids = _post(emulator, 2)
    wanted = ids[:1] if count == 1 else [*ids, *range(1, count - 1)]
    with pytest.raises(discord.HTTPException) as bad:
        await discord_http.delete_messages(emulator.channel.id, wanted)
    assert (bad.value.status, bad.value.code) == (400, 50035)
    assert len(emulator.messages(emulator.channel.id)) == 2


async def test_bulk_delete_refuses_duplicates_and_old_messages(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    ids = _post(emulator, 2)
    with pytest.raises(discord.HTTPException) as duplicates:
        await discord_http.delete_messages(emulator.channel.id, [ids[0], ids[0]])
    assert duplicates.value.code == 50035
    old = emulator.post_message(
        emulator.channel.id,
        emulator.person.id,
        "old",
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=15),
    )
    with pytest.raises(discord.HTTPException) as too_old:
        await discord_http.delete_messages(emulator.channel.id, [ids[0], old.id])
    assert too_old.value.code == 50034
    assert len(emulator.messages(emulator.channel.id)) == 3
