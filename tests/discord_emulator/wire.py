"""Low-level answers: reading bodies with a size cap, and breaking connections on purpose."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import DiscordError

CHUNK = 256 * 1024


async def read_capped(request: web.Request, limit: int) -> bytes:
    """The whole body, or 413/40005 when it is longer than ``limit`` (after draining it)."""
    if request.content_length is not None and request.content_length > limit:
        await drain(request, limit)
        raise DiscordError.of(40005)
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(CHUNK):
        size += len(chunk)
        if size > limit:
            await drain(request, limit)
            raise DiscordError.of(40005)
        chunks.append(chunk)
    return b"".join(chunks)


async def drain(request: web.Request, limit: int) -> None:
    """Read and drop what the client is still sending, so it gets our answer, not a reset."""
    budget = limit * 4 + 4 * 1024 * 1024
    while budget > 0 and (chunk := await request.content.read(CHUNK)):
        budget -= len(chunk)


async def read_json(request: web.Request, limit: int = 1024 * 1024) -> Any:
    raw = await read_capped(request, limit)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise DiscordError.of(50109) from None


def drop_now(request: web.Request) -> None:
    """Close the TCP connection without an answer."""
    transport = request.transport
    if transport is not None:
        transport.abort()


async def send_then_drop(
    request: web.Request, response: web.Response, keep_fraction: float = 0.5
) -> web.StreamResponse:
    """Send ``response``'s headers (full Content-Length) and part of its body, then cut."""
    body = response.body if isinstance(response.body, bytes) else b""
    stream = web.StreamResponse(status=response.status, headers=response.headers)
    stream.content_length = len(body)
    await stream.prepare(request)
    keep = int(len(body) * keep_fraction)
    if keep:
        await stream.write(body[:keep])
    drop_now(request)
    return stream
