"""What `make run` does, from an empty data folder: migrate, first admin, serve web + worker."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.factories import jpeg_bytes
from tests.processes import ROOT, free_port, wait_until


def fetch(url: str) -> tuple[int, bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.slow
def test_make_run_steps_serve_the_site_and_run_uploads(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "DATA_DIR": str(tmp_path / "data"),
        "HOME": str(tmp_path),
    }
    manage = [sys.executable, "manage.py"]

    def run(*args: str) -> str:
        return subprocess.run(
            [*manage, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        ).stdout

    run("migrate", "--noinput")
    first = run("ensure_admin")
    assert "username: admin" in first and "password: " in first
    password = first.split("password: ")[1].split()[0]
    assert (tmp_path / "data" / "initial-admin-password").read_text().strip() == password
    assert "Admin account exists" in run("ensure_admin")  # a second run creates nobody

    port = free_port()
    server = subprocess.Popen(
        [*manage, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(base + "/accounts/login/"), timeout=30, what="the web server")
        status, _ = fetch(base + "/")
        assert status == 302  # the gallery asks for a login
        assert fetch(base + "/accounts/login/")[0] == 200
        assert fetch(base + "/admin/login/")[0] == 302  # the admin logs in through allauth
        assert fetch(base + "/static/admin/css/base.css")[0] == 200

        photo = tmp_path / "photo.jpg"
        photo.write_bytes(jpeg_bytes(320, 200))
        out = run(
            "junefs", "upload", str(photo), "--channel", "inbox", "--create", "--queue", "--json"
        )
        file_id = json.loads(out)["id"]

        def complete() -> bool:
            listing = json.loads(run("junefs", "ls", "--json").splitlines()[0])
            return listing["id"] == file_id and listing["state"] == "complete"

        wait_until(complete, timeout=60, interval=0.5, what="the worker started by serve")
        assert server.poll() is None
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def _answers(url: str) -> bool:
    try:
        return fetch(url)[0] == 200
    except OSError:
        return False
