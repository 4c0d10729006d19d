"""Web gallery on MariaDB: 1,000,000 files, server-side page times and throughput.

Runs in a child process (``python -m bench.gallery_work``) so it can point
Django at its own MariaDB database whatever the other benchmarks use:
``BENCH_GALLERY_DATABASE_URL`` (default ``mysql://root@127.0.0.1:3306/seq_bench_web``).
The seed is kept between runs (it takes a minute or two); ``--quick`` uses
50,000 rows in a separate database. Writes EXPLAIN plans to
``bench/out/gallery-explain.md``.
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
    return run_on_gallery_database(args, "bench.gallery_work", "gallery")


def run_on_gallery_database(args: argparse.Namespace, module: str, name: str) -> dict[str, object]:
    """Run ``module`` in a child process on the million-file MariaDB database.

    Shared by the benchmarks that need the gallery's seed (gallery, ads):
    the child gets its own Django settings (that database, Redis for the
    cache and sessions under its own prefix) and writes its figures to
    ``bench/out/<name>.result.json``.
    """
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
        # Production-like: Redis for the cache and sessions, under its own prefix.
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "INSTANCE_PREFIX": f"bench-{name}",
        "CELERY_BROKER_URL": "memory://",
    }
    out = ROOT / "bench" / "out" / f"{name}.result.json"
    code = subprocess.call(
        [sys.executable, "-m", module, "--rows", str(rows), "--out", str(out)],
        cwd=ROOT,
        env=env,
    )
    if code != 0:
        raise RuntimeError(f"{module} exited with {code}")
    figures: dict[str, object] = json.loads(out.read_text())
    return figures
