"""The CDS benchmark, in a process of its own (``python -m bench cds`` runs it).

1. Start the Discord emulator and upload a spanned file (1 GiB; 64 MiB with
   ``--quick``) through the real Discord backend: every part a message
   attachment, read back and checked (the emulator's rate limits are relaxed
   for this phase only; its CDN, with signed expiring URLs, is unchanged).
2. Raw baseline: fetch every part's CDN URL with aiohttp, one after the
   other (and once more hashing each part, the least a verifying reader does).
3. Stream the file through CDS under uvicorn (as ``make run`` serves it) from
   that backend: once with an empty store (every part fetched from the CDN,
   verified, kept and sent), once more from the store (re-verified before it
   is sent). Throughput, the ratio to raw, time to first byte, the server's
   peak RSS and CPU time; a slow client; then 1 MiB in the middle of the file
   with an empty store, counting the CDN fetches the emulator served.
4. A second baseline, labelled ``nginx_folder``: the same parts in the local
   backend's folder served by nginx (what this benchmark used before the
   Discord backend existed), raw and streamed through CDS.
5. Cached files of a few sizes: requests/s through Django, through nginx
   offload, and nginx serving the file directly (:mod:`bench.cds_offload`).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.cds_servers import cds_server, cpu_seconds, memory_mb, nginx
from bench.emulator import Emulator
from tests import nginx_site
from tests.processes import free_port

MiB = 1024 * 1024
READ = 1024 * 1024
#: Relaxed for the upload only (uploading is not what is measured).
UPLOAD_BUCKET = {"limit": 1000, "window": 1.0}
#: Discord-like, for everything after the upload (see bench_discord).
DISCORD_BUCKET = {"limit": 5, "window": 5.0}
DISCORD_GLOBAL = {"limit": 50, "window": 1.0}
PARTS_CHANNELS = 2
#: Alternating raw / CDS rounds (medians are reported).
ROUNDS = 5
ROUNDS_QUICK = 2


def configure(data: Path, emulator: Emulator) -> None:
    """Settings for this run: its own database and store, the Discord backend on the emulator."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sequenzia.settings")
    os.environ.update(
        DATA_DIR=str(data),
        DATABASE_URL=f"sqlite:///{data / 'bench.sqlite3'}",
        STORAGE_BACKEND="discord",
        JUNEFS_UPLOAD_CONCURRENCY="8",
        LOG_LEVEL="WARNING",
        **emulator.discord_env(),
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def write_random(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        left = size
        while left:
            chunk = os.urandom(min(16 * MiB, left))
            handle.write(chunk)
            left -= len(chunk)


def bench_folder(emulator: Emulator) -> Any:
    """The folder files are uploaded to: a server on the emulator's guild with parts channels."""
    from junefs.models import Channel, Server

    existing = Channel.objects.filter(name="bench").first()
    if existing is not None:
        return existing
    guild = emulator.info["guild_id"]
    parts = [
        int(emulator.call("create_channel", guild_id=guild, name=f"sequenzia-parts-{i}")["id"])
        for i in range(PARTS_CHANNELS)
    ]
    folder = emulator.call("create_channel", guild_id=guild, name="bench")
    server = Server.objects.create(name="bench", guild_id=int(guild), parts_channel_ids=parts)
    return Channel.objects.create(server=server, name="bench", discord_channel_id=int(folder["id"]))


def upload_spanned_file(
    source: Path, emulator: Emulator, name: str = "big.bin"
) -> tuple[Any, float]:
    """Ingest ``source`` and upload it through the Discord backend; (the file, seconds)."""
    from junefs.ingest import ingest_path
    from junefs.store import get_store
    from junefs.upload import upload_file

    file = ingest_path(source, bench_folder(emulator), name=name, upload="none").file
    emulator.call("set_bucket", name="message_create", **UPLOAD_BUCKET)
    emulator.call("set_global_limit", limit=1000, window=1.0)
    started = time.perf_counter()
    summary = upload_file(file.pk)
    seconds = time.perf_counter() - started
    assert summary.state == "complete", summary.note
    emulator.call("set_bucket", name="message_create", **DISCORD_BUCKET)
    emulator.call("set_global_limit", **DISCORD_GLOBAL)
    file.refresh_from_db()
    get_store().delete(file.sha256)  # the store starts empty
    return file, seconds


def local_copy(file: Any, source: Path) -> Any:
    """The same file with its parts in the local backend (the nginx-folder baseline)."""
    from django.utils import timezone

    from junefs.backends.local import LocalBackend
    from junefs.models import Channel, File, Part

    backend = LocalBackend(url="")
    channel = Channel.objects.create(server=file.channel.server, name="bench-local")
    skip = {"id", "channel", "discord_message_id", "discord_attachment_id", "backend"}
    fields = {f.name: getattr(file, f.name) for f in File._meta.concrete_fields}
    copy = File.objects.create(
        **{k: v for k, v in fields.items() if k not in skip}, channel=channel, backend="local"
    )
    with source.open("rb") as handle:
        for part in file.parts.order_by("index"):
            handle.seek(part.offset)
            locator = backend.put(
                _Exact(handle, part.size), size=part.size, sha256=part.sha256, name="p", target=None
            )  # type: ignore[arg-type]
            Part.objects.create(
                file=copy, index=part.index, offset=part.offset, size=part.size,
                sha256=part.sha256, backend="local", key=locator.key, confirmed_at=timezone.now(),
            )  # fmt: skip
    return copy


class _Exact:
    """``size`` bytes of an open file, from where it stands."""

    def __init__(self, handle: Any, size: int) -> None:
        self.handle, self.left = handle, size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data: bytes = self.handle.read(n)
        self.left -= len(data)
        return data


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


async def raw_parts(urls: list[str], hashes: list[str] | None = None) -> dict[str, float]:
    """Fetch every URL in order, as a plain HTTP client would (and hash each, if given)."""
    timeout = aiohttp.ClientTimeout(total=None)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        total = 0
        for index, url in enumerate(urls):
            check = hashes[index] if hashes else ""
            total += int((await timed_get(session, url, verify=check))["bytes"])
        return {"seconds": time.perf_counter() - started, "bytes": total}


async def stream(url: str, cookies: dict[str, str], **kwargs: Any) -> dict[str, float]:
    timeout = aiohttp.ClientTimeout(total=None)
    async with aiohttp.ClientSession(timeout=timeout, cookies=cookies) as session:
        return await timed_get(session, url, **kwargs)


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
        return memory_mb(pid)[1]


def empty_store(file: Any) -> None:
    from junefs.store import get_store

    store = get_store()
    store.delete(file.sha256)
    for part in file.parts.all():
        store.delete(part.sha256)


def mib_s(result: dict[str, float]) -> float:
    return result["bytes"] / result["seconds"] / MiB


def through_cds(base: str, file: Any, cookies: dict[str, str], pid: int) -> dict[str, float]:
    """One round: stream with an empty store, then again from the store (client checks)."""
    url = f"{base}/cds/f/{file.pk}/{file.name}"
    empty_store(file)
    gib = file.size / (1024 * MiB)
    cpu = cpu_seconds(pid)
    cold = asyncio.run(stream(url, cookies))
    cold_cpu = cpu_seconds(pid) - cpu
    assert int(cold["bytes"]) == file.size
    cpu = cpu_seconds(pid)
    warm = asyncio.run(stream(url, cookies, verify=file.sha256))
    warm_cpu = cpu_seconds(pid) - cpu
    return {
        "uncached_mib_s": mib_s(cold),
        "cached_mib_s": mib_s(warm),
        "ttfb_uncached_ms": cold["ttfb"] * 1000,
        "ttfb_cached_ms": warm["ttfb"] * 1000,
        "cpu_s_per_gib_uncached": cold_cpu / gib,
        "cpu_s_per_gib_cached": warm_cpu / gib,
    }


def summarise(rounds: list[dict[str, float]], prefix: str = "") -> dict[str, object]:
    """Median of each figure over the rounds, and the range of the ratios."""
    out: dict[str, object] = {}
    for key in rounds[0]:
        values = sorted(r[key] for r in rounds)
        median = statistics.median(values)
        digits = 2 if "ratio" in key or "cpu" in key else 1 if key.endswith("ms") else 0
        out[prefix + key] = round(median, digits) if digits else round(median)
        if key.startswith("ratio"):
            out[prefix + key + "_range"] = f"{values[0]:.2f}-{values[-1]:.2f}"
    return out


def measure_streaming(
    server: str, file: Any, local: Any, warm_up: Any, emulator: Emulator,
    cookies: dict[str, str], out: Path, quick: bool,
) -> dict[str, object]:  # fmt: skip
    """The streaming figures for one ASGI server.

    Raw and CDS are measured in alternating rounds (raw, raw + sha256, CDS
    uncached, CDS cached), and each round's ratio is taken within the round:
    the machine is shared, so its load moves between rounds more than the
    figures do within one.
    """
    from junefs.backends import get_backend

    figures: dict[str, object] = {}
    parts = list(file.parts.order_by("index"))
    backend_port, port = free_port(), free_port()
    work = out / "nginx-folder"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    conf = folder_nginx_conf(work, backend_port)
    backend_url = f"http://127.0.0.1:{backend_port}"
    with (
        nginx(conf, f"{backend_url}/", out / "nginx-folder.log"),
        cds_server(
            server,
            port,
            out,
            f"cds-{server}",
            profile=bool(os.environ.get("BENCH_CDS_PROFILE")),
            JUNEFS_LOCAL_BACKEND_URL=backend_url,
        ) as pid,  # fmt: skip
    ):
        base = f"http://127.0.0.1:{port}"
        # Warm the server up on another file from the same backend: imports, the
        # first queries, the Discord login and the CDN connection pool.
        asyncio.run(stream(f"{base}/cds/f/{warm_up.pk}/{warm_up.name}", cookies))
        figures["server_rss_at_start_mb"] = round(memory_mb(pid)[1], 1)
        fresh = get_backend("discord").refresh([p.locator for p in parts])
        urls = [loc.url for loc in fresh]
        hashes = [p.sha256 for p in parts]
        rounds = []
        for number in range(ROUNDS_QUICK if quick else ROUNDS):
            print(f"[{server}] round {number + 1}: raw CDN fetches, then through CDS...")
            raw = mib_s(asyncio.run(raw_parts(urls)))
            raw_hashed = mib_s(asyncio.run(raw_parts(urls, hashes)))
            cds = through_cds(base, file, cookies, pid)
            rounds.append(
                {
                    "raw_parts_mib_s": raw,
                    "raw_parts_with_sha256_mib_s": raw_hashed,
                    "cds_uncached_mib_s": cds.pop("uncached_mib_s"),
                    "cds_cached_mib_s": cds.pop("cached_mib_s"),
                    "ratio_cds_to_raw": 0.0,
                    "ratio_cds_to_raw_with_sha256": 0.0,
                    **{("server_" + k if k.startswith("cpu") else k): v for k, v in cds.items()},
                }
            )
            rounds[-1]["ratio_cds_to_raw"] = rounds[-1]["cds_uncached_mib_s"] / raw
            rounds[-1]["ratio_cds_to_raw_with_sha256"] = (
                rounds[-1]["cds_uncached_mib_s"] / raw_hashed
            )
            print(f"    {', '.join(f'{k} {v:.2f}' for k, v in rounds[-1].items())}", flush=True)
        figures["rounds"] = len(rounds)
        figures.update(summarise(rounds))
        peak, now = memory_mb(pid)
        figures.update(server_peak_rss_mb=round(peak, 1), server_rss_after_mb=round(now, 1))

        print(f"[{server}] a slow client (~50 MB/s) for a few seconds...", flush=True)
        url = f"{base}/cds/f/{file.pk}/{file.name}"
        before_slow = memory_mb(pid)[1]
        during_slow = asyncio.run(slow_client_rss(url, cookies, pid, 3 if quick else 6))
        figures["slow_client_rss_growth_mb"] = round(during_slow - before_slow, 1)

        print(f"[{server}] 1 MiB range in the middle, empty store...", flush=True)
        empty_store(file)
        emulator.call("reset_counters")
        middle = file.size // 2 - 512 * 1024
        ranged = asyncio.run(
            stream(url, cookies, headers={"Range": f"bytes={middle}-{middle + MiB - 1}"})
        )
        assert int(ranged["bytes"]) == MiB
        figures["parts_read_for_1mib_range"] = sum(emulator.counters()["cdn_fetches"].values())
        figures["range_1mib_ms"] = round(ranged["seconds"] * 1000, 1)

        print(f"[{server}] second baseline: the parts in a folder served by nginx...", flush=True)
        folder_urls = [f"{backend_url}/{p.key}" for p in local.parts.order_by("index")]
        folder_rounds = []
        for _ in range(ROUNDS_QUICK):
            raw = mib_s(asyncio.run(raw_parts(folder_urls)))
            cds = through_cds(base, local, cookies, pid)
            folder_rounds.append(
                {
                    "raw_parts_mib_s": raw,
                    "cds_uncached_mib_s": cds["uncached_mib_s"],
                    "cds_cached_mib_s": cds["cached_mib_s"],
                    "ratio_cds_to_raw": cds["uncached_mib_s"] / raw,
                }
            )
        figures.update(summarise(folder_rounds, "nginx_folder_"))
        figures["server_peak_rss_mb_after_all"] = round(memory_mb(pid)[0], 1)
    return figures


def folder_nginx_conf(work: Path, port: int) -> Path:
    """nginx serving the local backend's folder: the "HTTP-served local backend"."""
    from django.conf import settings

    conf = work / "nginx.conf"
    body = f"""    server {{
        listen 127.0.0.1:{port};
        root {settings.JUNEFS_LOCAL_BACKEND_DIR};
        sendfile on;
    }}"""
    conf.write_text(nginx_site.main_conf(work, body, mime_types=False))
    return conf


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--server", choices=("daphne", "uvicorn"), action="append", help="default: uvicorn"
    )
    parser.add_argument("--skip", choices=("streaming", "offload"), action="append", default=[])
    args = parser.parse_args()
    out = Path(args.out).resolve()
    data = out / "data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    emulator = Emulator()
    try:
        configure(data, emulator)
        return run(args, out, emulator)
    finally:
        emulator.stop()


def run(args: argparse.Namespace, out: Path, emulator: Emulator) -> int:
    from django.conf import settings

    from bench import cds_offload

    size = 64 * MiB if args.quick else 1024 * MiB
    figures: dict[str, object] = {
        "file_bytes": size,
        "prefetch_parts": settings.CDS_PREFETCH_PARTS,
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    cookies = session_cookie()
    if "streaming" not in args.skip:
        source = out / "source.bin"
        write_random(source, size)
        print(f"uploading a {size // MiB} MiB file through the Discord backend...", flush=True)
        file, upload_s = upload_spanned_file(source, emulator)
        local = local_copy(file, source)
        write_random(source, 2 * file.part_size)
        warm_up, _ = upload_spanned_file(source, emulator, name="warm-up.bin")
        source.unlink()
        figures.update(parts=file.part_count, part_bytes=file.part_size)
        figures["upload_s_not_measured_relaxed_limits"] = round(upload_s, 1)
        for server in args.server or ["uvicorn"]:
            for name, value in measure_streaming(
                server, file, local, warm_up, emulator, cookies, out, args.quick
            ).items():
                figures[f"{server}.{name}"] = value
        figures["load_average_after_streaming"] = round(os.getloadavg()[0], 2)
    if "offload" not in args.skip:
        for server in args.server or ["uvicorn"]:
            for name, value in cds_offload.measure(server, cookies, out, args.quick).items():
                figures[f"{server}.{name}"] = value
    figures["load_average_at_end"] = round(os.getloadavg()[0], 2)
    Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
