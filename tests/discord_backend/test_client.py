"""The per-process discord.py client: timeouts, bans, bad tokens, forks."""

from __future__ import annotations

import hashlib
import io
import os
import time

import pytest

from junefs.backends import Locator
from junefs.backends.discord.client import get_session
from junefs.errors import BackendError, BackendRefused
from junefs.upload import part_target
from tests.discord_backend.conftest import World

CREATE = "POST /channels/{channel_id}/messages"


def put_bytes(world: World, data: bytes, name: str = "x.bin") -> Locator:
    return world.backend.put(
        io.BytesIO(data),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        name=name,
        target=part_target(world.server),
    )


def test_a_request_that_times_out_is_retried_and_its_message_not_duplicated(world: World, settings):  # type: ignore[no-untyped-def]
    settings.DISCORD_REQUEST_TIMEOUT = 0.4
    slow = world.emulator.faults.latency(0.8, route=CREATE, count=1)
    started = time.monotonic()
    locator = put_bytes(world, b"slow but sure")
    assert slow.fired == 1
    # Let the abandoned request run its course on the server before counting messages.
    time.sleep(max(0.0, 0.9 - (time.monotonic() - started)))
    (message,) = world.bot_messages(world.parts_channels[0])
    assert message.id == locator.message_id


def test_a_cloudflare_ban_is_not_hammered(world: World):  # type: ignore[no-untyped-def]
    put_bytes(world, b"before the ban")
    world.emulator.set_invalid_request_limit(2, ban_seconds=60)
    # Two 429s (invalid requests) get this address banned; the third try meets the ban.
    world.emulator.faults.rate_limit_storm(count=2, route=CREATE, retry_after=0.01)
    world.emulator.reset_counters()
    with pytest.raises(BackendError, match="Cloudflare ban"):
        put_bytes(world, b"banned")
    assert world.emulator.counters()["requests_by_route"][CREATE] == 3  # then it stopped


def test_a_bad_token_is_refused_in_one_clear_line(world: World, settings):  # type: ignore[no-untyped-def]
    settings.DISCORD_TOKEN = "not-the-token"
    with pytest.raises(BackendRefused, match=r"Discord refused DISCORD_TOKEN \(401"):
        put_bytes(world, b"nope")


def test_a_forked_child_makes_its_own_client(world: World):  # type: ignore[no-untyped-def]
    locator = put_bytes(world, b"made before the fork")
    parent_session = get_session()
    pid = os.fork()
    if pid == 0:  # the child: Celery's prefork worker, say
        status = 1
        try:
            child_session = get_session()
            fresh = child_session is not parent_session and child_session.pid == os.getpid()
            if fresh and world.backend.exists(locator):
                status = 0
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert get_session() is parent_session  # the parent's is untouched
    assert world.backend.exists(locator)
