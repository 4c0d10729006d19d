"""The CDS benchmark, in a process of its own (``python -m bench cds`` runs it).

1. Ingest a spanned file (1 GiB in 10 MiB parts; 64 MiB with ``--quick``)
   into the local backend, and serve that backend's folder over HTTP with
   nginx on loopback (the "HTTP-served local backend": CDS reads it through
   ``JUNEFS_LOCAL_BACKEND_URL``; pointing CDS at the Discord emulator instead
   is the one setting ``STORAGE_BACKEND=discord`` plus its API base).
2. Fetch every part raw with aiohttp, then stream the file through CDS (an
   empty cache: every part comes from the backend, is verified and cached),
   then again from the cache. Report throughput, their ratio, time to first
   byte, and the server's peak RSS.
3. Empty the cache and ask for 1 MiB in the middle: count the parts the
   backend was asked for (its access log).
4. Cached files of a few sizes: requests/s through Django, through nginx with
   X-Accel-Redirect (the shipped config), and nginx serving the file directly.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
NGINX = "/usr/sbin/nginx"
MiB = 1024 * 1024
PART_SIZE = 10 * MiB
READ = 1024 * 1024


def configure(data: Path) -> None:
    """Settings for this run: its own database, store and backend, no services."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sequenzia.settings")
    os.environ.update(
        DATA_DIR=str(data),
        DATABASE_URL=f"sqlite:///{data / 'bench.sqlite3'}",
        JUNEFS_MAX_PART_SIZE=str(PART_SIZE),
        STORAGE_BACKEND="local",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(url)


@contextmanager
def running(argv: list[str], health: str, env: dict[str, str], log: Path) -> Iterator[int]:
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(health, process)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def cds_server(server: str, port: int, out: Path, name: str, **extra: str):  # type: ignore[no-untyped-def]
    from django.conf import settings

    env = {
        **os.environ,
        "JUNEFS_STORE_DIR": str(settings.JUNEFS_STORE_DIR),
        "JUNEFS_LOCAL_BACKEND_DIR": str(settings.JUNEFS_LOCAL_BACKEND_DIR),
        "CDS_UNPACK_SPANNED": "0",
        "CDS_AUDIT_FLUSH_SECONDS": "1",
        **extra,
    }
    if server == "uvicorn":
        argv = [sys.executable, "-m", "uvicorn", "sequenzia.asgi:application", "--host",
                "127.0.0.1", "--port", str(port), "--lifespan", "off", "--no-access-log",
                "--log-level", "warning"]  # fmt: skip
    else:
        argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                "--access-log", os.devnull, "sequenzia.asgi:application"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    return running(argv, f"{base}/cds/health", env, out / f"{name}.log")


def nginx_conf(out: Path, backend_port: int, front_port: int, upstream: str) -> Path:
    """The backend (the local backend's folder over HTTP) and the shipped front config."""
    from django.conf import settings

    store = settings.JUNEFS_STORE_DIR
    site = (ROOT / "deploy" / "nginx" / "sequenzia.conf").read_text()
    site = site.replace("server 127.0.0.1:8000;", f"server {upstream};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{front_port};")
    site = site.replace("alias /srv/sequenzia/data/store/;", f"alias {store}/;")
    # nginx serving the store directly, for comparison (not in the shipped config).
    direct = f"    location /direct/ {{ alias {store}/; sendfile on; tcp_nopush on; }}\n}}\n"
    site = site.rstrip().removesuffix("}") + direct
    work = out / "nginx"
    work.mkdir(exist_ok=True)
    temps = "\n".join(
        f"    {n}_temp_path {work / n};"
        for n in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
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
    server {{
        listen 127.0.0.1:{backend_port};
        root {settings.JUNEFS_LOCAL_BACKEND_DIR};
        access_log {work / "backend-access.log"};
        sendfile on;
    }}
{site}
}}
"""
    )
    return conf


def make_spanned_file(size: int, out: Path):  # type: ignore[no-untyped-def]
    from junefs.ingest import ingest_path
    from junefs.models import Channel, Server
    from junefs.store import get_store

    source = out / "source.bin"
    with source.open("wb") as handle:
        left = size
        while left:
            chunk = os.urandom(min(16 * MiB, left))
            handle.write(chunk)
            left -= len(chunk)
    channel = Channel.objects.create(server=Server.default(), name="bench")
    file = ingest_path(source, channel, name="big.bin", upload="inline").file
    source.unlink()
    get_store().delete(file.sha256)  # the cache starts empty
    return file


def cached_file(size: int, name: str):  # type: ignore[no-untyped-def]
    """A single-part file whose whole object is in the store."""
    import io

    from junefs.ingest import IngestRequest, ingest
    from junefs.models import Channel

    channel = Channel.objects.get(name="bench")
    data = os.urandom(size)
    request = IngestRequest(io.BytesIO(data), name, channel, upload="inline")
    return ingest(request).file


def session_cookie() -> dict[str, str]:
    from django.test import Client

    from authware.models import User

    user = User.objects.create_superuser("bench", password="bench-password-1")  # noqa: S106
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


async def timed_get(
    session: aiohttp.ClientSession, url: str, *, verify: str = "", headers: dict | None = None
) -> dict[str, float]:
    digest = hashlib.sha256() if verify else None
    started = time.perf_counter()
    first = 0.0
    received = 0
    async with session.get(url, headers=headers or {}) as response:
        response.raise_for_status()
        async for chunk in response.content.iter_chunked(READ):
            if not first:
                first = time.perf_counter() - started
            received += len(chunk)
            if digest is not None:
                digest.update(chunk)
    seconds = time.perf_counter() - started
    if digest is not None and digest.hexdigest() != verify:
        raise AssertionError(f"{url} sent bytes that do not hash to {verify}")
    return {"seconds": seconds, "ttfb": first, "bytes": received}


async def raw_parts(backend: str, parts: list, *, verify: bool = False) -> dict[str, float]:  # type: ignore[type-arg]
    """Fetch every part in order, as a plain HTTP client would (and hash it, if asked)."""
    timeout = aiohttp.ClientTimeout(total=None)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        total = 0
        for part in parts:
            check = part.sha256 if verify else ""
            result = await timed_get(session, f"{backend}/{part.key}", verify=check)
            total += int(result["bytes"])
        return {"seconds": time.perf_counter() - started, "bytes": total}


async def stream(url: str, cookies: dict[str, str], **kwargs: object) -> dict[str, float]:
    timeout = aiohttp.ClientTimeout(total=None)
    async with aiohttp.ClientSession(timeout=timeout, cookies=cookies) as session:
        return await timed_get(session, url, **kwargs)  # type: ignore[arg-type]


async def load(url: str, cookies: dict[str, str], size: int, seconds: float, workers: int) -> float:
    """Requests per second for ``seconds`` with ``workers`` concurrent clients."""
    connector = aiohttp.TCPConnector(limit=workers)
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
        await asyncio.gather(*(worker() for _ in range(workers)))
        return done / (time.perf_counter() - started)


async def slow_client_rss(url: str, cookies: dict[str, str], pid: int, seconds: float) -> float:
    """Read ~50 MB/s for ``seconds``; the server's RSS (MB) while the client is still there."""
    async with (
        aiohttp.ClientSession(cookies=cookies) as session,
        session.get(url) as response,
    ):
        started = time.perf_counter()
        async for _ in response.content.iter_chunked(READ):
            await asyncio.sleep(0.02)
            if time.perf_counter() - started > seconds:
                break
        return peak_rss_mb(pid)[1]


def peak_rss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def measure(server: str, file, parts: list, cookies: dict[str, str], out: Path, quick: bool):  # type: ignore[no-untyped-def,type-arg]
    """Every figure for one ASGI server; returns them keyed by name."""
    from junefs.store import get_store

    size = file.size
    figures: dict[str, object] = {}
    ports = {name: free_port() for name in ("backend", "front", "plain", "accel")}
    backend = f"http://127.0.0.1:{ports['backend']}"
    plain = f"http://127.0.0.1:{ports['plain']}"
    front = f"http://127.0.0.1:{ports['front']}"
    shutil.rmtree(out / "nginx", ignore_errors=True)
    conf = nginx_conf(out, ports["backend"], ports["front"], f"127.0.0.1:{ports['accel']}")
    access_log = out / "nginx" / "backend-access.log"
    nginx_argv = [NGINX, "-p", str(out / "nginx"), "-c", str(conf), "-g", "daemon off;"]
    url = f"/cds/f/{file.pk}/{file.name}"
    store = get_store()
    for part in parts:
        store.delete(part.sha256)  # every run starts with an empty cache
    with (
        running(nginx_argv, f"{backend}/", dict(os.environ), out / "nginx.log"),
        cds_server(server, ports["plain"], out, "cds", JUNEFS_LOCAL_BACKEND_URL=backend) as pid,
        cds_server(
            server,
            ports["accel"],
            out,
            "cds-accel",
            JUNEFS_LOCAL_BACKEND_URL=backend,
            CDS_ACCEL_REDIRECT="/_cds_store/",
        ),
    ):
        # Warm the server up (imports, threads, a first query) on another file.
        warm_up = cached_file(MiB, f"warm-up-{server}.bin")
        asyncio.run(stream(plain + f"/cds/f/{warm_up.pk}/x", cookies))
        figures["server_rss_at_start_mb"] = round(peak_rss_mb(pid)[1], 1)
        print(f"[{server}] raw part fetches, then raw fetches with sha256...", flush=True)
        raw = asyncio.run(raw_parts(backend, parts))
        raw_hashed = asyncio.run(raw_parts(backend, parts, verify=True))
        print(f"[{server}] streaming through CDS (empty cache)...", flush=True)
        cold = asyncio.run(stream(plain + url, cookies))
        assert int(cold["bytes"]) == size
        print(
            f"[{server}] streaming through CDS (cached parts; client checks sha256)...", flush=True
        )
        warm = asyncio.run(stream(plain + url, cookies, verify=file.sha256))
        peak, now = peak_rss_mb(pid)
        raw_mbps = raw["bytes"] / raw["seconds"] / MiB
        raw_hashed_mbps = raw_hashed["bytes"] / raw_hashed["seconds"] / MiB
        cold_mbps = size / cold["seconds"] / MiB
        figures.update(
            raw_parts_mib_s=round(raw_mbps),
            raw_parts_with_sha256_mib_s=round(raw_hashed_mbps),
            cds_uncached_mib_s=round(cold_mbps),
            ratio_cds_to_raw=round(cold_mbps / raw_mbps, 2),
            ratio_cds_to_raw_with_sha256=round(cold_mbps / raw_hashed_mbps, 2),
            cds_cached_mib_s=round(size / warm["seconds"] / MiB),
            ttfb_uncached_ms=round(cold["ttfb"] * 1000, 1),
            ttfb_cached_ms=round(warm["ttfb"] * 1000, 1),
            server_peak_rss_mb=round(peak, 1),
            server_rss_after_mb=round(now, 1),
        )

        print(f"[{server}] a slow client (~50 MB/s) for a few seconds...", flush=True)
        before_slow = peak_rss_mb(pid)[1]
        during_slow = asyncio.run(slow_client_rss(plain + url, cookies, pid, 3 if quick else 6))
        figures["slow_client_rss_growth_mb"] = round(during_slow - before_slow, 1)

        print(f"[{server}] 1 MiB range in the middle, empty cache...", flush=True)
        for part in parts:
            store.delete(part.sha256)
        before = len(access_log.read_text().splitlines())
        middle = size // 2 - 512 * 1024
        ranged = asyncio.run(
            stream(plain + url, cookies, headers={"Range": f"bytes={middle}-{middle + MiB - 1}"})
        )
        assert int(ranged["bytes"]) == MiB
        figures["parts_read_for_1mib_range"] = len(access_log.read_text().splitlines()) - before
        figures["range_1mib_ms"] = round(ranged["seconds"] * 1000, 1)

        sizes = [(64 * 1024, "64KiB"), (MiB, "1MiB"), (16 * MiB, "16MiB"), (64 * MiB, "64MiB")]
        if not quick:
            sizes.append((256 * MiB, "256MiB"))
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
                asyncio.run(load(target, cookies, file_size, 0.5, 8))  # warm up
                rates[how] = asyncio.run(load(target, cookies, file_size, seconds, 8))
                figures[f"rps_{label}_{how}"] = round(rates[how], 1)
            figures[f"offload_to_direct_{label}"] = round(
                rates["nginx_offload"] / rates["nginx_direct"], 2
            )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--server", choices=("daphne", "uvicorn"), action="append", help="default: both"
    )
    args = parser.parse_args()
    out = Path(args.out).resolve()
    data = out / "data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    configure(data)
    from django.conf import settings

    size = 64 * MiB if args.quick else 1024 * MiB
    figures: dict[str, object] = {
        "file_bytes": size,
        "part_bytes": PART_SIZE,
        "prefetch_parts": settings.CDS_PREFETCH_PARTS,
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    print(f"ingesting a {size // MiB} MiB file in {PART_SIZE // MiB} MiB parts...", flush=True)
    file = make_spanned_file(size, out)
    parts = list(file.parts.order_by("index"))
    figures["parts"] = len(parts)
    cookies = session_cookie()
    for server in args.server or ["daphne", "uvicorn"]:
        for name, value in measure(server, file, parts, cookies, out, args.quick).items():
            figures[f"{server}.{name}"] = value
    figures["load_average_at_end"] = round(os.getloadavg()[0], 2)
    Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
