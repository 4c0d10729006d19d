"""Cached files: requests/s through Django, nginx offload, and nginx serving the file directly.

The same object, whole in the store, 8 concurrent clients for a few seconds:

* ``django``: the web process streams it (re-hashing it every time);
* ``nginx_offload``: nginx with the shipped config in front of the web
  process, which checks everything, writes the audit and answers
  ``X-Accel-Redirect``;
* ``nginx_direct``: nginx serving the store file from a plain location (no
  access check, no audit), the ceiling.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.cds_servers import ROOT, cds_server, free_port, nginx, nginx_temps

MiB = 1024 * 1024
READ = 1024 * 1024
CLIENTS = 8


def cached_file(size: int, name: str) -> Any:
    """A single-part file whose whole object is in the store."""
    from django.test import override_settings

    from junefs.ingest import IngestRequest, ingest
    from junefs.models import Channel, Server

    channel, _ = Channel.objects.get_or_create(
        name="bench-cached", defaults={"server": Server.default()}
    )
    request = IngestRequest(io.BytesIO(os.urandom(size)), name, channel, upload="inline")
    with override_settings(STORAGE_BACKEND="local"):  # the store holds it; the backend is moot
        return ingest(request).file


async def load(url: str, cookies: dict[str, str], size: int, seconds: float) -> float:
    """Requests per second for ``seconds`` with ``CLIENTS`` concurrent clients."""
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector, cookies=cookies) as session:
        done = 0
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop_at:
                async with session.get(url) as response:
                    received = 0
                    async for chunk in response.content.iter_chunked(READ):
                        received += len(chunk)
                    if response.status != 200 or received != size:
                        raise AssertionError(f"{url}: {response.status}, {received} bytes")
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        return done / (time.perf_counter() - started)


def front_conf(work: Path, front_port: int, upstream: str) -> Path:
    """The shipped site in front of ``upstream``, plus a plain location on the store."""
    from django.conf import settings

    store = settings.JUNEFS_STORE_DIR
    site = (ROOT / "deploy" / "nginx" / "sequenzia.conf").read_text()
    site = site.replace("server 127.0.0.1:8000;", f"server {upstream};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{front_port};")
    site = site.replace("alias /srv/sequenzia/data/store/;", f"alias {store}/;")
    # nginx serving the store directly, for comparison (not in the shipped config).
    direct = f"    location /direct/ {{ alias {store}/; sendfile on; tcp_nopush on; }}\n}}\n"
    site = site.rstrip().removesuffix("}") + direct
    temps = nginx_temps(work)
    conf = work / "nginx.conf"
    conf.write_text(
        f"""{"user root root;" if os.geteuid() == 0 else ""}
worker_processes 2;
pid {work / "nginx.pid"};
error_log {work / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    keepalive_requests 100000;
{temps}
{site}
}}
"""
    )
    return conf


def measure(server: str, cookies: dict[str, str], out: Path, quick: bool) -> dict[str, object]:
    from junefs.store import get_store

    figures: dict[str, object] = {}
    ports = {name: free_port() for name in ("front", "plain", "accel")}
    plain = f"http://127.0.0.1:{ports['plain']}"
    front = f"http://127.0.0.1:{ports['front']}"
    work = out / "nginx-front"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    conf = front_conf(work, ports["front"], f"127.0.0.1:{ports['accel']}")
    store = get_store()
    sizes = [(64 * 1024, "64KiB"), (MiB, "1MiB"), (16 * MiB, "16MiB"), (64 * MiB, "64MiB")]
    if not quick:
        sizes.append((256 * MiB, "256MiB"))
    with (
        cds_server(server, ports["plain"], out, f"offload-plain-{server}"),
        cds_server(
            server,
            ports["accel"],
            out,
            f"offload-accel-{server}",
            CDS_ACCEL_REDIRECT="/_cds_store/",
        ),  # fmt: skip
        nginx(conf, f"{front}/cds/health", out / "nginx-front.log"),
    ):
        for file_size, label in sizes:
            cached = cached_file(file_size, f"cached-{label}-{server}.bin")
            path = store.find(cached.sha256)
            assert path is not None
            targets = {
                "django": plain + f"/cds/f/{cached.pk}/x",
                "nginx_offload": front + f"/cds/f/{cached.pk}/x",
                "nginx_direct": front + "/direct/" + store.relative(path),
            }
            seconds = 2.0 if quick else 4.0
            rates = {}
            for how, target in targets.items():
                print(f"[{server}] requests/s, {label} cached file, {how}...", flush=True)
                asyncio.run(load(target, cookies, file_size, 0.5))  # warm up
                rates[how] = asyncio.run(load(target, cookies, file_size, seconds))
                figures[f"rps_{label}_{how}"] = round(rates[how], 1)
            figures[f"offload_to_direct_{label}"] = round(
                rates["nginx_offload"] / rates["nginx_direct"], 2
            )
    return figures
