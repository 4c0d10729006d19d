"""Active or standby: the loop ``manage.py discord_io`` runs.

Only the process holding the lease connects to the gateway. Why not keep a
standby connected too: Discord delivers every event to every session of the
bot, so the standby would receive (and throw away) the whole stream, and each
session costs an IDENTIFY from the bot's daily budget. What a second session
would buy, events during the seconds of a takeover, the new active gets
anyway: on connecting it reconciles channels from the guild and reads history
after the newest message applied in each channel.

The lease is renewed from its own thread (its own database connection), so a
slow event can never delay a renewal. A process that cannot renew stops
applying events before its lease can have run out elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import aiohttp
import discord
import discord.http
from asgiref.sync import sync_to_async
from django.conf import settings

from junefs.discord_io.client import MirrorClient
from junefs.discord_io.lease import Lease

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Gateway close codes that no retry will fix (bad token, intents, sharding).
FATAL_CLOSE_CODES = {4004, 4010, 4011, 4012, 4013, 4014}


class DiscordIOError(Exception):
    """discord_io cannot run (one line, for the command to print)."""


def point_discord_py() -> None:
    """Point discord.py's REST base and gateway at the configured addresses."""
    import discord.gateway
    import yarl

    discord.http.Route.BASE = settings.DISCORD_API_BASE.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.DISCORD_GATEWAY_URL)


def explain(exc: BaseException) -> str | None:
    """A one-line reason when ``exc`` is final, None when a retry may help."""
    if isinstance(exc, discord.LoginFailure):
        return "Discord refused DISCORD_TOKEN (401 Unauthorized); check the bot token"
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return (
            "the bot needs the Message Content and Server Members intents; "
            "enable them in the Discord Developer Portal"
        )
    if isinstance(exc, discord.ConnectionClosed) and exc.code in FATAL_CLOSE_CODES:
        return f"the Discord gateway closed the connection with code {exc.code}: {exc.reason}"
    return None


def _cause(exc: BaseException) -> BaseException:
    """discord.py fails a first connection with an AttributeError raised while it handled
    the real error (it reads the sequence number of a websocket it never had)."""
    if isinstance(exc, AttributeError) and exc.__context__ is not None:
        return exc.__context__
    return exc


class _OneLineReconnects(logging.Filter):
    """discord.py logs every reconnect with a traceback; one line says as much."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Attempting a reconnect"):
            record.msg = f"{record.msg} ({_short(record.exc_info[1] or Exception())})"
            record.exc_info = None
        return True


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class DiscordIO:
    def __init__(
        self,
        lease: Lease,
        *,
        token: str | None = None,
        connect_attempts: int | None = None,
        **client_options: Any,
    ) -> None:
        self.lease = lease
        self.token = token or settings.DISCORD_TOKEN
        self.connect_attempts = connect_attempts or settings.DISCORD_IO_CONNECT_ATTEMPTS
        self.client_options = client_options
        self.client: MirrorClient | None = None
        self._stop = asyncio.Event()
        self._held_until = 0.0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lease")

    def stop(self) -> None:
        self._stop.set()

    async def _lease_call(self, method: Callable[[], T]) -> T:
        return await sync_to_async(method, thread_sensitive=False, executor=self._executor)()

    def holds_lease(self) -> bool:
        return asyncio.get_running_loop().time() < self._held_until

    def _margin(self) -> float:
        return min(1.0, self.lease.ttl * 0.2)

    async def run(self) -> None:
        """Stand by, or be active, until stopped. Raises DiscordIOError when it cannot run."""
        logging.getLogger("discord.client").addFilter(_OneLineReconnects())
        try:
            await self.check_token()
            poll = min(2.0, self.lease.ttl / 4)
            announced = False
            while not self._stop.is_set():
                started = asyncio.get_running_loop().time()
                try:
                    acquired = await self._lease_call(self.lease.acquire)
                except Exception as exc:  # the database or Redis is away: try again
                    log.warning("discord_io: cannot reach the lease: %s", _short(exc))
                    acquired = False
                if acquired:
                    self._held_until = started + self.lease.ttl - self._margin()
                    announced = False
                    await self._serve_active()
                    continue
                if not announced:
                    log.info("discord_io: standby (another process is active)")
                    announced = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=poll)
        finally:
            with contextlib.suppress(Exception):
                await self._lease_call(self.lease.release)
            self._executor.shutdown(wait=False)

    async def check_token(self) -> None:
        """Log in over REST once, so a bad token or an unreachable API fails fast."""
        for attempt in range(1, self.connect_attempts + 1):
            http = discord.http.HTTPClient(asyncio.get_running_loop())
            try:
                await http.static_login(self.token)
                return
            except discord.LoginFailure as exc:
                raise DiscordIOError(explain(exc)) from None
            except (aiohttp.ClientError, OSError, discord.HTTPException) as exc:
                if attempt == self.connect_attempts:
                    raise DiscordIOError(
                        f"cannot reach the Discord API at {discord.http.Route.BASE} "
                        f"after {attempt} attempts ({_short(exc)})"
                    ) from None
                await self._backoff(attempt)
            finally:
                await http.close()

    async def _backoff(self, attempt: int) -> None:
        delay = min(30.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=delay)

    async def _serve_active(self) -> None:
        log.info("discord_io: active (holder %s)", self.lease.holder)
        renewer = asyncio.create_task(self._keep_lease(), name="lease-renewal")
        stopper = asyncio.create_task(self._stop.wait(), name="stop")
        failures = 0
        try:
            while not self._stop.is_set() and not renewer.done() and self.holds_lease():
                client = MirrorClient(may_apply=self.holds_lease, **self.client_options)
                self.client = client
                runner = asyncio.create_task(self._run_client(client), name="discord-client")
                await asyncio.wait({runner, renewer, stopper}, return_when=asyncio.FIRST_COMPLETED)
                await client.close()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(runner, timeout=10)
                if self._stop.is_set() or renewer.done():
                    break
                exc = runner.exception() if not runner.cancelled() else None
                exc = _cause(exc) if exc is not None else None
                if exc is None:
                    continue  # the client stopped itself (lost the lease): check again
                reason = explain(exc)
                if reason:
                    raise DiscordIOError(reason)
                failures = 0 if client.is_ready() else failures + 1
                if failures >= self.connect_attempts:
                    raise DiscordIOError(
                        f"cannot reach the Discord gateway at {settings.DISCORD_GATEWAY_URL} "
                        f"after {failures} attempts ({_short(exc)})"
                    )
                log.warning("discord_io: connection failed (%s); retrying", _short(exc))
                await self._backoff(failures)
        finally:
            renewer.cancel()
            stopper.cancel()
            self._held_until = 0.0
            if self.client is not None:
                await self.client.close()
            self.client = None
        if not self._stop.is_set():
            log.warning("discord_io: lease lost; standing by")

    async def _run_client(self, client: MirrorClient) -> None:
        async with client:
            await client.login(self.token)
            await client.connect(reconnect=True)

    async def _keep_lease(self) -> None:
        """Renew every third of the TTL; return when the lease is lost (or unknowable)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.lease.ttl / 3)
            started = loop.time()
            try:
                renewed: bool | None = await self._lease_call(self.lease.renew)
            except Exception as exc:
                log.warning("discord_io: lease renewal failed: %s", _short(exc))
                renewed = None
            if renewed:
                self._held_until = started + self.lease.ttl - self._margin()
            elif renewed is False or loop.time() >= self._held_until:
                self._held_until = 0.0
                return
