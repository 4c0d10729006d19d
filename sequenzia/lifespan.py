"""The ASGI lifespan of the web process: what must happen when it stops.

A graceful stop (SIGTERM or Ctrl-C under uvicorn with ``--lifespan on``)
writes the content server's buffered access audit and counters before the
process goes: those records are the audit, and uvicorn's stop on SIGTERM
skips atexit handlers.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async


async def lifespan(scope: dict[str, Any], receive: Any, send: Any) -> None:
    from cds.audit import flush_at_shutdown

    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await sync_to_async(flush_at_shutdown, thread_sensitive=False)()
            await send({"type": "lifespan.shutdown.complete"})
            return
