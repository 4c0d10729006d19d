"""Discord snowflakes and the emulator's clock.

A snowflake is ``(ms since 2015-01-01) << 22 | worker << 17 | process << 12 | increment``
(https://discord.com/developers/docs/reference#snowflakes). Every id the emulator
hands out is made here, from the same clock that stamps messages, so
``discord.utils.snowflake_time(message.id) == message.created_at`` as on Discord.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

DISCORD_EPOCH_MS = 1_420_070_400_000
WORKER_ID = 1
PROCESS_ID = 0


class Clock:
    """Wall clock with a test-controlled offset (for expiry and 14-day rules)."""

    def __init__(self) -> None:
        self._offset = 0.0

    def time(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the emulator clock only moves forward")
        self._offset += seconds

    @property
    def offset(self) -> float:
        return self._offset


class SnowflakeGenerator:
    """Strictly increasing snowflakes stamped with the clock's current millisecond."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last_ms = 0
        self._increment = 0

    def next(self) -> int:
        with self._lock:
            ms = max(int(self._clock.time() * 1000), self._last_ms)
            if ms == self._last_ms:
                self._increment += 1
                if self._increment > 0xFFF:
                    ms += 1
                    self._increment = 0
            else:
                self._increment = 0
            self._last_ms = ms
            return make_snowflake(ms, self._increment)

    def at(self, when: dt.datetime) -> int:
        """A snowflake for a past moment (backdated messages made by tests)."""
        with self._lock:
            self._increment = (self._increment + 1) & 0xFFF
            return make_snowflake(int(when.timestamp() * 1000), self._increment)


def make_snowflake(unix_ms: int, increment: int = 0) -> int:
    return ((unix_ms - DISCORD_EPOCH_MS) << 22) | (WORKER_ID << 17) | (PROCESS_ID << 12) | increment


def snowflake_unix_ms(snowflake: int) -> int:
    return (snowflake >> 22) + DISCORD_EPOCH_MS


def snowflake_datetime(snowflake: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(snowflake_unix_ms(snowflake) / 1000, tz=dt.UTC)


def iso_timestamp(moment: dt.datetime) -> str:
    """ISO 8601 as Discord writes it: ``2024-01-02T03:04:05.678000+00:00``."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def snowflake_timestamp(snowflake: int) -> str:
    return iso_timestamp(snowflake_datetime(snowflake))
