"""Messages: files round trip, upload limits, content rules, edit, delete, nonce."""

from __future__ import annotations

import hashlib
import io

import aiohttp
import discord
import discord.http
import pytest

from tests.discord_emulator import Emulator
from tests.discord_emulator.fixtures import logged_in_http

from .helpers import download, raw, send

MIB = 1024 * 1024


async def test_files_round_trip_through_the_cdn(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    parts = [("part 0.bin", bytes(range(256)) * 40), ("part1.bin", b"\x00" * 7)]
    message = await send(discord_http, emulator.channel.id, "two parts", attachments=parts)
    attachments = message["attachments"]
    assert [a["filename"] for a in attachments] == ["part_0.bin", "part1.bin"]
    assert [a["size"] for a in attachments] == [len(parts[0][1]), len(parts[1][1])]
    for attachment, (_, data) in zip(attachments, parts, strict=True):
        status, body, _ = await download(attachment["url"])
        assert status == 200
        assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
    counters = emulator.counters()
    assert counters["bytes_uploaded"] == sum(len(d) for _, d in parts)
    assert counters["cdn_fetches"][attachments[0]["id"]] == 1


async def test_message_payload_builds_a_discord_py_message(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    channel = discord_client.get_channel(emulator.channel.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("hello", file=discord.File(io.BytesIO(b"abc"), "a.txt"))
    fetched = await channel.fetch_message(sent.id)
    assert fetched.content == "hello"
    assert fetched.attachments[0].filename == "a.txt"
    assert await fetched.attachments[0].read() == b"abc"
    assert discord.utils.snowflake_time(fetched.id) == fetched.created_at


async def test_ten_mib_exactly_is_accepted_and_one_byte_more_is_not(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    exact = await send(
        discord_http, emulator.channel.id, attachments=[("exact.bin", b"\x01" * (10 * MIB))]
    )
    assert exact["attachments"][0]["size"] == 10 * MIB
    with pytest.raises(discord.HTTPException) as too_big:
        await send(
            discord_http, emulator.channel.id, attachments=[("over.bin", b"\x01" * (10 * MIB + 1))]
        )
    assert too_big.value.status == 413
    assert too_big.value.code == 40005
    assert len(emulator.messages(emulator.channel.id)) == 1


async def test_boosted_guild_takes_bigger_files(
    emulator: Emulator, discord_http: discord.http.HTTPClient, discord_client: discord.Client
) -> None:
    boosted = emulator.create_guild("Boosted", premium_tier=2)
    channel = emulator.create_channel(boosted.id, "parts")
    message = await send(
        discord_http, channel.id, attachments=[("big.bin", b"\x02" * (10 * MIB + 1))]
    )
    assert message["attachments"][0]["size"] == 10 * MIB + 1
    guild = discord_client.get_guild(boosted.id)
    assert guild is not None
    assert guild.filesize_limit == 50 * MIB


async def test_per_guild_limits_are_settable(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    emulator.set_limits(emulator.guild.id, attachment_bytes=1000, request_bytes=5000)
    await send(discord_http, emulator.channel.id, attachments=[("ok.bin", b"a" * 1000)])
    with pytest.raises(discord.HTTPException) as one_file:
        await send(discord_http, emulator.channel.id, attachments=[("no.bin", b"a" * 1001)])
    assert (one_file.value.status, one_file.value.code) == (413, 40005)
    many = [(f"p{i}.bin", b"b" * 900) for i in range(6)]
    with pytest.raises(discord.HTTPException) as whole:
        await send(discord_http, emulator.channel.id, attachments=many)
    assert (whole.value.status, whole.value.code) == (413, 40005)


async def test_eleven_attachments_are_refused(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    ten = [(f"f{i}.bin", b"x") for i in range(10)]
    assert (
        len((await send(discord_http, emulator.channel.id, attachments=ten))["attachments"]) == 10
    )
    with pytest.raises(discord.HTTPException) as eleven:
        await send(discord_http, emulator.channel.id, attachments=[*ten, ("f10.bin", b"x")])
    assert eleven.value.code == 30015


async def test_content_is_at_most_2000_characters(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    await send(discord_http, emulator.channel.id, "é" * 2000)
    with pytest.raises(discord.HTTPException) as long:
        await send(discord_http, emulator.channel.id, "a" * 2001)
    assert (long.value.status, long.value.code) == (400, 50035)
    status, _, body = await raw(
        emulator, "POST", f"/channels/{emulator.channel.id}/messages", json={"content": "a" * 2001}
    )
    assert status == 400
    assert body["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"


async def test_empty_message_is_refused(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    with pytest.raises(discord.HTTPException) as empty:
        await send(discord_http, emulator.channel.id, "")
    assert empty.value.code == 50006


async def test_attachment_ids_must_match_uploaded_files(emulator: Emulator) -> None:
    form = aiohttp.FormData(quote_fields=False)
    form.add_field("payload_json", '{"attachments": [{"id": 3, "filename": "x.bin"}]}')
    form.add_field("files[0]", b"data", filename="x.bin")
    status, _, body = await raw(
        emulator, "POST", f"/channels/{emulator.channel.id}/messages", data=form
    )
    assert (status, body["code"]) == (400, 50035)
    assert "attachments" in body["errors"]
    form = aiohttp.FormData(quote_fields=False)
    form.add_field(
        "payload_json",
        '{"attachments": [{"id": 0, "filename": "renamed.bin", "description": "d"}]}',
    )
    form.add_field("files[0]", b"data", filename="x.bin")
    status, _, body = await raw(
        emulator, "POST", f"/channels/{emulator.channel.id}/messages", data=form
    )
    assert status == 200
    assert body["attachments"][0]["filename"] == "renamed.bin"
    assert body["attachments"][0]["description"] == "d"


async def test_messages_cannot_go_to_a_category(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    with pytest.raises(discord.HTTPException) as category:
        await send(discord_http, emulator.category.id, "hi")
    assert category.value.code == 50008


async def test_edit_and_delete(emulator: Emulator, discord_http: discord.http.HTTPClient) -> None:
    sent = await send(
        discord_http, emulator.channel.id, "v1", attachments=[("a.bin", b"a"), ("b.bin", b"b")]
    )
    keep = sent["attachments"][1]
    edited = await discord_http.edit_message(
        emulator.channel.id,
        int(sent["id"]),
        params=_params({"content": "v2", "attachments": [{"id": keep["id"]}]}),
    )
    assert edited["content"] == "v2"
    assert edited["edited_timestamp"] is not None
    assert [a["id"] for a in edited["attachments"]] == [keep["id"]]
    dropped_url = sent["attachments"][0]["url"]
    assert (await download(dropped_url))[0] == 404
    person = emulator.post_message(emulator.channel.id, emulator.person.id, "mine")
    with pytest.raises(discord.Forbidden) as not_author:
        await discord_http.edit_message(
            emulator.channel.id, person.id, params=_params({"content": "hijack"})
        )
    assert not_author.value.code == 50005
    await discord_http.delete_message(emulator.channel.id, int(sent["id"]))
    with pytest.raises(discord.NotFound):
        await discord_http.get_message(emulator.channel.id, int(sent["id"]))
    assert (await download(keep["url"]))[0] == 404


async def test_enforced_nonce_deduplicates_a_retried_send(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    first = await send(discord_http, emulator.channel.id, "once", nonce="part-7")
    again = await send(discord_http, emulator.channel.id, "once", nonce="part-7")
    assert first["id"] == again["id"]
    assert first["nonce"] == "part-7"
    assert len(emulator.messages(emulator.channel.id)) == 1


def _params(payload: dict[str, object]) -> discord.http.MultipartParameters:
    return discord.http.MultipartParameters(payload=payload, multipart=None, files=None)


async def test_rest_hides_content_when_the_app_lacks_the_intent(emulator: Emulator) -> None:
    plain = emulator.create_user("Plain", bot=True, token="plain", privileged_intents=0)
    emulator.add_member(emulator.guild.id, plain.id)
    theirs = emulator.post_message(
        emulator.channel.id, emulator.person.id, "private", files=[("a.bin", b"a")]
    )
    async with logged_in_http("plain") as http:
        seen = await http.get_message(emulator.channel.id, theirs.id)
        own = await send(http, emulator.channel.id, "own words")
    assert (seen["content"], seen["attachments"]) == ("", [])
    assert own["content"] == "own words"


async def test_buckets_can_be_sized_in_the_config() -> None:
    with Emulator(buckets={"message_create": (50, 1.0)}) as emulator:
        status, headers, _ = await raw(
            emulator, "POST", f"/channels/{emulator.channel.id}/messages", json={"content": "x"}
        )
    assert (status, headers["X-RateLimit-Limit"]) == (200, "50")


async def test_edit_adds_files_through_multipart(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    channel = discord_client.get_channel(emulator.channel.id)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("v1", file=discord.File(io.BytesIO(b"one"), "one.bin"))
    edited = await message.edit(
        content="v2",
        attachments=[message.attachments[0], discord.File(io.BytesIO(b"two"), "two.bin")],
    )
    assert [a.filename for a in edited.attachments] == ["one.bin", "two.bin"]
    assert [await a.read() for a in edited.attachments] == [b"one", b"two"]
