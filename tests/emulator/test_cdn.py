"""CDN: signed expiring URLs, tampering, refresh-urls, fresh URLs on fetch, Range, HEAD."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs, urlsplit

import aiohttp
import discord
import discord.http
import pytest

from tests.discord_emulator import Emulator

from .helpers import download, raw, send

DATA = bytes(range(256)) * 8


async def _upload(emulator: Emulator, http: discord.http.HTTPClient) -> dict[str, object]:
    message = await send(http, emulator.channel.id, attachments=[("clip.bin", DATA)])
    return message


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def test_url_has_discords_shape(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    message = await _upload(emulator, discord_http)
    attachment = message["attachments"][0]
    url = attachment["url"]
    path = urlsplit(url).path
    assert path == f"/attachments/{emulator.channel.id}/{attachment['id']}/clip.bin"
    assert url.endswith("&")
    query = _query(url)
    issued, expires = int(query["is"], 16), int(query["ex"], 16)
    assert expires - issued == 24 * 3600
    assert len(query["hm"]) == 64
    assert urlsplit(attachment["proxy_url"]).path == "/media" + path
    assert (await download(attachment["proxy_url"]))[1] == DATA


async def test_expired_url_is_404_and_a_refetch_gives_a_fresh_one(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    emulator.configure(cdn_url_ttl=1)
    message = await _upload(emulator, discord_http)
    url = message["attachments"][0]["url"]
    assert (await download(url))[0] == 200
    expires = int(_query(url)["ex"], 16)
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.05)
    status, body, _ = await download(url)
    assert (status, body) == (404, b"This content is no longer available.")
    emulator.configure(cdn_url_ttl=3600)
    fetched = await discord_http.get_message(emulator.channel.id, int(message["id"]))
    fresh = fetched["attachments"][0]["url"]
    assert fresh != url
    assert (await download(fresh))[1] == DATA
    history = await discord_http.logs_from(emulator.channel.id, 1)
    assert (await download(history[0]["attachments"][0]["url"]))[1] == DATA


async def test_urls_expire_by_the_emulator_clock(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    url = (await _upload(emulator, discord_http))["attachments"][0]["url"]
    emulator.advance_clock(24 * 3600 + 1)
    assert (await download(url))[0] == 404


@pytest.mark.parametrize("part", ["hm", "ex", "is", "path"])
async def test_tampered_url_is_404(
    emulator: Emulator, discord_http: discord.http.HTTPClient, part: str
) -> None:
    url = (await _upload(emulator, discord_http))["attachments"][0]["url"]
    query = _query(url)
    if part == "path":
        bad = url.replace("/clip.bin", "/other.bin")
    elif part == "hm":
        bad = url.replace(query["hm"], query["hm"][::-1])
    else:
        bad = url.replace(f"{part}={query[part]}", f"{part}={int(query[part], 16) + 3600:x}")
    assert (await download(bad))[0] == 404
    unsigned = url.split("?")[0]
    assert (await download(unsigned))[0] == 404


async def test_refresh_urls(emulator: Emulator, discord_http: discord.http.HTTPClient) -> None:
    url = (await _upload(emulator, discord_http))["attachments"][0]["url"]
    emulator.advance_clock(25 * 3600)
    assert (await download(url))[0] == 404
    status, _, body = await raw(
        emulator,
        "POST",
        "/attachments/refresh-urls",
        json={"attachment_urls": [url, "https://example.com/x"]},
    )
    assert status == 200
    assert [r["original"] for r in body["refreshed_urls"]] == [url]
    assert (await download(body["refreshed_urls"][0]["refreshed"]))[1] == DATA
    status, _, body = await raw(
        emulator, "POST", "/attachments/refresh-urls", json={"attachment_urls": [url] * 51}
    )
    assert (status, body["code"]) == (400, 50035)


async def test_deleted_message_takes_its_files(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    message = await _upload(emulator, discord_http)
    await discord_http.delete_message(emulator.channel.id, int(message["id"]))
    assert (await download(message["attachments"][0]["url"]))[0] == 404


async def test_range_and_head(emulator: Emulator, discord_http: discord.http.HTTPClient) -> None:
    url = (await _upload(emulator, discord_http))["attachments"][0]["url"]
    status, body, headers = await download(url, headers={"Range": "bytes=10-19"})
    assert (status, body) == (206, DATA[10:20])
    assert headers["Content-Range"] == f"bytes 10-19/{len(DATA)}"
    status, body, _ = await download(url, headers={"Range": "bytes=-5"})
    assert (status, body) == (206, DATA[-5:])
    status, body, _ = await download(url, headers={"Range": "bytes=2040-"})
    assert (status, body) == (206, DATA[2040:])
    status, _, headers = await download(url, headers={"Range": f"bytes={len(DATA)}-"})
    assert (status, headers["Content-Range"]) == (416, f"bytes */{len(DATA)}")
    async with aiohttp.ClientSession() as session, session.head(url) as head:
        assert head.status == 200
        assert head.headers["Content-Length"] == str(len(DATA))
        assert head.headers["Accept-Ranges"] == "bytes"
    assert emulator.counters()["cdn_fetches"][message_id_of(url)] == 4


async def test_discord_py_reads_attachments(
    emulator: Emulator, discord_client: discord.Client
) -> None:
    channel = discord_client.get_channel(emulator.channel.id)
    assert isinstance(channel, discord.TextChannel)
    posted = emulator.post_message(
        emulator.channel.id, emulator.person.id, files=[("photo.jpg", DATA)]
    )
    message = await channel.fetch_message(posted.id)
    assert message.attachments[0].content_type == "image/jpeg"
    assert await message.attachments[0].read() == DATA


def message_id_of(url: str) -> str:
    return urlsplit(url).path.split("/")[3]
