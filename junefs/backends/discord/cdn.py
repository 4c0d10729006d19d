"""Downloads from Discord's CDN as a blocking stream, pulled through the session's loop.

:class:`CdnReader` hands out the body of one attachment as it arrives, so a
part is never held whole in memory here. A connection that drops mid-body is
picked up where it stopped (``Range: bytes=N-``) within the retry budget. A
URL that answers 404 (expired, or the attachment is gone) is renewed once
through the ``refresh`` callback. A body that is short or altered is handed
on as it came: the caller checks size and sha256, and nothing here calls
bytes good.

:func:`stream_attachment` is the same download for async callers (the
content server): it runs on the caller's event loop with a connection pool
of that loop's own (:func:`loop_http`), so no byte crosses a thread on its
way from the socket to the caller, with the same resume, renewal and retry
rules.
"""

from __future__ import annotations

import asyncio
import io
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable

import aiohttp

from junefs.backends.discord.client import (
    CDN_TIMEOUT,
    DiscordNotFound,
    DiscordRefused,
    DiscordSession,
    DiscordUnavailable,
    RetryPolicy,
)
from junefs.backends.httpread import READ_BUFFER, body_chunks
from junefs.errors import ObjectMissing


class UrlGone(DiscordNotFound):
    """The CDN answered 404 or 403: the URL expired or the attachment is gone."""


_loop_http: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, tuple[aiohttp.ClientSession, AsyncGenerator[None, None]]
] = weakref.WeakKeyDictionary()


def new_http() -> aiohttp.ClientSession:
    """A CDN client session for the running loop."""
    return aiohttp.ClientSession(
        timeout=CDN_TIMEOUT, cookie_jar=aiohttp.DummyCookieJar(), read_bufsize=READ_BUFFER
    )


async def _closed_with_the_loop(http: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """Suspended for the loop's life; the loop's shutdown_asyncgens() closes the session."""
    try:
        yield
    finally:
        await http.close()


async def loop_http() -> aiohttp.ClientSession:
    """The running loop's CDN session: one connection pool per event loop.

    A web server runs one loop for its life, so downloads of consecutive parts
    reuse connections (on Discord: no new TLS handshake per part). The
    session ends with its loop: it is tied to an async generator started on
    that loop, which ``asyncio.run``, asgiref and uvicorn finalise
    (``shutdown_asyncgens``) before they close it. Sessions of loops closed
    without that are let go without touching their loop.
    """
    loop = asyncio.get_running_loop()
    held = _loop_http.get(loop)
    if held is not None and not held[0].closed:
        return held[0]
    for other, (old, _) in list(_loop_http.items()):
        if other.is_closed():
            old.detach()
            del _loop_http[other]
    http = new_http()
    keeper = _closed_with_the_loop(http)
    await keeper.__anext__()
    _loop_http[loop] = (http, keeper)  # the loop only keeps a weak reference to it
    return http


async def close_loop_http() -> None:
    """Close the running loop's CDN session now, if it has one."""
    held = _loop_http.pop(asyncio.get_running_loop(), None)
    if held is not None:
        await held[1].aclose()


async def _get(
    session: DiscordSession | aiohttp.ClientSession, url: str, start: int
) -> aiohttp.ClientResponse:
    """One GET of ``url`` from byte ``start``; the response is open for reading."""
    http = session if isinstance(session, aiohttp.ClientSession) else session.cdn
    assert http is not None
    headers = {"Range": f"bytes={start}-"} if start else {}
    response = await http.get(url, headers=headers)
    if response.status in (200, 206):
        if start and response.status == 200:  # the server ignored Range: skip what we have
            try:
                await response.content.readexactly(start)
            except BaseException:
                response.close()
                raise
        return response
    status = response.status
    response.release()
    what = f"CDN GET {url.split('?')[0]}"
    if status in (403, 404):
        raise UrlGone(f"{what}: {status}", status=status)
    if status == 429 or status >= 500:
        raise DiscordUnavailable(f"{what}: {status}")
    raise DiscordRefused(f"{what}: {status}", status=status)


async def _read(response: aiohttp.ClientResponse, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the body."""
    data = bytearray()
    while len(data) < size:
        chunk = await response.content.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


class CdnReader(io.RawIOBase):
    """The bytes of one attachment, streamed."""

    def __init__(
        self,
        session: DiscordSession,
        url: str,
        refresh: Callable[[], str],
        policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__()
        self._session = session
        self._url = url
        self._refresh = refresh
        self._policy = policy or RetryPolicy.from_settings()
        self._position = 0
        self._failures = 0
        self._response: aiohttp.ClientResponse | None = None
        self._at_end = False
        self._open()

    def _open(self) -> None:
        refreshed = False
        while True:
            try:
                self._response = self._session.run(
                    self._session.retrying(
                        "download from the CDN",
                        lambda: _get(self._session, self._url, self._position),
                        self._policy,
                    )
                )
                return
            except UrlGone as exc:
                if refreshed:
                    raise ObjectMissing(f"the attachment is gone from Discord ({exc})") from None
                self._url = self._refresh()  # raises ObjectMissing when the message is gone
                refreshed = True

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError("read from a closed CdnReader")
        if size is None or size < 0:
            return self.readall()
        while True:
            response = self._response
            if response is None or self._at_end:
                return b""
            try:
                data = self._session.run(
                    asyncio.wait_for(_read(response, size), self._policy.timeout)
                )
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                self._resume_after(exc)
                continue
            self._position += len(data)
            if len(data) < size:
                self._at_end = True
            return data

    def readall(self) -> bytes:
        chunks = []
        while chunk := self.read(1024 * 1024):
            chunks.append(chunk)
        return b"".join(chunks)

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _resume_after(self, exc: BaseException) -> None:
        """The body broke off: ask again from where it stopped, within the retry budget."""
        self._discard_response()
        self._failures += 1
        if self._failures >= self._policy.attempts:
            raise DiscordUnavailable(
                f"CDN download broke off {self._failures} times at byte {self._position}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        time.sleep(self._policy.delay(self._failures - 1))
        self._open()

    def _discard_response(self) -> None:
        response, self._response = self._response, None
        if response is not None and not self._session.loop.is_closed():
            # A fully read body goes back to the pool; anything else closes its connection.
            finish = response.release if self._at_end else response.close
            self._session.loop.call_soon_threadsafe(finish)

    def close(self) -> None:
        if not self.closed:
            self._discard_response()
        super().close()


async def stream_attachment(
    url: str,
    refresh: Callable[[], Awaitable[str]],
    *,
    chunk_size: int,
    policy: RetryPolicy | None = None,
) -> AsyncGenerator[bytes, None]:
    """The bytes of one attachment as they arrive, on the running loop.

    Like :class:`CdnReader`: a body that breaks off is asked for again from
    where it stopped (``Range``), 5xx/429 answers and network errors are
    retried with backoff within ``policy.attempts``, and a 404/403 renews the
    URL once through ``refresh`` (which raises ObjectMissing when the message
    is gone). What arrives is handed on as it came; the caller checks it.
    """
    policy = policy or RetryPolicy.from_settings()
    http = await loop_http()
    position = failures = 0
    refreshed = False
    deadline = time.monotonic() + policy.timeout

    async def backoff(exc: BaseException) -> None:
        nonlocal failures
        failures += 1
        if failures >= policy.attempts or time.monotonic() > deadline:
            raise DiscordUnavailable(
                f"CDN download failed {failures} times (at byte {position}): "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        await asyncio.sleep(policy.delay(failures - 1))

    while True:
        try:
            response = await _get(http, url, position)
        except UrlGone as exc:
            if refreshed:
                raise ObjectMissing(f"the attachment is gone from Discord ({exc})") from None
            url, refreshed = await refresh(), True
            continue
        except (DiscordUnavailable, aiohttp.ClientError, TimeoutError, OSError) as exc:
            await backoff(exc)
            continue
        try:
            async for chunk in body_chunks(response, chunk_size):
                position += len(chunk)
                yield chunk
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            response.close()
            await backoff(exc)
            continue
        except BaseException:
            response.close()  # the caller stopped early: drop the connection, not the pool
            raise
        response.release()
        return
