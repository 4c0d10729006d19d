"""The gateway websocket: JSON encoding, zlib-stream (or zstd-stream, or none) transport.

https://discord.com/developers/docs/events/gateway: HELLO (op 10) → IDENTIFY (op 2) →
READY + GUILD_CREATE per guild → dispatches (op 0, increasing ``s``); HEARTBEAT (op 1)
→ ACK (op 11); RESUME (op 6) → replay + RESUMED, or INVALID_SESSION (op 9); close
codes 4001-4014 (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
zstd-stream is offered only when the ``zstandard`` module is importable (the client
asks for it under the same condition).
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections import deque
from typing import Any

from aiohttp import WSMsgType, web

from .services import Services, services_of
from .sessions import GatewayHub, Session
from .state import PRIVILEGED_INTENTS

try:  # pragma: no cover - depends on the venv
    import zstandard
except ImportError:  # pragma: no cover
    zstandard = None

MAX_PAYLOAD = 4096
VALID_INTENTS = (1 << 26) - 1
COMPRESSIONS = {None, "zlib-stream"} | ({"zstd-stream"} if zstandard is not None else set())


class Connection:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        services: Services,
        compression: str | None,
    ) -> None:
        self.ws = ws
        self.request = request
        self.services = services
        self.hub: GatewayHub = services.gateway
        self.session: Session | None = None
        self.closed = False
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.last_heartbeat = asyncio.get_running_loop().time()
        self.recent_sends: deque[float] = deque()
        self._zlib = zlib.compressobj() if compression == "zlib-stream" else None
        self._zstd = (
            zstandard.ZstdCompressor().compressobj()
            if compression == "zstd-stream" and zstandard is not None
            else None
        )

    # -- outgoing (all through one queue, so order is exactly the enqueue order) --------------
    def send_op(self, op: int, data: Any) -> None:
        self._enqueue({"op": op, "d": data, "s": None, "t": None})

    def send_dispatch(self, seq: int, name: str, data: Any) -> None:
        self._enqueue({"op": 0, "d": data, "s": seq, "t": name})

    def _enqueue(self, payload: dict[str, Any]) -> None:
        if not self.closed:
            self.queue.put_nowait(("payload", payload))

    def close(self, code: int | None) -> None:
        """Close with ``code``, or with None cut the TCP connection without a close frame."""
        if not self.closed:
            self.queue.put_nowait(("close", code))
            self.closed = True
            if self.session is not None:
                self.hub.detach(self.session, self)

    async def writer(self) -> None:
        while True:
            kind, item = await self.queue.get()
            if kind == "close":
                if item is None:
                    transport = self.request.transport
                    if transport is not None:
                        transport.abort()
                else:
                    await self.ws.close(code=item)
                return
            await self._send(json.dumps(item, separators=(",", ":")))

    async def _send(self, text: str) -> None:
        if self.ws.closed:
            return
        if self._zlib is not None:
            data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
            await self.ws.send_bytes(data)
        elif self._zstd is not None:
            flush = zstandard.COMPRESSOBJ_FLUSH_BLOCK
            await self.ws.send_bytes(self._zstd.compress(text.encode()) + self._zstd.flush(flush))
        else:
            await self.ws.send_str(text)

    async def watchdog(self, interval: float) -> None:
        """Close 4009 (session timed out, start a new one) when heartbeats stop."""
        loop = asyncio.get_running_loop()
        timeout = interval * self.services.config.heartbeat_timeout_factor
        while not self.closed:
            await asyncio.sleep(min(interval / 4, 1.0))
            if loop.time() - self.last_heartbeat > timeout and not self.closed:
                self.services.counters.gateway["heartbeat_timeouts"] += 1
                if self.session is not None:
                    self.hub.drop_session(self.session)
                self.close(4009)

    # -- incoming ------------------------------------------------------------------------
    def handle(self, text: str) -> None:
        if len(text.encode()) > MAX_PAYLOAD:
            return self.close(4002)
        try:
            payload = json.loads(text)
            op, data = payload["op"], payload.get("d")
        except (ValueError, KeyError, TypeError):
            return self.close(4002)
        counters = self.services.counters.gateway
        if op == 1:
            counters["heartbeats"] += 1
            self.last_heartbeat = asyncio.get_running_loop().time()
            return self.send_op(11, None)
        if self._over_send_limit():
            return self.close(4008)
        if op == 2:
            return self.identify(data if isinstance(data, dict) else {})
        if op == 6:
            return self.resume(data if isinstance(data, dict) else {})
        if op in (3, 4, 8):
            if self.session is None:
                return self.close(4003)
            if op == 8 and isinstance(data, dict):
                self.hub.members_chunks(self.session, data)
            return None
        return self.close(4001)

    def _over_send_limit(self) -> bool:
        config = self.services.config
        now = asyncio.get_running_loop().time()
        self.recent_sends.append(now)
        while self.recent_sends and self.recent_sends[0] <= now - config.gateway_send_window:
            self.recent_sends.popleft()
        return len(self.recent_sends) > config.gateway_send_limit

    def identify(self, data: dict[str, Any]) -> None:
        if self.session is not None:
            return self.close(4005)
        bot = self.services.world.bot_for_token(str(data.get("token") or ""))
        if bot is None:
            return self.close(4004)
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents & ~VALID_INTENTS:
            return self.close(4013)
        if intents & PRIVILEGED_INTENTS & ~bot.privileged_intents:
            return self.close(4014)
        shard = data.get("shard", [0, 1])
        if not (
            isinstance(shard, list)
            and len(shard) == 2
            and all(isinstance(x, int) for x in shard)
            and 0 <= shard[0] < shard[1]
        ):
            return self.close(4010)
        threshold = data.get("large_threshold", 50)
        threshold = min(250, max(50, threshold if isinstance(threshold, int) else 50))
        session = self.hub.new_session(bot, intents, (shard[0], shard[1]), threshold)
        session.sharded = "shard" in data
        self.services.counters.gateway["identify"] += 1
        self.session, session.connection = session, self
        session.dispatch("READY", self.hub.ready_payload(session))
        world = self.services.world
        for guild in world.guilds.values():
            if bot.user_id in guild.members and session.sees_guild(guild.id):
                session.dispatch("GUILD_CREATE", self.hub.guild_create_payload(session, guild.id))
        return None

    def resume(self, data: dict[str, Any]) -> None:
        if self.session is not None:
            return self.close(4005)
        counters = self.services.counters.gateway
        seq = data.get("seq")
        session = self.hub.resumable(data.get("session_id"), data.get("token"), seq)
        if session is None:
            counters["invalid_session"] += 1
            return self.send_op(9, False)
        assert isinstance(seq, int)
        if session.connection is not None:
            session.connection.close(4000)
        for number, name, payload in session.buffer:
            if number > seq:
                self.send_dispatch(number, name, payload)
                counters["replayed"] += 1
        session.seq += 1
        self.send_dispatch(session.seq, "RESUMED", {"_trace": ['["discord-emulator"]']})
        self.session, session.connection, session.disconnected_at = session, self, None
        counters["resume"] += 1
        return None


async def gateway_handler(request: web.Request) -> web.StreamResponse:
    services = services_of(request)
    ws = web.WebSocketResponse(compress=False, max_msg_size=0, autoping=True, timeout=2.0)
    if not ws.can_prepare(request).ok:
        return web.Response(text="Discord emulator gateway: connect with a websocket.\n")
    await ws.prepare(request)
    compression = request.query.get("compress")
    connection = Connection(ws, request, services, compression)
    services.gateway.connections.add(connection)
    services.counters.gateway["connections"] += 1
    services.counters.gateway[f"compress={compression or 'none'}"] += 1
    writer = asyncio.create_task(connection.writer())
    interval_ms = services.config.heartbeat_interval_ms
    watchdog = asyncio.create_task(connection.watchdog(interval_ms / 1000))
    try:
        if request.query.get("v") != "10":
            connection.close(4012)
        elif request.query.get("encoding", "json") != "json":
            connection.close(4002)
        elif compression not in COMPRESSIONS:
            connection.close(4000)
        else:
            connection.send_op(
                10, {"heartbeat_interval": interval_ms, "_trace": ['["discord-emulator"]']}
            )
        async for message in ws:
            if connection.closed:
                break
            if message.type == WSMsgType.TEXT:
                connection.handle(message.data)
            else:
                connection.close(4002)
        connection.close(1000)
        await asyncio.wait_for(writer, timeout=5)
    finally:
        watchdog.cancel()
        writer.cancel()
        services.gateway.connections.discard(connection)
        if connection.session is not None:
            services.gateway.detach(connection.session, connection)
    return ws
