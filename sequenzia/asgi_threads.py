"""Django's ASGI handler with a fixed pool of threads for synchronous code.

Django's own handler gives every request a fresh thread for its synchronous
parts (views, the ORM). Database connections belong to threads, so every
request also opened a new database connection (measured: 100 requests, 100
MariaDB connections), and ``CONN_MAX_AGE`` could not keep one. Here each
request borrows one of ``WEB_SYNC_THREADS`` long-lived threads for its whole
life (its sync calls still run on one thread, as Django requires) and gives it
back at the end, the way a threaded WSGI server works; with
``DATABASE_CONN_MAX_AGE`` set, connections now live across requests. A slow
request (a large upload) holds one thread; the others keep serving.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler


class PooledThreadsASGIHandler(ASGIHandler):
    #: Django cuts every body into ``chunk_size`` messages (64 KiB by default),
    #: which for a streamed file means a slice copy and an ASGI send per 64 KiB.
    #: CDS streams in 1 MiB pieces; send each as one message.
    chunk_size = 1024 * 1024

    def __init__(self, threads: int) -> None:
        super().__init__()
        self.threads = threads
        self._free: asyncio.Queue[ThreadPoolExecutor] | None = None

    def _pool(self) -> asyncio.Queue[ThreadPoolExecutor]:
        # Made on first use, inside the server's event loop.
        if self._free is None:
            self._free = asyncio.LifoQueue()  # the most recently used thread first
            for index in range(self.threads):
                self._free.put_nowait(
                    ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"django-sync-{index}")
                )
        return self._free

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        pool = self._pool()
        executor = await pool.get()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            pool.put_nowait(executor)
