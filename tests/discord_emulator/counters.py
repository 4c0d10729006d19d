"""What the emulator saw, for tests to assert on (read with ``Emulator.counters()``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Counters:
    requests_by_route: Counter[str] = field(default_factory=Counter)
    responses_by_status: Counter[int] = field(default_factory=Counter)
    # 429s sent, by X-RateLimit-Scope ("user", "global") plus "forced" for injected storms
    # and "cloudflare" for the ban answer.
    rate_limited: Counter[str] = field(default_factory=Counter)
    request_bytes: int = 0
    bytes_uploaded: int = 0
    cdn_bytes_sent: int = 0
    cdn_fetches: Counter[int] = field(default_factory=Counter)
    cdn_responses_by_status: Counter[int] = field(default_factory=Counter)
    faults_fired: Counter[str] = field(default_factory=Counter)
    gateway: Counter[str] = field(default_factory=Counter)

    @property
    def total_429(self) -> int:
        return sum(self.rate_limited.values())

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests_by_route": dict(self.requests_by_route),
            "responses_by_status": {str(k): v for k, v in self.responses_by_status.items()},
            "rate_limited": dict(self.rate_limited),
            "total_429": self.total_429,
            "request_bytes": self.request_bytes,
            "bytes_uploaded": self.bytes_uploaded,
            "cdn_bytes_sent": self.cdn_bytes_sent,
            "cdn_fetches": {str(k): v for k, v in self.cdn_fetches.items()},
            "cdn_responses_by_status": {str(k): v for k, v in self.cdn_responses_by_status.items()},
            "faults_fired": dict(self.faults_fired),
            "gateway": dict(self.gateway),
        }
