"""Rate limits: headers, 429 shape, per-route buckets, the global limit, storms, bans."""

from __future__ import annotations

import asyncio

import discord
import discord.http
import pytest

from tests.discord_emulator import Emulator
from tests.discord_emulator.fixtures import logged_in_http

from .helpers import raw, send

MESSAGES = "POST /channels/{channel_id}/messages"


async def test_every_answer_carries_rate_limit_headers(emulator: Emulator) -> None:
    for path in ("/users/@me", f"/channels/{emulator.channel.id}", "/channels/1"):
        _, headers, _ = await raw(emulator, "GET", path)
        for name in ("Limit", "Remaining", "Reset", "Reset-After", "Bucket"):
            assert f"X-RateLimit-{name}" in headers, (path, name)
        assert headers["Via"]
    _, first, _ = await raw(emulator, "GET", f"/channels/{emulator.channel.id}")
    _, other, _ = await raw(emulator, "GET", f"/channels/{emulator.category.id}")
    assert first["X-RateLimit-Bucket"] == other["X-RateLimit-Bucket"]


async def test_route_429_has_discords_shape(emulator: Emulator) -> None:
    emulator.set_bucket("message_create", 1, 10.0)
    path = f"/channels/{emulator.channel.id}/messages"
    status, headers, _ = await raw(emulator, "POST", path, json={"content": "one"})
    assert (status, headers["X-RateLimit-Remaining"]) == (200, "0")
    status, headers, body = await raw(emulator, "POST", path, json={"content": "two"})
    assert status == 429
    assert body["global"] is False
    assert 9.0 < body["retry_after"] <= 10.0
    assert body["message"] == "You are being rate limited."
    assert headers["X-RateLimit-Scope"] == "user"
    assert headers["Retry-After"] == "10"
    assert "X-RateLimit-Global" not in headers
    other = emulator.create_channel(emulator.guild.id, "elsewhere")
    status, _, _ = await raw(
        emulator,
        "POST",
        f"/channels/{other.id}/messages",
        json={"content": "own bucket per channel"},
    )
    assert status == 200
    assert emulator.counters()["invalid_requests"] == 1


async def test_a_burst_from_two_clients_waits_and_lands(emulator: Emulator) -> None:
    emulator.set_bucket("message_create", 3, 0.25)
    channel = emulator.channel.id
    async with logged_in_http(emulator.token) as web, logged_in_http(emulator.token) as worker:
        sends = [
            send(http, channel, f"{name}-{i}")
            for name, http in (("web", web), ("worker", worker))
            for i in range(5)
        ]
        results = await asyncio.gather(*sends)
    assert len({r["id"] for r in results}) == 10
    counters = emulator.counters()
    assert counters["rate_limited"].get("user", 0) > 0
    landed = sorted(m.content for m in emulator.messages(channel))
    assert landed == sorted(f"{n}-{i}" for n in ("web", "worker") for i in range(5))


async def test_the_global_limit(emulator: Emulator, discord_http: discord.http.HTTPClient) -> None:
    channels = [emulator.create_channel(emulator.guild.id, f"c{i}").id for i in range(12)]
    emulator.set_global_limit(5, 0.3)
    results = await asyncio.gather(*(discord_http.get_channel(c) for c in channels))
    assert [int(r["id"]) for r in results] == channels
    assert emulator.counters()["rate_limited"]["global"] > 0


async def test_global_429_shape(emulator: Emulator) -> None:
    emulator.set_global_limit(1, 5.0)
    await raw(emulator, "GET", "/users/@me")
    status, headers, body = await raw(emulator, "GET", "/users/@me")
    assert status == 429
    assert body["global"] is True
    assert headers["X-RateLimit-Global"] == "true"
    assert headers["X-RateLimit-Scope"] == "global"
    assert int(headers["Retry-After"]) >= 1


async def test_a_forced_storm_on_a_route_is_survived(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    storm = emulator.faults.rate_limit_storm(count=3, route=MESSAGES, retry_after=0.05)
    message = await send(discord_http, emulator.channel.id, "through the storm")
    assert message["content"] == "through the storm"
    assert storm.fired == 3
    assert emulator.counters()["rate_limited"]["forced"] == 3


async def test_a_timed_global_storm_is_survived(
    emulator: Emulator, discord_http: discord.http.HTTPClient
) -> None:
    emulator.faults.rate_limit_storm(duration=0.2, is_global=True, retry_after=0.1)
    results = await asyncio.gather(
        *(discord_http.get_channel(emulator.channel.id) for _ in range(3))
    )
    assert all(r["id"] == str(emulator.channel.id) for r in results)
    assert emulator.counters()["rate_limited"]["forced"] >= 1


async def test_invalid_requests_are_counted_and_end_in_a_ban(emulator: Emulator) -> None:
    elsewhere = emulator.create_guild("Elsewhere", member_ids=[])
    emulator.set_bucket("message_create", 1, 30.0)
    await raw(emulator, "GET", "/users/@me", token="wrong")  # 401
    await raw(emulator, "GET", f"/guilds/{elsewhere.id}")  # 403
    path = f"/channels/{emulator.channel.id}/messages"
    await raw(emulator, "POST", path, json={"content": "ok"})
    await raw(emulator, "POST", path, json={"content": "429"})  # 429
    assert emulator.counters()["invalid_requests"] == 3
    emulator.set_invalid_request_limit(4, ban_seconds=60)
    await raw(emulator, "GET", "/users/@me", token="wrong")
    with pytest.raises(discord.HTTPException) as banned:
        async with logged_in_http(emulator.token):
            pass
    assert banned.value.status == 429
    assert emulator.counters()["rate_limited"]["cloudflare"] == 1  # raised, not retried
