"""Gateway sessions: sequence numbers, the replay buffer, fan-out and forced failures.

A session outlives its websocket: events keep being numbered and buffered while the
client is away, and RESUME replays every event after the client's last ``seq``
(https://discord.com/developers/docs/events/gateway#resuming). Fan-out honours guild
membership, shards and intents, and strips message content without MESSAGE_CONTENT.
"""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .payloads import (
    channel_payload,
    current_user_payload,
    guild_payload,
    member_payload,
    strip_message_content,
)
from .state import INTENT_GUILD_PRESENCES, INTENT_MESSAGE_CONTENT, Bot, Event

if TYPE_CHECKING:
    from .gateway import Connection
    from .services import Services

MESSAGE_EVENTS = {"MESSAGE_CREATE", "MESSAGE_UPDATE"}


@dataclass
class Session:
    id: str
    bot: Bot
    intents: int
    shard: tuple[int, int]
    large_threshold: int
    buffer: deque[tuple[int, str, dict[str, Any]]]
    seq: int = 0
    connection: Connection | None = None
    disconnected_at: float | None = None
    sharded: bool = False

    def dispatch(self, name: str, data: dict[str, Any]) -> None:
        self.seq += 1
        self.buffer.append((self.seq, name, data))
        if self.connection is not None:
            self.connection.send_dispatch(self.seq, name, data)

    def sees_guild(self, guild_id: int | None) -> bool:
        shard_id, shard_count = self.shard
        return guild_id is None or (guild_id >> 22) % shard_count == shard_id


class GatewayHub:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        services.world.listeners.append(self.on_event)

    # -- sessions ----------------------------------------------------------------
    def new_session(
        self, bot: Bot, intents: int, shard: tuple[int, int], large_threshold: int
    ) -> Session:
        self._expire()
        session = Session(
            secrets.token_hex(16),
            bot,
            intents,
            shard,
            large_threshold,
            deque(maxlen=self.services.config.resume_buffer),
        )
        self.sessions[session.id] = session
        return session

    def detach(self, session: Session, connection: Connection) -> None:
        if session.connection is connection:
            session.connection = None
            session.disconnected_at = self.services.clock.time()

    def drop_session(self, session: Session) -> None:
        self.sessions.pop(session.id, None)

    def _expire(self) -> None:
        cutoff = self.services.clock.time() - self.services.config.session_ttl
        for session in list(self.sessions.values()):
            if (
                session.connection is None
                and session.disconnected_at is not None
                and session.disconnected_at < cutoff
            ):
                del self.sessions[session.id]

    def resumable(self, session_id: Any, token: Any, seq: Any) -> Session | None:
        self._expire()
        session = self.sessions.get(session_id) if isinstance(session_id, str) else None
        if session is None or session.bot.token != token:
            return None
        if not isinstance(seq, int) or seq > session.seq:
            return None
        oldest = session.buffer[0][0] if session.buffer else session.seq + 1
        if seq < oldest - 1:
            return None
        return session

    # -- payloads -------------------------------------------------------------------
    def ready_payload(self, session: Session) -> dict[str, Any]:
        world = self.services.world
        user = world.users[session.bot.user_id]
        guilds = [
            g for g in world.guilds.values() if user.id in g.members and session.sees_guild(g.id)
        ]
        data: dict[str, Any] = {
            "v": 10,
            "user": current_user_payload(user),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.services.base_url.replace("http://", "ws://", 1) + "/",
            "application": {"id": str(user.id), "flags": session.bot.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ['["discord-emulator"]'],
        }
        if session.sharded:
            data["shard"] = list(session.shard)
        return data

    def guild_create_payload(
        self, session: Session, guild_id: int, *, joined: bool = False
    ) -> dict[str, Any]:
        """The full guild; a join leaves ``unavailable`` out (discord.py: on_guild_join)."""
        world = self.services.world
        guild = world.guilds[guild_id]
        large = len(guild.members) > session.large_threshold
        everyone = session.intents & INTENT_GUILD_PRESENCES and not large
        members = [
            m for m in guild.members.values() if everyone or m.user_id == session.bot.user_id
        ]
        data = guild_payload(guild)
        data.update(
            {
                "joined_at": guild.members[session.bot.user_id].joined_at,
                "large": large,
                "unavailable": False,
                "member_count": len(guild.members),
                "voice_states": [],
                "members": [member_payload(m, world.users[m.user_id]) for m in members],
                "channels": [channel_payload(world.channels[i]) for i in guild.channel_ids],
                "threads": [],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
            }
        )
        if joined:
            del data["unavailable"]
        return data

    def members_chunks(self, session: Session, request: dict[str, Any]) -> None:
        """Answer REQUEST_GUILD_MEMBERS (op 8) with GUILD_MEMBERS_CHUNK dispatches."""
        world = self.services.world
        guild = world.guilds.get(_as_int(request.get("guild_id")))
        if guild is None or session.bot.user_id not in guild.members:
            return
        members = list(guild.members.values())
        wanted_ids = request.get("user_ids")
        not_found: list[str] = []
        if wanted_ids is not None:
            ids = [
                _as_int(i) for i in (wanted_ids if isinstance(wanted_ids, list) else [wanted_ids])
            ]
            members = [m for m in members if m.user_id in ids]
            not_found = [str(i) for i in ids if i not in guild.members]
        else:
            query = str(request.get("query", "")).lower()
            members = [
                m for m in members if world.users[m.user_id].username.lower().startswith(query)
            ]
            limit = _as_int(request.get("limit", 0))
            if limit > 0:
                members = members[:limit]
        chunks = [members[i : i + 1000] for i in range(0, len(members), 1000)] or [[]]
        for index, chunk in enumerate(chunks):
            data: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [member_payload(m, world.users[m.user_id]) for m in chunk],
                "chunk_index": index,
                "chunk_count": len(chunks),
                "not_found": not_found,
            }
            if request.get("nonce") is not None:
                data["nonce"] = request["nonce"]
            session.dispatch("GUILD_MEMBERS_CHUNK", data)

    # -- fan-out ------------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        self._expire()
        self.services.counters.gateway["events"] += 1
        world = self.services.world
        for session in list(self.sessions.values()):
            user_id = session.bot.user_id
            if event.only_user_id is not None and event.only_user_id != user_id:
                continue
            if event.intent and not session.intents & event.intent:
                continue
            if not session.sees_guild(event.guild_id):
                continue
            guild = world.guilds.get(event.guild_id) if event.guild_id is not None else None
            member_of = guild is not None and user_id in guild.members
            if event.name == "GUILD_CREATE":
                if guild is not None and member_of:
                    session.dispatch(
                        event.name, self.guild_create_payload(session, guild.id, joined=True)
                    )
                continue
            if event.name != "GUILD_DELETE" and event.guild_id is not None and not member_of:
                continue
            data = event.data
            if (
                event.name in MESSAGE_EVENTS
                and not session.intents & INTENT_MESSAGE_CONTENT
                and event.author_id != user_id
                and user_id not in event.mention_ids
            ):
                data = strip_message_content(data)
            session.dispatch(event.name, data)
            self.services.counters.gateway["dispatched"] += 1

    # -- forced failures (tests) --------------------------------------------------------
    def _targets(self, session_id: str | None) -> list[Session]:
        return [
            s
            for s in self.sessions.values()
            if s.connection is not None and (session_id is None or s.id == session_id)
        ]

    def force_disconnect(self, code: int | None = 4000, session_id: str | None = None) -> int:
        """Close live connections with ``code`` (None: cut TCP with no close frame)."""
        targets = self._targets(session_id)
        for session in targets:
            assert session.connection is not None
            session.connection.close(code)
        return len(targets)

    def send_reconnect(self, session_id: str | None = None) -> int:
        targets = self._targets(session_id)
        for session in targets:
            assert session.connection is not None
            session.connection.send_op(7, None)
        return len(targets)

    def invalidate_session(self, resumable: bool = False, session_id: str | None = None) -> int:
        targets = self._targets(session_id)
        for session in targets:
            assert session.connection is not None
            session.connection.send_op(9, resumable)
            if not resumable:
                self.drop_session(session)
        return len(targets)

    def request_heartbeat(self, session_id: str | None = None) -> int:
        targets = self._targets(session_id)
        for session in targets:
            assert session.connection is not None
            session.connection.send_op(1, session.seq)
        return len(targets)


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
