"""The web server: uvicorn, with TCP_NODELAY on every connection.

``python -m sequenzia.webserver [--workers N] [--host H] [--port P] ...`` runs
``sequenzia.asgi:application`` (or ``--wsgi``) under uvicorn. It exists for
one reason, measured on this project's benchmark: with ``--workers`` uvicorn
binds the listening socket itself as ``socket.socket(AF_INET)``, whose
``proto`` is 0, and asyncio only turns Nagle's algorithm off for sockets
whose ``proto`` is ``IPPROTO_TCP``. A response goes out in two writes
(headers, then body), so on a kept-alive connection the body waits for the
client's delayed ACK: every request took 44 ms instead of 2 ms (loopback,
2 workers), whatever the view did. The protocol below sets TCP_NODELAY on
each accepted connection, whoever bound the socket.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
from contextlib import suppress

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with suppress(OSError):  # a connection already gone
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with Nagle's algorithm off for its connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sequenzia.webserver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--wsgi", action="store_true", help="serve sequenzia.wsgi (HTTP only)")
    parser.add_argument("--lifespan", choices=["auto", "on", "off"], default="on")
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args(argv)
    uvicorn.run(
        "sequenzia.wsgi:application" if args.wsgi else "sequenzia.asgi:application",
        interface="wsgi" if args.wsgi else "auto",
        host=args.host,
        port=args.port,
        workers=args.workers,
        http=NoDelayHttpToolsProtocol,
        lifespan="off" if args.wsgi else args.lifespan,
        log_level=args.log_level,
        access_log=not args.no_access_log,
        server_header=False,
    )


if __name__ == "__main__":
    main()
