"""Small helpers shared by the emulator tests."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import aiohttp
import discord
import discord.http

from tests.discord_emulator import Emulator


def files(*named: tuple[str, bytes]) -> list[discord.File]:
    return [discord.File(io.BytesIO(data), filename=name) for name, data in named]


async def send(http: discord.http.HTTPClient, channel_id: int, content: str | None = None, *,
               attachments: Sequence[tuple[str, bytes]] = (), nonce: str | None = None
               ) -> dict[str, Any]:
    """POST a message through discord.py's own request building (multipart when files)."""
    kwargs: dict[str, Any] = {}
    if content is not None:
        kwargs["content"] = content
    if attachments:
        kwargs["files"] = files(*attachments)
    if nonce is not None:
        kwargs["nonce"] = nonce
    with discord.http.handle_message_parameters(**kwargs) as params:
        return await http.send_message(channel_id, params=params)


async def raw(emulator: Emulator, method: str, path: str, *, token: str | None = None,
              **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    """A request without discord.py in the way: (status, headers, JSON or text body)."""
    headers = {"Authorization": f"Bot {token or emulator.token}"}
    headers.update(kwargs.pop("headers", {}))
    async with aiohttp.ClientSession() as session, session.request(
        method, emulator.api_base + path, headers=headers, **kwargs
    ) as response:
        body: Any = await response.read()
        if response.headers.get("Content-Type") == "application/json":
            body = json.loads(body)
        return response.status, dict(response.headers), body


async def download(url: str, **kwargs: Any) -> tuple[int, bytes, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(url, **kwargs) as response:
        return response.status, await response.read(), dict(response.headers)
