"""Issue 3: upload a 500 MiB file through the Discord backend with 1, 2 and 4 parts channels.

The emulator runs as its own process with Discord-like buckets (message
create 5 per 5 s per channel, 50 requests/s global) and 100 ms added to every
request, REST and CDN. Each run is a fresh child process: ingest (not timed),
then ``upload_file`` (timed: every part sent, read back and checked, and the
parent message posted), then a download of the whole file (timed, verified).

Two maxima are computed from the bucket settings. Parts go round-robin over
the channels and each channel's bucket lets ``limit`` requests through per
``window``:

* **sustained**: ``channels * limit / window`` parts per second (capped by the
  global limit), times the part size. Target: upload MB/s >= 0.9 of it.
* **burst-aware** (stricter, for this file): each window opens at its first
  request, so a channel with ``k`` parts may send its last one at
  ``(ceil(k / limit) - 1) * window`` seconds, and it lands one latency later.
  This bound also counts the first window's burst as free and the bytes of
  the last window as moving in no time, so it cannot quite be reached.

A fourth run repeats 4 channels with ``DISCORD_VERIFY_UPLOADS=0`` (no
read-back of each part) to show what verification costs.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
from pathlib import Path

from bench.child import run_child
from bench.emulator import Emulator

MiB = 1024 * 1024
LATENCY = 0.1
BUCKET = {"limit": 5, "window": 5.0}  # message create, per channel (Discord-like)
GLOBAL = {"limit": 50, "window": 1.0}
CONCURRENCY = 8


def burst_bound_seconds(parts: int, channels: int) -> float:
    """The shortest upload the buckets allow for this file (see the module docstring)."""
    per_channel = [parts // channels + (1 if i < parts % channels else 0) for i in range(channels)]
    route = max((math.ceil(k / BUCKET["limit"]) - 1) * BUCKET["window"] for k in per_channel)
    global_ = (math.ceil(parts / GLOBAL["limit"]) - 1) * GLOBAL["window"]
    return max(route, global_) + LATENCY


def sustained_parts_per_second(channels: int) -> float:
    route = channels * BUCKET["limit"] / BUCKET["window"]
    return min(route, GLOBAL["limit"] / GLOBAL["window"])


def run(args: argparse.Namespace) -> dict[str, object]:
    size = (60 if args.quick else 500) * MiB
    work = Path(tempfile.mkdtemp(prefix="bench-discord-"))
    emulator = Emulator()
    try:
        source = work / "random.bin"
        with source.open("wb") as out:
            for _ in range(size // (10 * MiB)):
                out.write(os.urandom(10 * MiB))
        emulator.call("set_bucket", name="message_create", **BUCKET)
        emulator.call("set_global_limit", **GLOBAL)
        emulator.post("faults/latency", {"seconds": LATENCY})
        guild = emulator.info["guild_id"]
        figures: dict[str, object] = {
            "file_MiB": size // MiB,
            "latency_ms": int(LATENCY * 1000),
            "buckets": f"message create {BUCKET['limit']}/{BUCKET['window']:g}s per channel, "
            f"global {GLOBAL['limit']}/s",
            "upload_concurrency": CONCURRENCY,
        }
        runs = [(1, True), (2, True), (4, True), (4, False)]
        wanted = os.environ.get("BENCH_DISCORD_CHANNELS")  # e.g. "4" for a quick look
        if wanted:
            runs = [r for r in runs if str(r[0]) in wanted.split(",")]
        for channels, verify in runs:
            label = f"{channels}ch" + ("" if verify else "_no_readback")
            parts = [
                emulator.call("create_channel", guild_id=guild, name=f"parts-{label}-{i}")["id"]
                for i in range(channels)
            ]
            folder = emulator.call("create_channel", guild_id=guild, name=f"bench-{label}")
            emulator.call("reset_counters")
            result = run_child(
                "bench.discord_child",
                work / f"data-{label}",
                {
                    "source": str(source),
                    "output": str(work / "out.bin"),
                    "guild_id": guild,
                    "parts_channels": [int(p) for p in parts],
                    "folder_channel": folder["id"],
                },
                env={
                    "STORAGE_BACKEND": "discord",
                    "DISCORD_TOKEN": emulator.info["token"],
                    "DISCORD_API_BASE": emulator.info["api_base"],
                    "DISCORD_GATEWAY_URL": emulator.info["gateway_url"],
                    "DISCORD_VERIFY_UPLOADS": "1" if verify else "0",
                    "JUNEFS_UPLOAD_CONCURRENCY": str(CONCURRENCY),
                    "LOG_LEVEL": "WARNING",
                },
            )
            answered_429 = emulator.counters()["total_429"]
            for channel_id in [*parts, folder["id"]]:  # free the emulator's memory
                emulator.call("delete_channel", channel_id=channel_id)
            (work / "out.bin").unlink(missing_ok=True)
            upload_s = float(result["upload_s"])  # type: ignore[arg-type]
            n_parts = int(result["parts"])  # type: ignore[call-overload]
            part_mb = int(result["part_size"]) / 1e6  # type: ignore[call-overload]
            sustained = sustained_parts_per_second(channels) * part_mb
            burst_s = burst_bound_seconds(n_parts, channels)
            mbps = size / 1e6 / upload_s
            figures[f"{label}_parts"] = n_parts
            figures[f"{label}_upload_s"] = round(upload_s, 1)
            figures[f"{label}_upload_MBps"] = round(mbps, 2)
            figures[f"{label}_sustained_max_MBps"] = round(sustained, 2)
            figures[f"{label}_ratio_to_sustained"] = round(mbps / sustained, 3)
            figures[f"{label}_burst_bound_s"] = round(burst_s, 1)
            figures[f"{label}_ratio_to_burst_bound"] = round(burst_s / upload_s, 3)
            figures[f"{label}_download_MBps"] = round(size / 1e6 / float(result["download_s"]), 1)  # type: ignore[arg-type]
            figures[f"{label}_peak_rss_MB"] = round(float(result["peak_rss_mb"]), 1)  # type: ignore[arg-type]
            figures[f"{label}_identical"] = result["identical"]
            figures[f"{label}_429_answers"] = answered_429
            print(
                f"  {label}: {mbps:.2f} MB/s; ratio {mbps / sustained:.3f} to the sustained "
                f"maximum, {burst_s / upload_s:.3f} to the burst-aware bound",
                flush=True,
            )
        return figures
    finally:
        emulator.stop()
        shutil.rmtree(work, ignore_errors=True)
