"""Run the mirror client on a thread of its own, as its own process would."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import discord
import discord.http

from junefs.discord_io.client import MirrorClient
from junefs.manifest import (
    MANIFEST_NAME,
    FileLine,
    ManifestPart,
    PartLine,
    render_file,
    render_manifest,
    render_part,
)
from tests.discord_emulator.emulator import Emulator
from tests.discord_emulator.fixtures import logged_in_http
from tests.factories import png_bytes
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

    def send_sync(
        self, channel_id: int, content: str = "", files: Sequence[tuple[str, bytes]] = ()
    ) -> dict[str, Any]:
        return self.call(self.send(channel_id, content, files))

    async def edit(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> Any:
        assert self.client is not None
        params = discord.http.MultipartParameters(payload=payload, multipart=None, files=None)
        return await self.client.http.edit_message(channel_id, message_id, params=params)


#: Posts a message as our bot: (channel id, content, files) -> the message payload.
Send = Callable[[int, str, Sequence[tuple[str, bytes]]], dict[str, Any]]


def bot_sender(token: str) -> Send:
    """A Send for tests without a running client (one short-lived HTTP client per call)."""

    def send(channel_id: int, content: str, files: Sequence[tuple[str, bytes]]) -> dict[str, Any]:
        async def go() -> dict[str, Any]:
            async with logged_in_http(token) as http:
                kwargs: dict[str, Any] = {"content": content or None}
                if files:
                    kwargs["files"] = [discord.File(io.BytesIO(d), filename=n) for n, d in files]
                with discord.http.handle_message_parameters(**kwargs) as params:
                    return await http.send_message(channel_id, params=params)

        return asyncio.run(go())

    return send


def post_stored_file(
    send: Send, folder_id: int, parts_id: int, data: bytes, name: str, file_id: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Post a file the way the Discord backend does: part messages, then the parent."""
    sha = hashlib.sha256(data).hexdigest()
    half = len(data) // 2
    pieces = [data[:half], data[half:]]
    manifest_parts = []
    part_messages = []
    offset = 0
    for index, piece in enumerate(pieces):
        piece_sha = hashlib.sha256(piece).hexdigest()
        line = render_part(PartLine(sha, index, len(pieces), offset, len(piece), piece_sha))
        sent = send(parts_id, line, [(f"{sha[:16]}.{index:04d}.part", piece)])
        part_messages.append(sent)
        manifest_parts.append(
            ManifestPart(
                index,
                offset,
                len(piece),
                piece_sha,
                parts_id,
                int(sent["id"]),
                int(sent["attachments"][0]["id"]),
            )
        )
        offset += len(piece)
    file_line = FileLine(name, file_id, len(data), len(pieces), sha)
    parent = send(
        folder_id,
        render_file(file_line),
        [
            (f"{sha[:16]}.webp", png_bytes(32, 24)),
            (MANIFEST_NAME, render_manifest(file_line, manifest_parts)),
        ],
    )
    return parent, part_messages
