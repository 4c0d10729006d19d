"""Issue 3: upload a 500 MiB file through the Discord backend with 1, 2 and 4 parts channels.

The emulator runs as its own process with Discord-like buckets (message
create 5 per 5 s per channel, 50 requests/s global) and 100 ms added to every
request, REST and CDN. Each run is a fresh child process: ingest (not timed),
then ``upload_file`` (timed: every part sent, read back and checked, and the
parent message posted), then a download of the whole file (timed, verified).

The maximum the buckets allow is computed from the bucket settings: parts go
round-robin over the channels; a channel's bucket lets ``limit`` requests
through per ``window``, the first window opening at the first request, so
the last part of a channel with ``k`` parts cannot start before
``(ceil(k / limit) - 1) * window`` seconds and ends one latency later (the
global limit of 50/s is never the tighter one here, but is checked). Target:
upload MB/s ≥ 0.9 of that maximum.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from bench.child import ROOT, run_child

MiB = 1024 * 1024
LATENCY = 0.1
BUCKET = {"limit": 5, "window": 5.0}  # message create, per channel (Discord-like)
GLOBAL = {"limit": 50, "window": 1.0}
CONCURRENCY = 8


class Emulator:
    """The emulator in its own process, driven through ``/_emulator/``."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.discord_emulator", "--port", "0"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.info: dict[str, Any] = json.loads(self.process.stdout.readline())

    def post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.info['base_url']}/_emulator/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["result"]

    def call(self, operation: str, **arguments: Any) -> Any:
        return self.post(f"call/{operation}", arguments)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def bucket_bound_seconds(parts: int, channels: int) -> float:
    """The shortest upload the bucket settings allow (see the module docstring)."""
    per_channel = [parts // channels + (1 if i < parts % channels else 0) for i in range(channels)]
    route = max((math.ceil(k / BUCKET["limit"]) - 1) * BUCKET["window"] for k in per_channel)
    global_ = (math.ceil(parts / GLOBAL["limit"]) - 1) * GLOBAL["window"]
    return max(route, global_) + LATENCY


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
        counts = os.environ.get("BENCH_DISCORD_CHANNELS", "1,2,4")
        for channels in (int(c) for c in counts.split(",")):
            parts = [
                emulator.call("create_channel", guild_id=guild, name=f"parts-{channels}-{i}")["id"]
                for i in range(channels)
            ]
            folder = emulator.call("create_channel", guild_id=guild, name=f"bench-{channels}")
            result = run_child(
                "bench.discord_child",
                work / f"data-{channels}",
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
                    "JUNEFS_UPLOAD_CONCURRENCY": str(CONCURRENCY),
                    "LOG_LEVEL": "WARNING",
                },
            )
            for channel_id in [*parts, folder["id"]]:  # free the emulator's memory
                emulator.call("delete_channel", channel_id=channel_id)
            (work / "out.bin").unlink(missing_ok=True)
            upload_s = float(result["upload_s"])  # type: ignore[arg-type]
            bound_s = bucket_bound_seconds(int(result["parts"]), channels)  # type: ignore[call-overload]
            mb = size / 1e6
            figures[f"{channels}ch_parts"] = result["parts"]
            figures[f"{channels}ch_upload_s"] = round(upload_s, 1)
            figures[f"{channels}ch_upload_MBps"] = round(mb / upload_s, 2)
            figures[f"{channels}ch_bucket_max_MBps"] = round(mb / bound_s, 2)
            figures[f"{channels}ch_ratio_to_max"] = round(bound_s / upload_s, 3)
            figures[f"{channels}ch_download_MBps"] = round(mb / float(result["download_s"]), 1)  # type: ignore[arg-type]
            figures[f"{channels}ch_peak_rss_MB"] = round(float(result["peak_rss_mb"]), 1)  # type: ignore[arg-type]
            figures[f"{channels}ch_identical"] = result["identical"]
            print(
                f"  {channels} channel(s): {figures[f'{channels}ch_upload_MBps']} MB/s, "
                f"ratio {figures[f'{channels}ch_ratio_to_max']}",
                flush=True,
            )
        return figures
    finally:
        emulator.stop()
        shutil.rmtree(work, ignore_errors=True)
