"""A lease: at most one process is active; a standby takes over when it expires.

Two implementations with one interface: a database row (the default) and a
Redis key (when ``REDIS_URL`` is set). Both keep the expiry on the server
(the database's clock, Redis' TTL), so machines with skewed clocks agree on
when a lease ran out. Every method is sync: async callers go through
``sync_to_async``.
"""

from __future__ import annotations

import functools
import os
import socket
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol, TypeVar

from django.conf import settings
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    models,
    transaction,
)
from django.db.models import Q
from django.db.models.functions import Now

from junefs.models import ProcessLease

T = TypeVar("T")


class Lease(Protocol):
    name: str
    holder: str
    ttl: float

    def acquire(self) -> bool:
        """Take the lease if it is free or expired (or renew it if ours)."""

    def renew(self) -> bool:
        """Extend our lease; False when it is no longer ours."""

    def release(self) -> None:
        """Give the lease up now (only if ours)."""

    def current_holder(self) -> str | None:
        """Who holds an unexpired lease, if anyone."""


def holder_id() -> str:
    """Names this process: host, pid and a random tag (pids repeat across hosts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _later(seconds: float) -> models.Expression:
    return models.ExpressionWrapper(
        Now() + timedelta(seconds=seconds), output_field=models.DateTimeField()
    )


def _reconnecting(method: Callable[[DatabaseLease], T]) -> Callable[[DatabaseLease], T]:
    """A long-lived process outlives database connections (server restarts, idle
    timeouts): on a connection error, drop the connection and try once more."""

    @functools.wraps(method)
    def wrapper(self: DatabaseLease) -> T:
        try:
            return method(self)
        except (OperationalError, InterfaceError):
            connection.close()
            return method(self)

    return wrapper


class DatabaseLease:
    """A ``ProcessLease`` row taken and renewed with conditional UPDATEs."""

    def __init__(self, name: str, holder: str, ttl: float) -> None:
        self.name, self.holder, self.ttl = name, holder, ttl

    @_reconnecting
    def acquire(self) -> bool:
        rows = ProcessLease.objects.filter(name=self.name)
        if rows.filter(holder=self.holder).update(expires_at=_later(self.ttl)):
            return True
        taken = rows.filter(expires_at__lt=Now()).update(
            holder=self.holder, expires_at=_later(self.ttl), acquired_at=Now()
        )
        if taken:
            return True
        try:
            with transaction.atomic():
                ProcessLease.objects.create(
                    name=self.name,
                    holder=self.holder,
                    expires_at=_later(self.ttl),
                    acquired_at=Now(),
                )
        except IntegrityError:
            return False  # someone holds it (or took it a moment ago)
        return True

    @_reconnecting
    def renew(self) -> bool:
        rows = ProcessLease.objects.filter(name=self.name, holder=self.holder)
        return rows.filter(expires_at__gt=Now()).update(expires_at=_later(self.ttl)) == 1

    @_reconnecting
    def release(self) -> None:
        ProcessLease.objects.filter(name=self.name, holder=self.holder).delete()

    @_reconnecting
    def current_holder(self) -> str | None:
        live = ProcessLease.objects.filter(Q(name=self.name) & Q(expires_at__gt=Now()))
        return live.values_list("holder", flat=True).first()


class RedisLease:
    """A Redis key set with NX and a TTL; renew and release check who holds it."""

    _RENEW = (
        "if redis.call('get', KEYS[1]) == ARGV[1] then "
        "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
    )
    _RELEASE = (
        "if redis.call('get', KEYS[1]) == ARGV[1] then "
        "return redis.call('del', KEYS[1]) else return 0 end"
    )

    def __init__(self, name: str, holder: str, ttl: float, url: str) -> None:
        import redis

        self.name, self.holder, self.ttl = name, holder, ttl
        self.key = f"{settings.INSTANCE_PREFIX}:lease:{name}"
        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    @property
    def _ttl_ms(self) -> int:
        return max(1, round(self.ttl * 1000))

    def acquire(self) -> bool:
        if self._redis.set(self.key, self.holder, nx=True, px=self._ttl_ms):
            return True
        return self.renew()

    def renew(self) -> bool:
        return bool(self._redis.eval(self._RENEW, 1, self.key, self.holder, self._ttl_ms))

    def release(self) -> None:
        self._redis.eval(self._RELEASE, 1, self.key, self.holder)

    def current_holder(self) -> str | None:
        value = self._redis.get(self.key)
        return value.decode() if isinstance(value, bytes) else value


def get_lease(name: str = "discord_io", *, holder: str | None = None) -> Lease:
    """The lease for ``name``: Redis when REDIS_URL is set, else the database."""
    holder = holder or holder_id()
    ttl = float(settings.DISCORD_IO_LEASE_SECONDS)
    if settings.REDIS_URL:
        return RedisLease(name, holder, ttl, settings.REDIS_URL)
    return DatabaseLease(name, holder, ttl)
