"""One discord.py HTTP client per process, on an event loop of its own.

The backend interface is synchronous (Celery tasks, the CLI and the upload
worker threads call it) while discord.py's ``HTTPClient`` is async. Each
process runs one event loop in a background thread, made on first use and
keyed by pid, so Celery's prefork children make their own after the fork. On
it live one ``discord.http.HTTPClient`` that did ``static_login`` and one
aiohttp session for CDN downloads. Callers submit coroutines with
``asyncio.run_coroutine_threadsafe`` and wait: threads waiting at once get
real parallelism on the loop. The loop never touches the ORM.

discord.py honours the rate-limit headers and waits out 429s itself (and
retries a few 5xx). :meth:`DiscordSession.retrying` adds capped exponential
backoff for 5xx answers, dropped connections and timeouts, and turns what is
left into :class:`~junefs.errors.BackendError` (a later retry may work) or
:class:`~junefs.errors.BackendRefused` (it will not).
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import random
import threading
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from django.conf import settings

from junefs.errors import BackendError, BackendRefused, JuneFSError

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Timeouts of every CDN download: none in total (a big part takes its time), but a
#: connection that stays silent for two minutes is dropped.
CDN_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=120)


class DiscordUnavailable(BackendError):
    """Discord or the network failed in a way a later retry may fix."""


class DiscordRefused(BackendRefused):
    """Discord answered no for good (4xx other than 429)."""

    def __init__(self, message: str, *, status: int = 0, code: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class DiscordNotFound(DiscordRefused):
    """404: the channel, message or attachment is gone."""


def configure_discordpy(api_base: str, gateway_url: str) -> None:
    """Point discord.py's REST base and default gateway at a Discord-compatible server.

    The one place Sequenzia sets them (``DISCORD_API_BASE``, ``DISCORD_GATEWAY_URL``).
    """
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    base_delay: float
    max_delay: float
    timeout: float

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(
            attempts=settings.DISCORD_RETRY_ATTEMPTS,
            base_delay=settings.DISCORD_RETRY_BASE_DELAY,
            max_delay=settings.DISCORD_RETRY_MAX_DELAY,
            timeout=settings.DISCORD_REQUEST_TIMEOUT,
        )

    def delay(self, attempt: int) -> float:
        """Seconds before retry number ``attempt + 1``: doubling, capped, jittered."""
        return min(self.max_delay, self.base_delay * 2**attempt) * random.uniform(0.5, 1.0)


def classify(exc: BaseException, what: str) -> tuple[bool, JuneFSError] | None:
    """(worth retrying now, the error to raise), or None for a bug to let through."""
    if isinstance(exc, DiscordUnavailable):
        return True, exc
    if isinstance(exc, JuneFSError):
        return False, exc
    if isinstance(exc, discord.LoginFailure):
        return False, DiscordRefused(
            f"{what}: Discord refused DISCORD_TOKEN (401 Unauthorized)", status=401
        )
    if isinstance(exc, discord.HTTPException):
        status, code = exc.status, exc.code
        detail = f"{what}: Discord answered {status}"
        if code:
            detail += f" (error {code}: {exc.text})"
        elif exc.text:
            detail += f": {exc.text[:200]}"
        if status == 429:
            if exc.response.headers.get("Via") is None:
                # Discord's edge (Cloudflare) banned this address: hammering makes it worse.
                return False, DiscordUnavailable(
                    detail + " (a Cloudflare ban; wait before retrying)"
                )
            return True, DiscordUnavailable(detail)
        if status >= 500:
            return True, DiscordUnavailable(detail)
        if status == 404:
            return False, DiscordNotFound(detail, status=status, code=code)
        return False, DiscordRefused(detail, status=status, code=code)
    if isinstance(exc, aiohttp.ClientError | TimeoutError | OSError):
        return True, DiscordUnavailable(f"{what}: {type(exc).__name__}: {exc}".rstrip(": "))
    return None


class DiscordSession:
    """A logged-in discord.py HTTP client and a CDN session, on a loop thread."""

    def __init__(self, token: str, api_base: str, gateway_url: str) -> None:
        self.pid = os.getpid()
        self.api_base = api_base
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="discord-http", daemon=True)
        self._thread.start()
        configure_discordpy(api_base, gateway_url)
        self.bot_user_id = 0
        self._channel_locks: dict[int, asyncio.Lock] = {}
        self.http: discord.http.HTTPClient | None = None
        self.cdn: aiohttp.ClientSession | None = None
        try:
            self.run(self._start(token, RetryPolicy.from_settings()))
        except BaseException:
            self.close()
            raise

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    async def _start(self, token: str, policy: RetryPolicy) -> None:
        self.cdn = aiohttp.ClientSession(
            timeout=CDN_TIMEOUT,
            cookie_jar=aiohttp.DummyCookieJar(),
        )

        async def login() -> tuple[discord.http.HTTPClient, Any]:
            http = discord.http.HTTPClient(self.loop)
            try:
                return http, await http.static_login(token)
            except BaseException:
                await http.close()
                raise

        self.http, user = await self.retrying("log in to Discord", login, policy)
        self.bot_user_id = int(user["id"])

    def channel_lock(self, channel_id: int) -> asyncio.Lock:
        """One message create at a time per channel (use on the loop only).

        discord.py's bucket bookkeeping is exact with one request in flight per
        bucket; with several, it counts the bucket empty early and sleeps a
        whole window. Parallelism comes from several channels, each its own bucket.
        """
        lock = self._channel_locks.get(channel_id)
        if lock is None:
            lock = self._channel_locks[channel_id] = asyncio.Lock()
        return lock

    # --- running coroutines from other threads ---------------------------------------

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the session's loop and wait for its result."""
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("DiscordSession.run() called from its own event loop")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            if future.done():
                raise
            future.cancel()
            raise DiscordUnavailable(f"no answer from Discord within {timeout:.0f} s") from None

    def call(
        self,
        what: str,
        request: Callable[[discord.http.HTTPClient], Awaitable[T]],
        policy: RetryPolicy | None = None,
    ) -> T:
        """Make one REST request (retried as needed) and return its JSON."""
        http = self.http
        assert http is not None, "the session is not logged in"
        return self.run(
            self.retrying(what, lambda: request(http), policy or RetryPolicy.from_settings())
        )

    async def retrying(
        self, what: str, attempt: Callable[[], Awaitable[T]], policy: RetryPolicy
    ) -> T:
        """Await ``attempt()`` until it works, retrying what may work next time."""
        last: JuneFSError | None = None
        for number in range(policy.attempts):
            if number:
                await asyncio.sleep(policy.delay(number - 1))
            try:
                async with asyncio.timeout(policy.timeout):
                    return await attempt()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                verdict = classify(exc, what)
                if verdict is None:
                    raise
                retry, error = verdict
                if not retry:
                    raise error from exc
                log.info("%s (attempt %d of %d)", error, number + 1, policy.attempts)
                last = error
        assert last is not None
        raise DiscordUnavailable(f"{last} (gave up after {policy.attempts} attempts)") from last

    # --- shutting down ------------------------------------------------------------------

    async def _close(self) -> None:
        if self.http is not None:
            await self.http.close()
        if self.cdn is not None:
            await self.cdn.close()

    def close(self) -> None:
        """Close the clients and stop the loop thread (only in the process that made them)."""
        if self.pid != os.getpid() or self.loop.is_closed():
            return
        if self._thread.is_alive():
            try:
                self.run(self._close(), timeout=5)
            except Exception as exc:  # closing must not fail the caller
                log.debug("closing the Discord session: %s", exc)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()


_sessions: dict[tuple[int, str, str], DiscordSession] = {}
_lock = threading.Lock()


def get_session() -> DiscordSession:
    """This process's session for the configured token and API base."""
    token: str = settings.DISCORD_TOKEN
    if not token:
        raise BackendRefused("the Discord backend needs DISCORD_TOKEN (the bot's token)")
    key = (os.getpid(), token, settings.DISCORD_API_BASE)
    with _lock:
        session = _sessions.get(key)
        if session is None:
            session = DiscordSession(token, settings.DISCORD_API_BASE, settings.DISCORD_GATEWAY_URL)
            _sessions[key] = session
        return session


def close_sessions() -> None:
    """Close every session this process made (at exit, and between tests)."""
    with _lock:
        mine = [s for key, s in _sessions.items() if key[0] == os.getpid()]
        _sessions.clear()
    for session in mine:
        session.close()


def _forget_after_fork() -> None:
    # The parent's loop threads do not exist in the child; start afresh.
    global _lock
    _lock = threading.Lock()
    _sessions.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(close_sessions)
