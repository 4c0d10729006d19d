"""Cached files: requests/s through Django, nginx offload, the fast path, and nginx direct.

The same object, whole in the store, ``CLIENTS`` concurrent clients, the
targets measured in turn for ``ROUND_SECONDS`` each, ``ROUNDS`` times over
(medians reported, and each round's ratio to direct):

* ``django``: the web process streams it (re-hashing it every time);
* ``nginx_offload``: nginx with the shipped config in front of the web
  process, which checks everything, writes the audit and answers
  ``X-Accel-Redirect`` on every request;
* ``nginx_fast_path``: the shipped config with the fast path on
  (``deploy/nginx/cds-fast-path*.conf``, ``CDS_NGINX_DECISION_SECONDS=5``):
  Django decides once per (credential, URL) every 5 s, nginx sends the file
  and writes the audit log;
* ``nginx_direct``: nginx serving the store file from a plain location (no
  access check, no audit), the ceiling;

and, to weigh the other designs considered (not shipped):

* ``lean_asgi``: a bare ASGI app under uvicorn that answers every request
  with ``X-Accel-Redirect`` and does nothing else: the ceiling of any design
  that runs Python for each request (a lean fast path before Django's
  middleware would do more: session, access, block list, audit);
* ``secure_link``: nginx checking a ``secure_link`` MD5 signature bound to
  the session cookie (URLs Django would have issued), logging like the fast
  path;
* ``fast_path_new_urls`` (64 KiB only): the fast path when every request is
  a URL this credential has not asked for within the decision's lifetime (a
  gallery page's first view): each one waits for a Django decision.

A probe also records whether nginx's ``proxy_cache`` keeps an
``X-Accel-Redirect`` answer (the first design considered).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.cds_servers import (
    cds_server,
    cpu_seconds,
    nginx,
    running,
)
from tests import nginx_site
from tests.processes import free_port

MiB = 1024 * 1024
READ = 1024 * 1024
CLIENTS = 8
ROUNDS, ROUND_SECONDS = 3, 2.0
ROUNDS_QUICK, ROUND_SECONDS_QUICK = 2, 1.0
DECISION_SECONDS = 5
SECURE_LINK_SECRET = "bench-secure-link-secret"  # noqa: S105
DECISIONS = Path("/dev/shm") / f"bench-cds-decisions-{os.getpid()}"


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


async def load(urls: list[str], cookies: dict[str, str], size: int, seconds: float) -> int:
    """Requests done in ``seconds`` by ``CLIENTS`` concurrent clients going round ``urls``."""
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector, cookies=cookies) as session:
        done = 0
        stop_at = time.perf_counter() + seconds

        async def worker(start: int) -> None:
            nonlocal done
            index = start
            while time.perf_counter() < stop_at:
                url = urls[index % len(urls)]
                index += CLIENTS
                async with session.get(url) as response:
                    received = 0
                    async for chunk in response.content.iter_chunked(READ):
                        received += len(chunk)
                    if response.status != 200 or received != size:
                        raise AssertionError(f"{url}: {response.status}, {received} bytes")
                done += 1

        await asyncio.gather(*(worker(i) for i in range(CLIENTS)))
        return done


def signed(uri: str, session: str) -> str:
    """``uri`` with a secure_link signature bound to the session cookie, valid for an hour."""
    expires = int(time.time()) + 3600
    digest = hashlib.md5(f"{expires}{uri}{session} {SECURE_LINK_SECRET}".encode()).digest()  # noqa: S324
    signature = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return f"{uri}?s={signature}&e={expires}"


def front_conf(work: Path, port: int, upstream: str, *, fast: bool, lean: int = 0) -> Path:
    """The shipped site in front of ``upstream`` (with the fast path if ``fast``), plus
    the comparison locations (direct, and for the fast one: lean ASGI, secure_link, probe)."""
    from django.conf import settings

    store = settings.JUNEFS_STORE_DIR
    extra = f"    location /direct/ {{ alias {store}/; sendfile on; tcp_nopush on; }}\n"
    if fast:
        extra += f"""    location /lean/ {{
        proxy_pass http://127.0.0.1:{lean};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }}
    location ~ ^/signed/(.*)$ {{
        secure_link $arg_s,$arg_e;
        secure_link_md5 "$secure_link_expires$uri$cookie_sessionid {SECURE_LINK_SECRET}";
        if ($secure_link = "") {{ return 403; }}
        if ($secure_link = "0") {{ return 410; }}
        alias {store}/$1;
        access_log {work / "signed.log"} sequenzia_cds_audit buffer=64k flush=1s;
        sendfile on; tcp_nopush on;
    }}
    location /probe/ {{
        proxy_pass http://sequenzia_web/cds/; proxy_http_version 1.1;
        proxy_set_header Connection ""; proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_cache sequenzia_cds; proxy_cache_key "probe$request_uri|$cookie_sessionid";
        proxy_cache_valid 200 60s; proxy_ignore_headers Cache-Control Expires Set-Cookie Vary;
    }}
"""
    # On a tmpfs, as deploy/README.md advises (/run is one on Debian).
    site = nginx_site.site(upstream, store, port, work, fast_path=fast, decisions_dir=DECISIONS)
    site = site.rstrip().removesuffix("}") + extra + "}\n"
    conf = work / "nginx.conf"
    conf.write_text(
        nginx_site.main_conf(
            work, "    keepalive_requests 100000;\n" + site, workers=2, connections=4096
        )
    )
    return conf


def nginx_pids(work: Path) -> list[int]:
    """nginx's master and workers (not the cache loader, which exits after a minute)."""
    master = int((work / "nginx.pid").read_text())
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    workers = [
        int(pid)
        for pid in children
        if b"worker process" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    return [master, *workers]


def probe_proxy_cache(front: str, file: Any, cookies: dict[str, str]) -> dict[str, object]:
    """Does proxy_cache keep Django's X-Accel-Redirect answer? Count what reached Django."""
    import httpx

    from cds.models import AccessRecord

    before = AccessRecord.objects.filter(file_id=file.pk, via="nginx").count()
    with httpx.Client(cookies=cookies) as client:
        for _ in range(10):
            assert client.get(f"{front}/probe/f/{file.pk}/x").status_code == 200
    time.sleep(2.5)  # the web process writes its audit every second
    reached = AccessRecord.objects.filter(file_id=file.pk, via="nginx").count() - before
    return {"proxy_cache_probe_requests": 10, "proxy_cache_probe_reached_django": reached}


def measure(server: str, cookies: dict[str, str], out: Path, quick: bool) -> dict[str, object]:
    from junefs.store import get_store

    figures: dict[str, object] = {"offload_clients": CLIENTS}
    rounds, seconds = (ROUNDS_QUICK, ROUND_SECONDS_QUICK) if quick else (ROUNDS, ROUND_SECONDS)
    ports = {n: free_port() for n in ("plain", "accel", "fast", "front", "fast_front", "lean")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    works = {name: out / f"nginx-{name}" for name in ("front", "fast_front")}
    for work in works.values():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
    front_plain = front_conf(
        works["front"], ports["front"], f"127.0.0.1:{ports['accel']}", fast=False
    )
    front_fast = front_conf(
        works["fast_front"], ports["fast_front"], f"127.0.0.1:{ports['fast']}", fast=True,
        lean=ports["lean"],
    )  # fmt: skip
    store = get_store()
    sizes = [(64 * 1024, "64KiB"), (MiB, "1MiB"), (16 * MiB, "16MiB"), (64 * MiB, "64MiB")]
    if not quick:
        sizes.append((256 * MiB, "256MiB"))
    lean_argv = [sys.executable, "-m", "uvicorn", "bench.cds_lean_app:app", "--host", "127.0.0.1",
                 "--port", str(ports["lean"]), "--no-access-log", "--log-level", "warning",
                 "--lifespan", "off"]  # fmt: skip
    shutil.rmtree(DECISIONS, ignore_errors=True)
    with (
        cds_server(server, ports["plain"], out, f"offload-plain-{server}") as django_pid,
        cds_server(
            server,
            ports["accel"],
            out,
            f"offload-accel-{server}",
            CDS_ACCEL_REDIRECT="/_cds_store/",
        ) as accel_pid,
        cds_server(
            server, ports["fast"], out, f"offload-fast-{server}", CDS_ACCEL_REDIRECT="/_cds_store/",
            CDS_NGINX_DECISION_SECONDS=str(DECISION_SECONDS),
            CDS_NGINX_AUDIT_LOG=str(works["fast_front"] / "cds-audit.log"),
        ) as fast_pid,
        running(lean_argv, f"{urls['lean']}/lean/x", dict(os.environ), out / "lean.log") as lean,
        nginx(front_plain, f"{urls['front']}/cds/health", out / "nginx-front.log"),
        nginx(front_fast, f"{urls['fast_front']}/cds/health", out / "nginx-fast-front.log"),
    ):  # fmt: skip
        for file_size, label in sizes:
            cached = cached_file(file_size, f"cached-{label}-{server}.bin")
            path = store.find(cached.sha256)
            assert path is not None
            relative = store.relative(path)
            if label == "64KiB":
                figures.update(probe_proxy_cache(urls["fast_front"], cached, cookies))
            plain_pids = nginx_pids(works["front"])
            fast_pids = nginx_pids(works["fast_front"])
            targets: dict[str, tuple[list[str], list[int]]] = {
                "django": ([f"{urls['plain']}/cds/f/{cached.pk}/x"], [django_pid]),
                "nginx_offload": (
                    [f"{urls['front']}/cds/f/{cached.pk}/x"],
                    [accel_pid, *plain_pids],
                ),
                "nginx_fast_path": (
                    [f"{urls['fast_front']}/cds/f/{cached.pk}/x"], [fast_pid, *fast_pids]
                ),
                "nginx_direct": ([f"{urls['front']}/direct/{relative}"], plain_pids),
                "lean_asgi": ([f"{urls['fast_front']}/lean/{relative}"], [lean, *fast_pids]),
                "secure_link": (
                    [urls["fast_front"] + signed(f"/signed/{relative}", cookies["sessionid"])],
                    fast_pids,
                ),
            }  # fmt: skip
            if label == "64KiB":  # a query of its own makes each URL new to the decision cache
                fresh = [f"{urls['fast_front']}/cds/f/{cached.pk}/x?n={i}" for i in range(10**5)]
                targets["fast_path_new_urls"] = (fresh, [fast_pid, *fast_pids])
            results: dict[str, list[tuple[float, float]]] = {how: [] for how in targets}
            for how, (target, _) in targets.items():
                if how != "fast_path_new_urls":
                    asyncio.run(load(target, cookies, file_size, 0.3))  # warm up
            for number in range(rounds):
                print(f"[{server}] requests/s, {label} cached file, round {number + 1}", flush=True)
                for how, (target, pids) in targets.items():
                    cpu = sum(cpu_seconds(p) for p in pids)
                    started = time.perf_counter()
                    if how == "fast_path_new_urls":  # never one asked for before
                        target = [f"{url}-{number}" for url in target]
                    done = asyncio.run(load(target, cookies, file_size, seconds))
                    took = time.perf_counter() - started
                    used = sum(cpu_seconds(p) for p in pids) - cpu
                    results[how].append((done / took, used / max(done, 1) * 1000))
            direct = [rate for rate, _ in results["nginx_direct"]]
            for how, values in results.items():
                rates = [rate for rate, _ in values]
                figures[f"rps_{label}_{how}"] = round(statistics.median(rates), 1)
                figures[f"server_cpu_ms_per_request_{label}_{how}"] = round(
                    statistics.median(ms for _, ms in values), 2
                )
                if how != "nginx_direct":
                    ratios = sorted(r / d for r, d in zip(rates, direct, strict=True))
                    figures[f"{how}_to_direct_{label}"] = round(statistics.median(ratios), 2)
                    figures[f"{how}_to_direct_{label}_range"] = f"{ratios[0]:.2f}-{ratios[-1]:.2f}"
    shutil.rmtree(DECISIONS, ignore_errors=True)
    return figures
