"""The gateway protocol seen frame by frame, without discord.py: opcodes and close codes."""

from __future__ import annotations

import aiohttp
import pytest

from tests.discord_emulator import Emulator

from .helpers import RawGateway


async def _hello(gateway: RawGateway) -> dict[str, object]:
    hello = await gateway.receive()
    assert isinstance(hello, dict)
    assert hello["op"] == 10
    return hello


async def test_handshake_over_zlib_stream(emulator: Emulator) -> None:
    async with RawGateway(emulator) as gateway:
        hello = await _hello(gateway)
        assert hello["d"]["heartbeat_interval"] == 41_250  # type: ignore[index]
        await gateway.send(1, None)
        assert await gateway.receive() == {"op": 11, "d": None, "s": None, "t": None}
        await gateway.identify(emulator.token)
        ready = await gateway.receive()
        assert isinstance(ready, dict)
        assert (ready["op"], ready["t"], ready["s"]) == (0, "READY", 1)
        data = ready["d"]
        assert data["session_id"] and data["resume_gateway_url"] == emulator.gateway_url
        assert data["guilds"] == [{"id": str(emulator.guild.id), "unavailable": True}]
        guild = await gateway.receive()
        assert isinstance(guild, dict)
        assert (guild["t"], guild["s"]) == ("GUILD_CREATE", 2)
        assert guild["d"]["unavailable"] is False
        assert len(guild["d"]["members"]) == 1  # only the bot without GUILD_PRESENCES
        assert guild["d"]["member_count"] == 2
    assert set(gateway.frame_types[:4]) == {aiohttp.WSMsgType.BINARY}


async def test_without_compression_frames_are_text(emulator: Emulator) -> None:
    async with RawGateway(emulator, "v=10&encoding=json") as gateway:
        await _hello(gateway)
    assert gateway.frame_types[0] == aiohttp.WSMsgType.TEXT


async def test_missed_heartbeats_close_4009(emulator: Emulator) -> None:
    emulator.configure(heartbeat_interval_ms=100)
    async with RawGateway(emulator) as gateway:
        await _hello(gateway)
        await gateway.identify(emulator.token)
        assert await gateway.until_closed() == 4009
    assert emulator.sessions() == []  # 4009: start a new session


@pytest.mark.parametrize(
    ("payloads", "code"),
    [
        ([(2, {"token": "wrong", "intents": 513, "properties": {}})], 4004),
        ([(8, {"guild_id": "1", "query": "", "limit": 0})], 4003),
        ([(99, None)], 4001),
        ([(2, {"token": "TOKEN", "properties": {}})], 4013),
        ([(2, {"token": "TOKEN", "intents": 513, "properties": {}, "shard": [1, 1]})], 4010),
        (
            [
                (2, {"token": "TOKEN", "intents": 513, "properties": {}}),
                (2, {"token": "TOKEN", "intents": 513, "properties": {}}),
            ],
            4005,
        ),
    ],
    ids=[
        "bad token",
        "not identified",
        "unknown opcode",
        "no intents",
        "bad shard",
        "identified twice",
    ],
)
async def test_close_codes(
    emulator: Emulator, payloads: list[tuple[int, object]], code: int
) -> None:
    async with RawGateway(emulator) as gateway:
        await _hello(gateway)
        for op, data in payloads:
            if isinstance(data, dict) and data.get("token") == "TOKEN":
                data = {**data, "token": emulator.token}
            await gateway.send(op, data)
        assert await gateway.until_closed() == code


async def test_bad_json_and_bad_version(emulator: Emulator) -> None:
    async with RawGateway(emulator) as gateway:
        await _hello(gateway)
        await gateway.ws.send_str("{nope")
        assert await gateway.until_closed() == 4002
    async with RawGateway(emulator, "v=9&encoding=json") as gateway:
        assert await gateway.until_closed() == 4012


async def test_resume_of_an_unknown_session_is_invalid(emulator: Emulator) -> None:
    async with RawGateway(emulator) as gateway:
        await _hello(gateway)
        await gateway.send(6, {"token": emulator.token, "session_id": "nope", "seq": 3})
        assert await gateway.receive() == {"op": 9, "d": False, "s": None, "t": None}


async def test_resume_replays_exactly_the_missed_events(emulator: Emulator) -> None:
    async with RawGateway(emulator) as first:
        await _hello(first)
        await first.identify(emulator.token)
        ready = await first.receive()
        assert isinstance(ready, dict)
        session_id = ready["d"]["session_id"]
        await first.receive()  # GUILD_CREATE, s=2
    posted = [
        emulator.post_message(emulator.channel.id, emulator.person.id, f"m{i}").id for i in range(3)
    ]
    async with RawGateway(emulator) as second:
        await _hello(second)
        await second.send(6, {"token": emulator.token, "session_id": session_id, "seq": 2})
        replayed = [await second.receive() for _ in range(4)]
    assert [(p["t"], p["s"]) for p in replayed if isinstance(p, dict)] == [
        ("MESSAGE_CREATE", 3),
        ("MESSAGE_CREATE", 4),
        ("MESSAGE_CREATE", 5),
        ("RESUMED", 6),
    ]
    assert [int(p["d"]["id"]) for p in replayed[:3] if isinstance(p, dict)] == posted


async def test_gateway_payload_rate_limit(emulator: Emulator) -> None:
    emulator.configure(gateway_send_limit=3)
    async with RawGateway(emulator) as gateway:
        await _hello(gateway)
        await gateway.identify(emulator.token)
        for _ in range(3):
            await gateway.send(
                3, {"since": None, "activities": [], "status": "online", "afk": False}
            )
        assert await gateway.until_closed() == 4008
