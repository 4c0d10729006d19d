"""Injected faults: 5xx retried by discord.py, dropped connections, latency, bad CDN bodies."""

from __future__ import annotations

import hashlib

import aiohttp
import discord
import discord.http
import pytest

from tests.discord_emulator import Emulator

from .helpers import download, raw, send

MESSAGES = "POST /channels/{channel_id}/messages"
DATA = bytes(range(256)) * 64


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_are_retried_by_discord_py(
    emulator: Emulator, discord_http: discord.http.HTTPClient, status: int
) -> None:
    fault = emulator.faults.server_errors(statuses=(status,), count=1, route=MESSAGES)
    message = await send(discord_http, emulator.channel.id, "after a hiccup")
    assert fault.fired == 1
    assert emulator.counters()["responses_by_status"][str(status)] == 1
    assert [m.id for m in emulator.messages(emulator.channel.id)] == [int(message["id"])]


async def test_random_errors_repeat_with_the_seed() -> None:
    runs = []
    for _ in range(2):
        with Emulator(seed=7) as emulator:
            emulator.faults.server_errors(
                statuses=(500, 502), probability=0.3, count=None, route="GET /users/@me"
            )
            runs.append([(await raw(emulator, "GET", "/users/@me"))[0] for _ in range(40)])
    assert runs[0] == runs[1]
    assert {200, 500, 502} <= set(runs[0])


async def test_a_connection_dropped_before_handling_changes_nothing(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    emulator.faults.drop_connections(when="before", route=MESSAGES)
    with pytest.raises(aiohttp.ClientError):
        await send(discord_http, emulator.channel.id, "lost")
    assert emulator.messages(emulator.channel.id) == []
    assert (await send(discord_http, emulator.channel.id, "next"))["content"] == "next"


async def test_a_connection_dropped_mid_answer_still_created_the_message(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    emulator.faults.drop_connections(when="after", route=MESSAGES)
    with pytest.raises(aiohttp.ClientError):
        await send(discord_http, emulator.channel.id, "maybe", nonce="part-1")
    assert [m.content for m in emulator.messages(emulator.channel.id)] == ["maybe"]
    retried = await send(discord_http, emulator.channel.id, "maybe", nonce="part-1")
    assert [m.id for m in emulator.messages(emulator.channel.id)] == [int(retried["id"])]


async def test_latency_is_added(emulator: Emulator, discord_http: discord.http.HTTPClient) -> None:
    slow = emulator.faults.latency(0.2, route="GET /channels/{channel_id}", count=1)
    channel = await discord_http.get_channel(emulator.channel.id)
    assert channel["id"] == str(emulator.channel.id)
    assert slow.fired == 1


async def _attachment_url(emulator: Emulator) -> tuple[int, str]:
    message = emulator.post_message(
        emulator.channel.id, emulator.person.id, files=[("data.bin", DATA)]
    )
    attachment = message.attachments[0]
    return attachment.id, emulator.attachment_urls(attachment.id)[0]


async def test_truncated_cdn_body_is_detectable_by_size(emulator: Emulator) -> None:
    attachment_id, url = await _attachment_url(emulator)
    emulator.faults.cdn_truncate(attachment_id=attachment_id)
    status, body, headers = await download(url)
    assert status == 200
    assert int(headers["Content-Length"]) == len(body) < len(DATA)
    assert (await download(url))[1] == DATA


async def test_corrupted_cdn_body_is_detectable_by_hash(emulator: Emulator) -> None:
    attachment_id, url = await _attachment_url(emulator)
    emulator.faults.cdn_corrupt(attachment_id=attachment_id)
    status, body, _ = await download(url)
    assert (status, len(body)) == (200, len(DATA))
    assert hashlib.sha256(body).digest() != hashlib.sha256(DATA).digest()
    assert emulator.counters()["faults_fired"]["cdn_corrupt"] == 1


async def test_cdn_connection_dropped_mid_body(emulator: Emulator) -> None:
    _, url = await _attachment_url(emulator)
    emulator.faults.cdn_drop()
    with pytest.raises(aiohttp.ClientPayloadError):
        await download(url)
    assert (await download(url))[1] == DATA


async def test_cdn_server_errors(emulator: Emulator) -> None:
    _, url = await _attachment_url(emulator)
    emulator.faults.server_errors(statuses=(502,), route="CDN")
    assert (await download(url))[0] == 502
    assert (await download(url))[0] == 200
