"""``Emulator``: start the Discord emulator in-process and drive it from tests.

    with Emulator() as emu:
        with emu.patch_discord():   # discord.py's REST base and gateway → the emulator
            ...

Every method is thread-safe: it runs on the emulator's own loop and returns the result.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, TypeVar

from . import operations as ops
from .app import EmulatorThread
from .faults import FaultPlan, FaultRule
from .models import GUILD_TEXT, Channel, Guild, Message, Role, User
from .operations import DefaultWorld
from .services import EmulatorConfig, Services
from .state import PRIVILEGED_INTENTS

T = TypeVar("T")


class Faults:
    """Thread-safe front of :class:`~.faults.FaultPlan` (same methods and arguments)."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    def _plan(self, name: str) -> Callable[..., FaultRule]:
        plan: FaultPlan = self._emulator.services.faults
        method: Callable[..., FaultRule] = getattr(plan, name)
        return lambda *a, **k: self._emulator.call(method, *a, **k)

    def latency(self, seconds: float, **kwargs: Any) -> FaultRule:
        return self._plan("latency")(seconds, **kwargs)

    def server_errors(self, **kwargs: Any) -> FaultRule:
        return self._plan("server_errors")(**kwargs)

    def drop_connections(self, **kwargs: Any) -> FaultRule:
        return self._plan("drop_connections")(**kwargs)

    def rate_limit_storm(self, **kwargs: Any) -> FaultRule:
        return self._plan("rate_limit_storm")(**kwargs)

    def cdn_truncate(self, **kwargs: Any) -> FaultRule:
        return self._plan("cdn_truncate")(**kwargs)

    def cdn_corrupt(self, **kwargs: Any) -> FaultRule:
        return self._plan("cdn_corrupt")(**kwargs)

    def cdn_drop(self, **kwargs: Any) -> FaultRule:
        return self._plan("cdn_drop")(**kwargs)

    def clear(self) -> None:
        self._emulator.call(self._emulator.services.faults.clear)


class Emulator:
    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        config = config or EmulatorConfig()
        for key, value in overrides.items():
            setattr(config, key, value)
        self.config = config
        self._thread = EmulatorThread(config)
        self.services: Services = self._thread.services
        self.faults = Faults(self)
        self.default: DefaultWorld | None = None

    # -- lifecycle ----------------------------------------------------------------
    def start(self) -> Emulator:
        self._thread.start()
        if self.config.default_world:
            self.default = self.call(ops.seed_default_world, self.services)
            self.services.default_world = self.default
        return self

    def stop(self) -> None:
        self._thread.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self._thread.call(function, *args, **kwargs)

    def _op(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self._thread.call(function, self.services, *args, **kwargs)

    # -- addresses ------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.services.base_url

    @property
    def api_base(self) -> str:
        return self.base_url + "/api/v10"

    @property
    def gateway_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's ``Route.BASE`` and ``DEFAULT_GATEWAY`` here, then restore."""
        import discord.gateway
        import discord.http
        import yarl

        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    # -- the default world ----------------------------------------------------------------
    def _default(self) -> DefaultWorld:
        if self.default is None:
            raise RuntimeError("started with default_world=False")
        return self.default

    @property
    def token(self) -> str:
        return self._default().token

    @property
    def bot(self) -> User:
        return self._default().bot

    @property
    def person(self) -> User:
        return self._default().person

    @property
    def guild(self) -> Guild:
        return self._default().guild

    @property
    def category(self) -> Channel:
        return self._default().category

    @property
    def channel(self) -> Channel:
        return self._default().channel

    # -- world ---------------------------------------------------------------------------
    def create_user(
        self,
        username: str,
        *,
        bot: bool = False,
        token: str | None = None,
        privileged_intents: int = PRIVILEGED_INTENTS,
    ) -> User:
        return self._op(
            ops.create_user, username, bot=bot, token=token, privileged_intents=privileged_intents
        )

    def token_for(self, user_id: int) -> str:
        return self._op(ops.token_for, user_id)

    def create_guild(
        self,
        name: str,
        *,
        owner_id: int | None = None,
        member_ids: Sequence[int] | None = None,
        premium_tier: int = 0,
    ) -> Guild:
        """A guild owned by ``owner_id`` (default: the person) with the default bot in it."""
        owner = owner_id if owner_id is not None else self.person.id
        members = list(member_ids) if member_ids is not None else [self.bot.id]
        return self._op(
            ops.create_guild, name, owner_id=owner, member_ids=members, premium_tier=premium_tier
        )

    def add_member(self, guild_id: int, user_id: int, role_ids: Sequence[int] = ()) -> None:
        self._op(ops.add_member, guild_id, user_id, role_ids)

    def remove_member(self, guild_id: int, user_id: int) -> None:
        self._op(ops.remove_member, guild_id, user_id)

    def create_role(
        self, guild_id: int, name: str, *, permissions: int = 0, color: int = 0
    ) -> Role:
        return self._op(ops.create_role, guild_id, name, permissions=permissions, color=color)

    def delete_role(self, guild_id: int, role_id: int) -> None:
        self._op(ops.delete_role, guild_id, role_id)

    def set_member_roles(self, guild_id: int, user_id: int, role_ids: Sequence[int]) -> None:
        """Replace a member's roles; connected clients get GUILD_MEMBER_UPDATE."""
        self._op(ops.set_member_roles, guild_id, user_id, role_ids)

    def create_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type: int = GUILD_TEXT,
        parent_id: int | None = None,
        topic: str | None = None,
    ) -> Channel:
        return self._op(
            ops.create_channel, guild_id, name, type=type, parent_id=parent_id, topic=topic
        )

    def update_channel(self, channel_id: int, **changes: Any) -> Channel:
        return self._op(ops.update_channel, channel_id, **changes)

    def delete_channel(self, channel_id: int) -> None:
        self._op(ops.delete_channel, channel_id)

    def post_message(
        self,
        channel_id: int,
        author_id: int,
        content: str = "",
        *,
        files: Sequence[tuple[str, bytes]] = (),
        embeds: list[dict[str, Any]] | None = None,
        created_at: dt.datetime | None = None,
    ) -> Message:
        """Post as a person (or anyone); ``created_at`` backdates the snowflake."""
        return self._op(
            ops.post_message,
            channel_id,
            author_id,
            content,
            files=files,
            embeds=embeds,
            created_at=created_at,
        )

    def delete_message(self, channel_id: int, message_id: int, *, emit_event: bool = True) -> None:
        self._op(ops.delete_message, channel_id, message_id, emit_event=emit_event)

    def messages(self, channel_id: int) -> list[Message]:
        return self._op(ops.list_messages, channel_id)

    def attachment_urls(self, attachment_id: int) -> tuple[str, str]:
        """Freshly signed ``(url, proxy_url)`` for an attachment."""
        return self._op(ops.attachment_urls, attachment_id)

    # -- limits, buckets, clock, config ----------------------------------------------------
    def set_limits(self, guild_id: int, **limits: Any) -> None:
        """attachment_bytes, request_bytes, max_attachments, content_chars, max_channels, ..."""
        self._op(ops.set_limits, guild_id, **limits)

    def set_premium_tier(self, guild_id: int, tier: int) -> None:
        self._op(ops.set_premium_tier, guild_id, tier)

    def set_bucket(self, name: str, limit: int, window: float) -> None:
        """Resize a route bucket (see ``bucket_names()``), e.g. ``"message_create"``."""
        self._op(ops.set_bucket, name, limit, window)

    def bucket_names(self) -> list[str]:
        return self._op(ops.bucket_names)

    def set_global_limit(self, limit: int, window: float = 1.0) -> None:
        self._op(ops.set_global_limit, limit, window)

    def set_invalid_request_limit(self, limit: int, *, ban_seconds: float = 60.0) -> None:
        self._op(ops.set_invalid_request_limit, limit, ban_seconds=ban_seconds)

    def configure(self, **changes: Any) -> None:
        """cdn_url_ttl, heartbeat_interval_ms, heartbeat_timeout_factor, session_ttl, ..."""
        self._op(ops.configure, **changes)

    def advance_clock(self, seconds: float) -> None:
        self._op(ops.advance_clock, seconds)

    # -- counters --------------------------------------------------------------------------
    def counters(self) -> dict[str, Any]:
        return self._op(ops.counters)

    def reset_counters(self) -> None:
        self._op(ops.reset_counters)

    # -- gateway ---------------------------------------------------------------------------
    def sessions(self) -> list[dict[str, Any]]:
        return self._op(ops.sessions)

    def force_disconnect(self, code: int | None = 4000, session_id: str | None = None) -> int:
        """Close gateway connections (``None``: cut TCP); sessions stay resumable."""
        return self._op(ops.force_disconnect, code, session_id)

    def send_reconnect(self, session_id: str | None = None) -> int:
        return self._op(ops.send_reconnect, session_id)

    def invalidate_session(self, resumable: bool = False, session_id: str | None = None) -> int:
        return self._op(ops.invalidate_session, resumable, session_id)

    def request_heartbeat(self, session_id: str | None = None) -> int:
        return self._op(ops.request_heartbeat, session_id)
