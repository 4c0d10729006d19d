"""A bare ASGI app for the CDS benchmark: ``/lean/<store path>`` answers X-Accel-Redirect.

No Django, no session, no access check, no audit: the most any design that
runs Python for every request could get out of one web process (see
:mod:`bench.cds_offload`).
"""

from __future__ import annotations

from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    path = scope["path"].removeprefix("/lean/")
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"x-accel-redirect", b"/_cds_store/" + path.encode()),
                (b"content-type", b"application/octet-stream"),
                (b"content-length", b"0"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})
