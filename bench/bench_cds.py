"""CDS: stream a spanned file from the Discord emulator through the content server, and
serve cached files (Django, nginx offload, nginx direct).

Runs :mod:`bench.cds_run` in a child process with a settings environment of
its own (a fresh data folder under ``bench/out/cds``), so it neither sees nor
changes the configuration of other benchmarks in the same run.

``--quick`` streams 64 MiB instead of 1 GiB. Figures are taken under uvicorn
(what ``make run`` serves with); ``BENCH_CDS_SERVERS=uvicorn,daphne`` adds
daphne, ``BENCH_CDS_SKIP=offload`` (or ``streaming``) leaves a part out.
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
    out = ROOT / "bench" / "out" / "cds"
    out.mkdir(parents=True, exist_ok=True)
    result = out / "result.json"
    result.unlink(missing_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DATABASE_", "REDIS_", "CELERY_", "JUNEFS_", "CDS_", "STORAGE_", "DISCORD_")
        )
    }
    env.update(DJANGO_SETTINGS_MODULE="sequenzia.settings", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "bench.cds_run", "--out", str(out), "--json", str(result)]
    if getattr(args, "quick", False):
        command.append("--quick")
    for server in filter(None, os.environ.get("BENCH_CDS_SERVERS", "").split(",")):
        command += ["--server", server]
    for part in filter(None, os.environ.get("BENCH_CDS_SKIP", "").split(",")):
        command += ["--skip", part]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    figures: dict[str, object] = json.loads(result.read_text())
    return figures
