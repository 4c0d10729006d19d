"""Run the whole suite on SQLite, then again on MariaDB + Redis when both answer.

Called by ``make test``. Each run gets its own data folder and output folder
under ``test-output/<run>/`` (screenshots, logs, JUnit XML). A run whose
services are absent is reported as SKIPPED with the reason, never as passed.
Exit status is non-zero when any run fails.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"
# Per-checkout names, so two checkouts on one machine never share a test
# database or Redis keys.
TAG = hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def mariadb_reason() -> str | None:
    """Why the MariaDB run cannot happen, or None when it can."""
    if not reachable("127.0.0.1", 3306):
        return "MariaDB not reachable on 127.0.0.1:3306"
    if not reachable("127.0.0.1", 6379):
        return "Redis not reachable on 127.0.0.1:6379"
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        return "mysqlclient is not installed (needs libmariadb-dev and pkg-config)"
    return None


def counts(junit: Path) -> dict[str, int]:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if not junit.exists():
        return totals
    root = ET.parse(junit).getroot()  # noqa: S314 - our own pytest output
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    for suite in suites:
        for key in totals:
            totals[key] += int(suite.get(key, 0))
    return totals


def run(name: str, extra_env: dict[str, str], args: list[str]) -> tuple[int, dict[str, int], float]:
    out = OUTPUT / name
    shutil.rmtree(out, ignore_errors=True)
    (out / "data").mkdir(parents=True)
    env = {**os.environ, **extra_env, "DATA_DIR": str(out / "data"), "TEST_OUTPUT_DIR": str(out)}
    junit = out / "junit.xml"
    print(f"\n===== test run: {name} =====", flush=True)
    started = time.monotonic()
    code = subprocess.call(
        [sys.executable, "-m", "pytest", f"--junitxml={junit}", *args], cwd=ROOT, env=env
    )
    return code, counts(junit), time.monotonic() - started


def main() -> int:
    args = sys.argv[1:]
    results: list[tuple[str, str]] = []
    failed = False
    base_env = {"DATABASE_URL": "", "REDIS_URL": "", "CELERY_BROKER_URL": ""}
    code, c, seconds = run("sqlite", base_env, args)
    failed |= code != 0
    results.append(("sqlite", _line(code, c, seconds)))

    reason = mariadb_reason()
    if reason is None:
        maria_env = {
            "DATABASE_URL": f"mysql://root@127.0.0.1:3306/seq_{TAG}",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
            "INSTANCE_PREFIX": f"test-{TAG}",
        }
        code, c, seconds = run("mariadb+redis", maria_env, args)
        failed |= code != 0
        results.append(("mariadb+redis", _line(code, c, seconds)))
    else:
        results.append(("mariadb+redis", f"SKIPPED: {reason}"))

    print("\n===== summary =====")
    for name, line in results:
        print(f"{name:>14}: {line}")
    return 1 if failed else 0


def _line(code: int, c: dict[str, int], seconds: float) -> str:
    passed = c["tests"] - c["failures"] - c["errors"] - c["skipped"]
    status = "ok" if code == 0 else f"FAILED (exit {code})"
    return (
        f"{status}: {passed} passed, {c['failures']} failed, {c['errors']} errors, "
        f"{c['skipped']} skipped in {seconds:.0f}s"
    )


if __name__ == "__main__":
    sys.exit(main())
