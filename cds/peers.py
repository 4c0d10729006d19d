"""Peer load: CDS nodes fetch objects from each other by hash.

``CDS_PEERS`` lists the other nodes. On a cache miss a node asks each peer
for ``/cds/h/<sha256>`` with the shared node credential (``CDS_NODE_TOKEN``);
a peer answers such requests from its own store only (never from its backend
or its peers, so nodes never ask each other in circles). The asking node
checks the sha256 of what arrives before keeping it: a peer is a copy like
any other and may be wrong.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator

import aiohttp
from django.conf import settings
from django.http import HttpRequest

from junefs.backends.httpread import READ_BUFFER
from junefs.errors import BackendError, ObjectMissing

SCHEME = "CDS-Node"
READ_SIZE = 1024 * 1024


def node_headers() -> dict[str, str]:
    """What this node sends to prove it is one of the cluster's nodes."""
    return {
        "Authorization": f"{SCHEME} {settings.CDS_NODE_TOKEN}",
        "X-CDS-Node": settings.CDS_NODE_NAME,
    }


def peer_node(request: HttpRequest) -> str | None:
    """The name of the peer node making this request, or None if it is not one."""
    token = settings.CDS_NODE_TOKEN
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme != SCHEME or not hmac.compare_digest(presented, token):
        return None
    return request.headers.get("X-CDS-Node", "peer")[:60] or "peer"


def peers_enabled() -> bool:
    return bool(settings.CDS_PEERS and settings.CDS_NODE_TOKEN)


async def stream_from_peer(base_url: str, sha256: str) -> AsyncIterator[bytes]:
    """The bytes a peer sends for ``sha256`` (unverified: the caller checks them).

    Raises ObjectMissing when the peer does not have it, BackendError when the
    peer cannot be reached or fails.
    """
    timeout = aiohttp.ClientTimeout(
        total=None, connect=settings.CDS_PEER_TIMEOUT, sock_read=settings.CDS_PEER_TIMEOUT
    )
    url = f"{base_url}/cds/h/{sha256}"
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout, read_bufsize=READ_BUFFER) as session,
            session.get(url, headers=node_headers(), allow_redirects=False) as response,
        ):
            if response.status == 404:
                raise ObjectMissing(f"{base_url} does not have {sha256}")
            if response.status != 200:
                raise BackendError(f"{base_url} answered {response.status}")
            async for chunk in response.content.iter_chunked(READ_SIZE):
                yield chunk
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise BackendError(f"{base_url}: {exc.__class__.__name__} {exc}") from exc
