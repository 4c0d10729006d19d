"""The lease: one holder at a time, taken over once it expires (database and Redis)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.conf import settings

from junefs.discord_io.lease import DatabaseLease, Lease, RedisLease
from tests.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

MakeLease = Callable[..., Lease]


@pytest.fixture(params=["database", "redis"])
def make_lease(request: pytest.FixtureRequest) -> MakeLease:
    name = f"test-{uuid.uuid4().hex[:8]}"
    if request.param == "redis":
        url = request.getfixturevalue("requires_redis")
        return lambda holder, ttl=5.0: RedisLease(name, holder, ttl, url)
    return lambda holder, ttl=5.0: DatabaseLease(name, holder, ttl)


def test_one_holder_at_a_time(make_lease: MakeLease) -> None:
    a, b = make_lease("a"), make_lease("b")
    assert a.current_holder() is None
    assert a.acquire() and not b.acquire()
    assert a.acquire()  # taking it again is renewing it
    assert a.renew() and not b.renew()
    assert b.current_holder() == "a"
    b.release()  # not b's to release
    assert a.current_holder() == "a"
    a.release()
    assert a.current_holder() is None
    assert b.acquire() and not a.renew()


def test_an_expired_lease_is_taken_over(make_lease: MakeLease) -> None:
    a, b = make_lease("a", ttl=0.3), make_lease("b", ttl=30.0)
    assert a.acquire()
    wait_until(b.acquire, timeout=10, what="the standby to take the expired lease")
    assert not a.renew()  # the old holder learns it lost the lease
    assert a.current_holder() == "b"


def test_redis_lease_keys_carry_the_instance_prefix(requires_redis: str) -> None:
    lease = RedisLease("discord_io", "me", 1.0, requires_redis)
    assert lease.key == f"{settings.INSTANCE_PREFIX}:lease:discord_io"
