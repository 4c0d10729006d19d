"""Under ASGI, requests run their sync code on a fixed pool of long-lived threads."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from sequenzia.asgi_threads import PooledThreadsASGIHandler


@pytest.mark.urls("tests.web.thread_urls")
async def test_requests_reuse_a_fixed_set_of_threads() -> None:
    app = PooledThreadsASGIHandler(threads=2)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        one_by_one = [(await client.get("/thread/")).text for _ in range(5)]
        together = await asyncio.gather(*(client.get("/thread/") for _ in range(8)))
    assert len(set(one_by_one)) == 1 and one_by_one[0].startswith("django-sync-")
    names = {r.text for r in together}
    assert all(r.status_code == 200 for r in together)
    assert names <= {"django-sync-0_0", "django-sync-1_0"}


async def test_only_http() -> None:
    app = PooledThreadsASGIHandler(threads=1)
    with pytest.raises(ValueError, match="only handle ASGI/HTTP"):
        await app({"type": "websocket"}, None, None)
