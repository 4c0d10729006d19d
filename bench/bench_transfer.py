"""Issue 2, benchmark 1: upload then download a 1 GiB random file through JuneFS.

Local backend, 10 MiB parts. Baseline in the same run: ``cp`` then
``sha256sum`` of the same file. Reports MB/s each way, the ratio to the
baseline, and the peak RSS of the process doing the transfer.
Targets: ratio >= 0.4 each way, peak RSS < 200 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.child import run_child

MiB = 1024 * 1024


def _baseline(source: Path, work: Path) -> float:
    """Seconds for cp + sha256sum of the file (the best of two tries)."""
    best = float("inf")
    for _ in range(2):
        copy = work / "cp.bin"
        started = time.perf_counter()
        subprocess.run(["cp", str(source), str(copy)], check=True)
        subprocess.run(["sha256sum", str(copy)], check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
        copy.unlink()
    return best


def run(args: argparse.Namespace) -> dict[str, object]:
    size = (128 if args.quick else 1024) * MiB
    work = Path(tempfile.mkdtemp(prefix="bench-transfer-"))
    try:
        source = work / "random.bin"
        with source.open("wb") as out:
            for _ in range(size // (64 * MiB)):
                out.write(os.urandom(64 * MiB))
        baseline = _baseline(source, work)
        result = run_child(
            "bench.transfer_child",
            work / "data",
            {"source": str(source), "output": str(work / "out.bin")},
            env={"JUNEFS_MAX_PART_SIZE": str(10 * MiB), "STORAGE_BACKEND": "local"},
        )
        mb = size / 1e6
        up, down = float(result["upload_s"]), float(result["download_s"])  # type: ignore[arg-type]
        return {
            "file_MiB": size // MiB,
            "parts": result["parts"],
            "baseline_cp_sha256sum_MBps": round(mb / baseline, 1),
            "upload_MBps": round(mb / up, 1),
            "download_MBps": round(mb / down, 1),
            "upload_ratio": round(baseline / up, 2),
            "download_ratio": round(baseline / down, 2),
            "peak_rss_MB": round(float(result["peak_rss_mb"]), 1),  # type: ignore[arg-type]
            "round_trip_identical": result["identical"],
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
