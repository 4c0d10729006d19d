"""Real servers for the CDS tests: the ASGI app under uvicorn, nginx, a misbehaving peer.

Servers share the test database (tests using them need ``transactional_db`` so
rows are committed) and get their own store and backend folders through the
environment, like separate machines would.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings

from tests import nginx_site
from tests.processes import ROOT, child_env, free_port, wait_for

NGINX = "/usr/sbin/nginx"


def server_env(**overrides: str) -> dict[str, str]:
    """The test's database, store and backend (tests.processes), plus what CDS needs."""
    defaults = {
        "SECRET_KEY": settings.SECRET_KEY,  # so the test's session cookies are valid
        "JUNEFS_STORAGES_LOCATION": str(settings.JUNEFS_STORAGES_LOCATION),
        "CDS_AUDIT_FLUSH_SECONDS": "0.2",
        "CDS_UNPACK_SPANNED": "0",
        "CDS_DAMAGED_RETRY_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    return child_env(**{**defaults, **overrides})


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def uvicorn_command(port: int) -> list[str]:
    """The site's ASGI application under uvicorn on a loopback port, as ``make run`` serves."""
    return [
        sys.executable,
        "-m",
        "sequenzia.webserver",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


@contextmanager
def cds_server(log: Path, **env: str) -> Iterator[str]:
    """The ASGI application under uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            uvicorn_command(port),
            cwd=ROOT,
            env=server_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/cds/health", process)
        yield base
    finally:
        stop(process)


def nginx_config(
    upstream: str, store_dir: Path, port: int, workdir: Path, *, fast_path: bool = False
) -> str:
    """deploy/nginx/sequenzia.conf with this test's values, in a main config of its own.

    ``fast_path`` turns the option on the way deploy/README.md says: the two
    ``include`` lines marked OPTION, with the shipped snippets (their own
    CHANGE lines pointed into ``workdir``: the decision cache and
    ``cds-audit.log``).
    """
    site = nginx_site.site(upstream, store_dir, port, workdir, fast_path=fast_path)
    return nginx_site.main_conf(workdir, site, access_log=str(workdir / "access.log"))


@contextmanager
def nginx(
    upstream: str, store_dir: Path, workdir: Path, *, fast_path: bool = False
) -> Iterator[str]:
    """Debian's nginx in front of ``upstream`` with the shipped config; yields its base URL."""
    if not os.path.exists(NGINX):
        import pytest

        pytest.skip("Debian's nginx is not installed (scripts/system-deps.sh test)")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_config(upstream, store_dir, port, workdir, fast_path=fast_path))
    process = subprocess.Popen(
        [NGINX, "-p", str(workdir), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "stderr.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/cds/health", process)
        yield base
    finally:
        stop(process)
        shutil.copy(workdir / "error.log", workdir / "error.log.keep")


class _BadPeer(BaseHTTPRequestHandler):
    """Answers every hash with bytes that are not those."""

    def do_GET(self) -> None:
        payload = b"definitely not what you asked for" * 100
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.server.hits += 1  # type: ignore[attr-defined]

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def bad_peer() -> Iterator[tuple[str, ThreadingHTTPServer]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BadPeer)
    server.hits = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()
