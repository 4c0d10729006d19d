"""ADS on MariaDB with 1,000,000 files: server time to choose a screen's next image.

Shares the gallery benchmark's seeded database (``BENCH_GALLERY_DATABASE_URL``,
default ``mysql://root@127.0.0.1:3306/seq_bench_web``; seeded on first use and
kept) and runs in a child process (``python -m bench.ads_work``) for the same
reason. ``--quick`` uses the 50,000-row database.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args: argparse.Namespace) -> dict[str, object]:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 3306), timeout=2).close()
    except OSError:
        return {"skipped": "MariaDB is not reachable on 127.0.0.1:3306 (the benchmark needs it)"}
    url = os.environ.get("BENCH_GALLERY_DATABASE_URL", "mysql://root@127.0.0.1:3306/seq_bench_web")
    rows = 50_000 if args.quick else 1_000_000
    if args.quick:
        url += "_quick"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "sequenzia.settings",
        "DATA_DIR": str(ROOT / "bench" / "out" / "gallery-data"),
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "PYTHONWARNINGS": "ignore::UserWarning",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "INSTANCE_PREFIX": "bench-ads",
        "CELERY_BROKER_URL": "memory://",
    }
    out = ROOT / "bench" / "out" / "ads.result.json"
    code = subprocess.call(
        [sys.executable, "-m", "bench.ads_work", "--rows", str(rows), "--out", str(out)],
        cwd=ROOT,
        env=env,
    )
    if code != 0:
        raise RuntimeError(f"bench.ads_work exited with {code}")
    figures: dict[str, object] = json.loads(out.read_text())
    return figures
