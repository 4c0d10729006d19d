"""The emulator as a subprocess, driven over ``/_emulator/`` as other processes would."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import discord
import discord.http
import pytest

from tests.discord_emulator.fixtures import logged_in_http

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def standalone() -> AsyncIterator[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.discord_emulator",
        "--port",
        "0",
        "--seed",
        "3",
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        yield json.loads(line)
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0


async def _call(
    session: aiohttp.ClientSession, info: dict[str, Any], path: str, **body: Any
) -> Any:
    async with session.post(f"{info['base_url']}/_emulator/{path}", json=body) as response:
        data = await response.json()
        assert response.status == 200, data
        return data["result"]


async def test_drive_a_subprocess_emulator(standalone: dict[str, Any]) -> None:
    info = standalone
    old_base = discord.http.Route.BASE
    discord.http.Route.BASE = info["api_base"]
    try:
        async with aiohttp.ClientSession() as session, logged_in_http(info["token"]) as http:
            posted = await _call(
                session,
                info,
                "call/post_message",
                channel_id=info["channel_id"],
                author_id=info["person_id"],
                content="from alice",
                files=[{"filename": "a.bin", "data_b64": base64.b64encode(b"abc").decode()}],
            )
            fetched = await http.get_message(int(info["channel_id"]), int(posted["id"]))
            assert fetched["content"] == "from alice"
            assert fetched["author"]["id"] == info["person_id"]
            await _call(session, info, "call/set_premium_tier", guild_id=info["guild_id"], tier=2)
            guild = await http.get_guild(int(info["guild_id"]))
            assert guild["premium_tier"] == 2
            await _call(
                session,
                info,
                "faults/server_errors",
                statuses=[502],
                count=1,
                route="GET /users/@me",
            )
            async with session.get(
                f"{info['api_base']}/users/@me", headers={"Authorization": f"Bot {info['token']}"}
            ) as r:
                assert r.status == 502
            async with session.get(f"{info['base_url']}/_emulator/counters") as response:
                counters = await response.json()
            assert counters["responses_by_status"]["502"] == 1
            assert counters["bytes_uploaded"] == 3
    finally:
        discord.http.Route.BASE = old_base
