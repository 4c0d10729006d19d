"""Run the mirror client on a thread of its own, as its own process would."""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import discord
import discord.http

from junefs.discord_io.client import MirrorClient
from tests.discord_emulator.emulator import Emulator
from tests.processes import wait_until

T = TypeVar("T")


class MirrorThread:
    def __init__(self, token: str, **options: Any) -> None:
        self.token = token
        options.setdefault("guild_ready_timeout", 0.05)
        self.options = options
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="mirror-client", daemon=True)
        self.client: MirrorClient | None = None
        self._runner: asyncio.Future[None] | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self, timeout: float = 15.0) -> MirrorThread:
        self.thread.start()

        async def create() -> MirrorClient:
            return MirrorClient(**self.options)

        self.client = self.call(create())
        self._runner = asyncio.run_coroutine_threadsafe(self.client.start(self.token), self.loop)  # type: ignore[assignment]
        wait_until(self._ready, timeout=timeout, what="the mirror client to be ready")
        self.wait_idle(timeout)
        return self

    def _ready(self) -> bool:
        if self._runner is not None and self._runner.done():
            self._runner.result()  # raise what start() raised
        return self.client is not None and self.client.is_ready()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def wait_idle(self, timeout: float = 15.0) -> None:
        assert self.client is not None
        client = self.client
        wait_until(client.idle, timeout=timeout, what="the mirror to apply every event")

    def flush(self, emulator: Emulator, timeout: float = 15.0) -> None:
        """Wait until every event sent so far is applied: the gateway keeps order, so
        once a marker message posted now is applied, everything before it is too."""
        assert self.client is not None
        client = self.client
        marker = emulator.post_message(emulator.channel.id, emulator.person.id, "marker").id
        wait_until(lambda: marker in client.applied_messages, timeout, what="the marker")
        self.wait_idle(timeout)

    def stop(self) -> None:
        if self.client is not None and self.thread.is_alive():
            with contextlib.suppress(Exception):
                self.call(self.client.close())
            if self._runner is not None:
                with contextlib.suppress(Exception):
                    self._runner.result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    # --- acting as our bot (its messages go through discord.py's REST code) -------
    async def send(
        self, channel_id: int, content: str = "", files: Sequence[tuple[str, bytes]] = ()
    ) -> dict[str, Any]:
        assert self.client is not None
        kwargs: dict[str, Any] = {"content": content or None}
        if files:
            kwargs["files"] = [discord.File(io.BytesIO(d), filename=n) for n, d in files]
        with discord.http.handle_message_parameters(**kwargs) as params:
            return await self.client.http.send_message(channel_id, params=params)

    async def edit(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> Any:
        assert self.client is not None
        params = discord.http.MultipartParameters(payload=payload, multipart=None, files=None)
        return await self.client.http.edit_message(channel_id, message_id, params=params)
