"""Small helpers shared by the emulator tests."""

from __future__ import annotations

import asyncio
import io
import json
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
import discord
import discord.http

from tests.discord_emulator import Emulator


def files(*named: tuple[str, bytes]) -> list[discord.File]:
    return [discord.File(io.BytesIO(data), filename=name) for name, data in named]


async def send(
    http: discord.http.HTTPClient,
    channel_id: int,
    content: str | None = None,
    *,
    attachments: Sequence[tuple[str, bytes]] = (),
    nonce: str | None = None,
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


async def raw(
    emulator: Emulator, method: str, path: str, *, token: str | None = None, **kwargs: Any
) -> tuple[int, dict[str, str], Any]:
    """A request without discord.py in the way: (status, headers, JSON or text body)."""
    headers = {"Authorization": f"Bot {token or emulator.token}"}
    headers.update(kwargs.pop("headers", {}))
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, emulator.api_base + path, headers=headers, **kwargs) as response,
    ):
        body: Any = await response.read()
        if response.headers.get("Content-Type") == "application/json":
            body = json.loads(body)
        return response.status, dict(response.headers), body


async def download(url: str, **kwargs: Any) -> tuple[int, bytes, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(url, **kwargs) as response:
        return response.status, await response.read(), dict(response.headers)


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` holds (polling), or fail after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


class RawGateway:
    """A bare gateway client (no discord.py) to see frames and close codes as sent."""

    def __init__(
        self, emulator: Emulator, query: str = "v=10&encoding=json&compress=zlib-stream"
    ) -> None:
        self.url = f"{emulator.gateway_url}?{query}"
        self.inflator = zlib.decompressobj()
        self.buffer = bytearray()
        self.frame_types: list[aiohttp.WSMsgType] = []

    async def __aenter__(self) -> RawGateway:
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()
        await self.session.close()

    async def receive(self, timeout: float = 5.0) -> dict[str, Any] | int:
        """The next payload, or the close code once the server closes."""
        while True:
            message = await self.ws.receive(timeout=timeout)
            self.frame_types.append(message.type)
            if message.type == aiohttp.WSMsgType.TEXT:
                return dict(json.loads(message.data))
            if message.type == aiohttp.WSMsgType.BINARY:
                self.buffer.extend(message.data)
                if self.buffer[-4:] == b"\x00\x00\xff\xff":
                    text = self.inflator.decompress(bytes(self.buffer))
                    self.buffer.clear()
                    return dict(json.loads(text))
                continue
            return self.ws.close_code or 0

    async def until_closed(self, timeout: float = 5.0) -> int:
        while True:
            received = await self.receive(timeout)
            if isinstance(received, int):
                return received

    async def send(self, op: int, data: Any) -> None:
        await self.ws.send_str(json.dumps({"op": op, "d": data}))

    async def identify(self, token: str, intents: int = 1 | 512 | 32768) -> None:
        await self.send(
            2,
            {
                "token": token,
                "intents": intents,
                "properties": {"os": "linux", "browser": "raw", "device": "raw"},
            },
        )
