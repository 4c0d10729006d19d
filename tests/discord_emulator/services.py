"""Configuration and the bundle of services every handler reaches through the app."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from .counters import Counters
from .faults import FaultPlan
from .ratelimit import RateLimiter
from .snowflake import Clock, SnowflakeGenerator
from .state import Bot, World

if TYPE_CHECKING:
    from .cdn import CdnSigner
    from .messages import MessageStore
    from .operations import DefaultWorld
    from .sessions import GatewayHub


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 0
    # The default world: one bot, one person, one guild with a category and a text channel.
    default_world: bool = True
    bot_token: str = "emulator-bot-token"
    bot_name: str = "Sequenzia"
    # Attachment URLs live this long (Discord: about 24 h).
    cdn_url_ttl: float = 24 * 3600.0
    # Gateway: HELLO's interval; the server closes 4009 after interval * factor with no beat.
    heartbeat_interval_ms: int = 41_250
    heartbeat_timeout_factor: float = 1.5
    # A disconnected session stays resumable this long and replays at most this many events.
    session_ttl: float = 180.0
    resume_buffer: int = 10_000
    # Client payloads (not counting heartbeats) per connection per minute before 4008.
    gateway_send_limit: int = 120
    gateway_send_window: float = 60.0
    # Route buckets to resize at start: name -> (limit, window seconds); see ratelimit.py.
    buckets: dict[str, tuple[int, float]] = field(default_factory=dict)
    global_limit: int = 50
    global_window: float = 1.0
    invalid_request_limit: int = 10_000
    invalid_request_window: float = 600.0
    cloudflare_ban_seconds: float = 3600.0


@dataclass
class Services:
    config: EmulatorConfig
    clock: Clock
    world: World
    limiter: RateLimiter
    faults: FaultPlan
    counters: Counters = field(default_factory=Counters)
    base_url: str = ""
    default_world: DefaultWorld | None = None
    # Set by the app builder once the modules that need each other exist.
    cdn: CdnSigner = field(init=False)
    messages: MessageStore = field(init=False)
    gateway: GatewayHub = field(init=False)

    @classmethod
    def create(cls, config: EmulatorConfig) -> Services:
        clock = Clock()
        world = World(
            clock=clock, rng=random.Random(config.seed), snowflakes=SnowflakeGenerator(clock)
        )
        limiter = RateLimiter(
            clock,
            global_limit=config.global_limit,
            global_window=config.global_window,
            invalid_limit=config.invalid_request_limit,
            invalid_window=config.invalid_request_window,
            ban_seconds=config.cloudflare_ban_seconds,
        )
        for name, (limit, window) in config.buckets.items():
            limiter.set_bucket(name, limit, window)
        return cls(config, clock, world, limiter, FaultPlan(config.seed))


SERVICES: web.AppKey[Services] = web.AppKey("services", Services)
BOT: web.RequestKey[Bot] = web.RequestKey("bot", Bot)


def services_of(request: web.Request) -> Services:
    return request.app[SERVICES]


def bot_of(request: web.Request) -> Bot:
    """The bot the middleware authenticated for this request."""
    return request[BOT]


def int_arg(request: web.Request, name: str) -> int:
    return int(request.match_info[name])
