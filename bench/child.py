"""Run a benchmark workload in a fresh child process with its own data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_child(
    module: str, data_dir: Path, args: dict[str, object], env: dict[str, str] | None = None
) -> dict[str, object]:
    """Run ``python -m <module>`` with JSON args on stdin; returns its JSON result."""
    child_env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "sequenzia.settings",
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    result = subprocess.run(
        [sys.executable, "-m", module],
        input=json.dumps(args),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def setup_django() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def peak_rss_mb() -> float:
    """Peak resident set size of this process, from /proc (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
