"""sequenzia.webserver: uvicorn with Nagle's algorithm off on every connection.

With ``--workers``, uvicorn binds the listening socket as ``socket.socket(AF_INET)``
(``proto`` 0) and asyncio then leaves Nagle on for the connections it accepts,
so a response's body waits for the client's delayed ACK. These tests serve
through a socket bound exactly that way and read the option off the server's
own end of a real connection.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sequenzia.webserver import NoDelayHttpToolsProtocol
from tests.cds.servers import ROOT, free_port, server_env, stop, wait_for


async def _app(scope, receive, send):  # type: ignore[no-untyped-def]
    # Two writes, as Django's handler makes: the headers, then the body.
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _server_side_nodelay(protocol: type[asyncio.Protocol]) -> int:
    config = uvicorn.Config(_app, host="127.0.0.1", port=0, http=protocol, log_level="warning")
    listening = config.bind_socket()  # what uvicorn does for --workers
    assert listening.proto == 0, "the premise: a socket asyncio leaves Nagle on for"
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        port = listening.getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        (connection,) = server.server_state.connections
        sock = connection.transport.get_extra_info("socket")  # type: ignore[attr-defined]
        value = int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()
        return value
    finally:
        server.should_exit = True
        await serving


def test_connections_on_a_socket_bound_as_for_workers_have_nagle_off() -> None:
    assert asyncio.run(_server_side_nodelay(NoDelayHttpToolsProtocol)) == 1


def test_without_it_uvicorn_leaves_nagle_on_so_the_fix_is_needed() -> None:
    assert asyncio.run(_server_side_nodelay(HttpToolsProtocol)) == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_serve_the_site_over_kept_alive_connections(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "sequenzia.webserver", "--port", str(port), "--workers", "2"]
    with (tmp_path / "server.log").open("ab") as out:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"],
            cwd=ROOT,
            env=server_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz", process)
        with httpx.Client(base_url=base) as client:
            answers = [client.get("/healthz") for _ in range(20)]
            login = client.get("/accounts/login/")
        assert [a.status_code for a in answers] == [200] * 20
        assert {a.text for a in answers} == {"ok"}
        assert "server" not in answers[0].headers  # no server banner
        assert login.status_code == 200 and 'name="csrfmiddlewaretoken"' in login.text
    finally:
        stop(process)
