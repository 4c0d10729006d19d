"""Reading objects over HTTP: a sync stream (``open``) and an async one (``stream``).

Used by the local backend when its folder is served by a web server
(``JUNEFS_LOCAL_BACKEND_URL``), and usable by any backend whose objects have
download URLs. A 404 is :class:`ObjectMissing`; anything else that goes wrong
is :class:`BackendError` (a retry may fix it).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import AsyncGenerator
from typing import BinaryIO, cast

import aiohttp

from junefs.errors import BackendError, ObjectMissing

TIMEOUT = 30.0
#: How much aiohttp may buffer per response before it stops reading the socket
#: (its default, 64 KiB, makes a 10 MiB part cost ~160 reads on the event loop).
#: Every CDN and peer download of the project uses it.
READ_BUFFER = 4 * 1024 * 1024


def open_url(url: str, *, timeout: float = TIMEOUT) -> BinaryIO:
    if not url.startswith(("http://", "https://")):
        raise BackendError(f"not an http(s) URL: {url!r}")
    try:
        return cast(BinaryIO, urllib.request.urlopen(url, timeout=timeout))  # noqa: S310
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise ObjectMissing(f"{url} answered 404") from None
        raise BackendError(f"{url} answered {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise BackendError(f"{url}: {exc}") from exc


async def body_chunks(
    response: aiohttp.ClientResponse, chunk_size: int
) -> AsyncGenerator[bytes, None]:
    """A response body as it arrives, in pieces of at most ``chunk_size``.

    Pieces are handed on as the socket delivered them (asyncio reads up to
    256 KiB at a time), not joined into ``chunk_size`` blocks as
    ``iter_chunked`` does: one copy less per byte.
    """
    async for data, _ in response.content.iter_chunks():
        if len(data) <= chunk_size:
            if data:
                yield data
            continue
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]


async def stream_url(
    url: str, *, chunk_size: int = 1024 * 1024, timeout: float = TIMEOUT
) -> AsyncGenerator[bytes, None]:
    client_timeout = aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout)
    try:
        async with (
            aiohttp.ClientSession(timeout=client_timeout, read_bufsize=READ_BUFFER) as session,
            session.get(url) as response,
        ):
            if response.status == 404:
                raise ObjectMissing(f"{url} answered 404")
            if response.status != 200:
                raise BackendError(f"{url} answered {response.status}")
            async for chunk in body_chunks(response, chunk_size):
                yield chunk
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise BackendError(f"{url}: {exc.__class__.__name__} {exc}") from exc
