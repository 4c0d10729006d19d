"""Discord's REST rate limits: per-route buckets, the global limit, invalid requests.

https://discord.com/developers/docs/topics/rate-limits: headers on every response
(``X-RateLimit-Limit/Remaining/Reset/Reset-After/Bucket``), 429 bodies
``{message, retry_after, global}`` with ``X-RateLimit-Scope`` and ``Retry-After``,
50 requests/s global per bot, and 10,000 invalid (401/403/429) requests per
10 minutes before Cloudflare bans the IP (429 without Discord's headers).
Bucket sizes are Discord-like defaults, not Discord's exact (undocumented) numbers.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from dataclasses import dataclass

from .snowflake import Clock

# route key (as discord.py's Route.key) -> bucket name
ROUTE_BUCKETS: dict[str, str] = {
    "POST /channels/{channel_id}/messages": "message_create",
    "PATCH /channels/{channel_id}/messages/{message_id}": "message_edit",
    "DELETE /channels/{channel_id}/messages/{message_id}": "message_delete",
    "POST /channels/{channel_id}/messages/bulk-delete": "bulk_delete",
    "GET /channels/{channel_id}/messages": "message_read",
    "GET /channels/{channel_id}/messages/{message_id}": "message_read",
    "POST /guilds/{guild_id}/channels": "channel_create",
    "PATCH /channels/{channel_id}": "channel_edit",
    "DELETE /channels/{channel_id}": "channel_delete",
    "POST /attachments/refresh-urls": "refresh_urls",
}


@dataclass
class BucketSpec:
    limit: int
    window: float


DEFAULT_BUCKETS: dict[str, BucketSpec] = {
    "message_create": BucketSpec(5, 5.0),
    "message_edit": BucketSpec(5, 5.0),
    "message_delete": BucketSpec(5, 5.0),
    "bulk_delete": BucketSpec(1, 1.0),
    "message_read": BucketSpec(50, 1.0),
    "channel_create": BucketSpec(5, 5.0),
    "channel_edit": BucketSpec(5, 5.0),
    "channel_delete": BucketSpec(5, 5.0),
    "refresh_urls": BucketSpec(5, 5.0),
    "default": BucketSpec(50, 1.0),
}


@dataclass
class Window:
    """A fixed window that opens at its first request, like Discord's buckets."""

    limit: int
    length: float
    remaining: int = 0
    reset_at: float = 0.0

    def hit(self, now: float) -> bool:
        if now >= self.reset_at:
            self.remaining = self.limit
            self.reset_at = now + self.length
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True


@dataclass
class RouteDecision:
    allowed: bool
    bucket_hash: str
    limit: int
    remaining: int
    reset_at: float
    reset_after: float

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            # Absolute time in the client's (real) clock, even after advance_clock().
            "X-RateLimit-Reset": f"{time.time() + self.reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{self.reset_after:.3f}",
            "X-RateLimit-Bucket": self.bucket_hash,
        }


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


class RateLimiter:
    def __init__(
        self,
        clock: Clock,
        *,
        global_limit: int = 50,
        global_window: float = 1.0,
        invalid_limit: int = 10_000,
        invalid_window: float = 600.0,
        ban_seconds: float = 3600.0,
    ) -> None:
        self.clock = clock
        self.specs: dict[str, BucketSpec] = {
            k: BucketSpec(v.limit, v.window) for k, v in DEFAULT_BUCKETS.items()
        }
        self.global_spec = BucketSpec(global_limit, global_window)
        self.invalid_limit = invalid_limit
        self.invalid_window = invalid_window
        self.ban_seconds = ban_seconds
        self.banned_until = 0.0
        self._windows: dict[tuple[str, str], Window] = {}
        self._global: dict[int, Window] = {}
        self._invalid: deque[float] = deque()

    # -- configuration ---------------------------------------------------------------
    def set_bucket(self, name: str, limit: int, window: float) -> None:
        if name not in self.specs:
            raise KeyError(f"unknown bucket {name!r}; known: {sorted(self.specs)}")
        self.specs[name] = BucketSpec(limit, window)
        self._windows = {k: w for k, w in self._windows.items() if k[0] != name}

    def set_global(self, limit: int, window: float = 1.0) -> None:
        self.global_spec = BucketSpec(limit, window)
        self._global.clear()

    # -- checks ----------------------------------------------------------------------
    @staticmethod
    def bucket_name(route_key: str) -> str:
        return ROUTE_BUCKETS.get(route_key, "default")

    def bucket_hash(self, route_key: str) -> str:
        name = self.bucket_name(route_key)
        seed = route_key if name == "default" else name
        return hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest()

    def check_global(self, bot_user_id: int) -> float | None:
        """Counts one request; returns seconds to wait when over the global limit."""
        now = self.clock.time()
        spec = self.global_spec
        window = self._global.setdefault(bot_user_id, Window(spec.limit, spec.window))
        if window.hit(now):
            return None
        return max(window.reset_at - now, 0.001)

    def check_route(self, route_key: str, major: str) -> RouteDecision:
        name = self.bucket_name(route_key)
        spec = self.specs[name]
        key = (name if name != "default" else route_key, major)
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = Window(spec.limit, spec.window)
        now = self.clock.time()
        allowed = window.hit(now)
        return RouteDecision(
            allowed,
            self.bucket_hash(route_key),
            window.limit,
            window.remaining,
            window.reset_at,
            max(window.reset_at - now, 0.0),
        )

    # -- invalid requests and the Cloudflare ban ----------------------------------------
    def record_invalid(self) -> None:
        now = self.clock.time()
        self._invalid.append(now)
        self._trim(now)
        if len(self._invalid) >= self.invalid_limit:
            self.banned_until = now + self.ban_seconds

    def invalid_count(self) -> int:
        self._trim(self.clock.time())
        return len(self._invalid)

    def is_banned(self) -> bool:
        return self.clock.time() < self.banned_until

    def _trim(self, now: float) -> None:
        while self._invalid and self._invalid[0] <= now - self.invalid_window:
            self._invalid.popleft()
