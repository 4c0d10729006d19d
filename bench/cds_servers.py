"""Processes for the CDS benchmark: CDS under uvicorn or daphne, nginx, and their memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from tests.processes import wait_for

ROOT = Path(__file__).resolve().parent.parent
NGINX = "/usr/sbin/nginx"


@contextmanager
def running(argv: list[str], health: str, env: dict[str, str], log: Path) -> Iterator[int]:
    """Run ``argv`` until the block ends; yields its pid once ``health`` answers."""
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(health, process)
        yield process.pid
    finally:
        # SIGINT: uvicorn re-raises the signal it stopped on once it has shut
        # down, and a SIGTERM would then end the process before atexit
        # handlers (the audit's last flush, cProfile's dump) run.
        process.send_signal(signal.SIGINT if argv[0] == sys.executable else signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def cds_server(
    server: str, port: int, out: Path, name: str, *, profile: bool = False, **extra: str
) -> AbstractContextManager[int]:
    """The web process on ``port``: uvicorn as ``make run`` starts it, or daphne.

    ``profile`` runs it under cProfile (the event loop's thread), written to
    ``out/<name>.prof`` when it stops.
    """
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
                "--no-server-header", "--log-level", "warning"]  # fmt: skip
    else:
        argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                "--access-log", os.devnull, "sequenzia.asgi:application"]  # fmt: skip
    if profile:
        argv[1:3] = ["-m", "cProfile", "-o", str(out / f"{name}.prof"), "-m", argv[2]]
    return running(argv, f"http://127.0.0.1:{port}/cds/health", env, out / f"{name}.log")


def nginx(conf: Path, health: str, log: Path) -> AbstractContextManager[int]:
    argv = [NGINX, "-p", str(conf.parent), "-c", str(conf), "-g", "daemon off;"]
    return running(argv, health, dict(os.environ), log)


def memory_mb(pid: int) -> tuple[float, float]:
    """(peak, current) resident set size of a process, from /proc (VmHWM, VmRSS)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
