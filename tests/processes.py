"""Start real processes (workers, servers, scripts) that share the test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """A DATABASE_URL for the database this test is using (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    scheme = {"django.db.backends.mysql": "mysql", "django.db.backends.postgresql": "postgres"}[
        db["ENGINE"]
    ]
    auth = quote(db.get("USER") or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"{scheme}://{auth}@{host}{port}/{db['NAME']}"


def child_env(**overrides: str) -> dict[str, str]:
    """The environment for a child process: same database, store and backend as this test."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        JUNEFS_STORE_DIR=str(settings.JUNEFS_STORE_DIR),
        JUNEFS_LOCAL_BACKEND_DIR=str(settings.JUNEFS_LOCAL_BACKEND_DIR),
        JUNEFS_MAX_PART_SIZE=str(settings.JUNEFS_MAX_PART_SIZE),
        STORAGE_BACKEND=settings.STORAGE_BACKEND,
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="sequenzia.settings",
    )
    env.update(overrides)
    return env


def python(
    *args: str, env: dict[str, str] | None = None, **popen: object
) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env or child_env(), **popen)  # type: ignore[call-overload]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05, what: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")


def drain_task_queue() -> list[str]:
    """Take every message off the default Celery queue; return their task names."""
    from kombu import Queue

    from sequenzia.celery import app

    names: list[str] = []
    with app.connection_for_write() as conn, conn.channel() as channel:
        queue = Queue(app.conf.task_default_queue)(channel)
        queue.declare()
        while (message := queue.get(no_ack=True)) is not None:
            names.append(message.headers.get("task", "?"))
    return names


def wait_for(url: str, process: subprocess.Popen[bytes] | None, timeout: float = 30.0) -> None:
    """Until ``url`` answers below 500; fails at once if ``process`` has exited."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")
