"""Fault injection, set per test: latency, 5xx, dropped connections, 429 storms, bad CDN bodies.

Rules match a route key as discord.py writes it (``"POST /channels/{channel_id}/messages"``),
``"CDN"`` for attachment downloads, or ``None`` for everything. Each fires ``count`` times
(``None`` = unlimited) until ``duration`` seconds pass, with ``probability`` drawn from a
seeded RNG so runs repeat.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

CDN = "CDN"


@dataclass
class FaultRule:
    kind: str
    route: str | None = None
    count: int | None = 1
    until: float | None = None
    probability: float = 1.0
    params: dict[str, Any] = field(default_factory=dict)
    fired: int = 0

    def active(self, now: float) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        return self.until is None or now < self.until


class FaultPlan:
    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.rules: list[FaultRule] = []

    def clear(self) -> None:
        self.rules.clear()

    def take(
        self, kind: str, route: str | None, attachment_id: int | None = None
    ) -> FaultRule | None:
        now = time.monotonic()
        self.rules = [r for r in self.rules if r.active(now)]
        for rule in self.rules:
            if rule.kind != kind or (rule.route is not None and rule.route != route):
                continue
            wanted = rule.params.get("attachment_id")
            if wanted is not None and wanted != attachment_id:
                continue
            if rule.probability < 1.0 and self.rng.random() >= rule.probability:
                continue
            if rule.count is not None:
                rule.count -= 1
            rule.fired += 1
            return rule
        return None

    def _add(
        self,
        kind: str,
        route: str | None,
        count: int | None,
        duration: float | None,
        probability: float = 1.0,
        **params: Any,
    ) -> FaultRule:
        if count is None and duration is None and probability >= 1.0 and kind != "latency":
            raise ValueError("give count or duration, or this fault never ends")
        until = None if duration is None else time.monotonic() + duration
        rule = FaultRule(kind, route, count, until, probability, params)
        self.rules.append(rule)
        return rule

    # -- REST and CDN -----------------------------------------------------------------
    def latency(
        self,
        seconds: float,
        *,
        route: str | None = None,
        count: int | None = None,
        duration: float | None = None,
    ) -> FaultRule:
        """Delay matching requests (REST routes, or ``"CDN"``) by ``seconds``."""
        return self._add("latency", route, count, duration, seconds=seconds)

    def server_errors(
        self,
        *,
        statuses: Sequence[int] = (500,),
        probability: float = 1.0,
        count: int | None = 1,
        duration: float | None = None,
        route: str | None = None,
    ) -> FaultRule:
        """Answer 500/502/... instead of handling the request (nothing is changed)."""
        return self._add(
            "server_error", route, count, duration, probability, statuses=tuple(statuses)
        )

    def drop_connections(
        self,
        *,
        when: str = "before",
        count: int | None = 1,
        route: str | None = None,
        probability: float = 1.0,
        duration: float | None = None,
    ) -> FaultRule:
        """Close the TCP connection: ``"before"`` handling, or ``"after"`` it (mid-body).

        ``"after"`` means the request took effect (a message was created) but the client
        never got the answer, as when a connection dies on the way back.
        """
        if when not in ("before", "after"):
            raise ValueError("when is 'before' or 'after'")
        return self._add(f"drop_{when}", route, count, duration, probability)

    def rate_limit_storm(
        self,
        *,
        count: int | None = None,
        duration: float | None = None,
        route: str | None = None,
        is_global: bool = False,
        retry_after: float = 0.05,
    ) -> FaultRule:
        """Answer 429 to matching requests for ``count`` requests or ``duration`` seconds."""
        return self._add(
            "storm", route, count, duration, is_global=is_global, retry_after=retry_after
        )

    def cdn_truncate(
        self, *, count: int | None = 1, attachment_id: int | None = None, keep_fraction: float = 0.5
    ) -> FaultRule:
        """Serve a short body with a matching Content-Length (only size/hash checks see it)."""
        return self._add(
            "cdn_truncate",
            CDN,
            count,
            None,
            attachment_id=attachment_id,
            keep_fraction=keep_fraction,
        )

    def cdn_corrupt(self, *, count: int | None = 1, attachment_id: int | None = None) -> FaultRule:
        """Serve the right length with some bytes flipped."""
        return self._add("cdn_corrupt", CDN, count, None, attachment_id=attachment_id)

    def cdn_drop(
        self, *, count: int | None = 1, attachment_id: int | None = None, keep_fraction: float = 0.5
    ) -> FaultRule:
        """Announce the full length, send part of it, then close the connection."""
        return self._add(
            "cdn_drop", CDN, count, None, attachment_id=attachment_id, keep_fraction=keep_fraction
        )

    def corrupt(self, data: bytes) -> bytes:
        if not data:
            return data
        damaged = bytearray(data)
        for _ in range(max(1, len(data) // 4096)):
            index = self.rng.randrange(len(damaged))
            damaged[index] ^= 0xFF
        return bytes(damaged)
