"""Real ``manage.py discord_io`` processes against a standalone emulator.

Two of them: exactly one is active (holds the lease, has the gateway session),
and when it is killed (-9, no goodbye) the standby takes over and mirrors
what comes next, and what came in between. Plus the one-line errors ``serve``
shows when the token is wrong or the gateway cannot be reached.
"""

from __future__ import annotations

import base64
import io
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.management import call_command

from junefs.discord_io.lease import get_lease
from junefs.models import Channel, File, Server
from tests.factories import png_bytes
from tests.processes import ROOT, child_env, free_port, python, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


class StandaloneEmulator:
    def __init__(self) -> None:
        self.proc = python(
            "-m", "tests.discord_emulator", "--port", "0", stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.info: dict[str, Any] = json.loads(self.proc.stdout.readline())
        self.http = httpx.Client(base_url=self.info["base_url"], timeout=10)

    def call(self, operation: str, **arguments: Any) -> Any:
        response = self.http.post(f"/_emulator/call/{operation}", json=arguments)
        response.raise_for_status()
        return response.json()

    def post_file(self, name: str) -> int:
        files = [{"filename": name, "data_b64": base64.b64encode(png_bytes()).decode()}]
        message = self.call(
            "post_message",
            channel_id=self.info["channel_id"],
            author_id=self.info["person_id"],
            content=name,
            files=files,
        )
        return int(message["result"]["id"] if "result" in message else message["id"])

    def connected_sessions(self) -> int:
        sessions = self.call("sessions")
        sessions = sessions.get("result", sessions) if isinstance(sessions, dict) else sessions
        return sum(1 for s in sessions if s["connected"])

    def env(self, **overrides: str) -> dict[str, str]:
        settings = {
            "DISCORD_TOKEN": self.info["token"],
            "DISCORD_API_BASE": self.info["api_base"],
            "DISCORD_GATEWAY_URL": self.info["gateway_url"],
            "DISCORD_IO_LEASE_SECONDS": "2",
            "DISCORD_IO_CONNECT_ATTEMPTS": "2",
        }
        return child_env(**{**settings, **overrides})

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def standalone() -> Iterator[StandaloneEmulator]:
    emulator = StandaloneEmulator()
    yield emulator
    emulator.stop()


def discord_io(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return python("manage.py", "discord_io", env=env, stdout=out, stderr=subprocess.STDOUT)


def holder_pid() -> int | None:
    holder = get_lease().current_holder()
    return int(holder.split(":")[1]) if holder else None


def test_two_processes_one_active_and_the_standby_takes_over(
    standalone: StandaloneEmulator, output_dir: Path
) -> None:
    info = standalone.info
    server = Server.objects.create(name="guild", guild_id=int(info["guild_id"]))
    channel_id = int(info["channel_id"])
    # Mirrored from its start: a process that connects reads what it missed.
    Channel.objects.create(
        server=server,
        name="general",
        discord_channel_id=channel_id,
        discord_last_message_id=channel_id,
    )
    env = standalone.env()
    procs = [discord_io(env, output_dir / f"discord_io-{i}.log") for i in range(2)]
    try:
        wait_until(lambda: holder_pid() in {p.pid for p in procs}, what="one process active")
        active = next(p for p in procs if p.pid == holder_pid())
        standby = next(p for p in procs if p is not active)
        status = io.StringIO()
        call_command("discord_io", "status", stdout=status)
        assert f":{active.pid}:" in status.getvalue()
        wait_until(lambda: standalone.connected_sessions() == 1, what="the gateway session")
        first = standalone.post_file("first.png")
        wait_until(lambda: File.objects.filter(discord_message_id=first).exists(), what="first")
        # The standby runs but is not connected (its log: test-output/…/discord_io-N.log).
        assert standalone.connected_sessions() == 1 and standby.poll() is None

        active.send_signal(signal.SIGKILL)
        active.wait(10)
        between = standalone.post_file("between.png")  # nobody is connected now
        wait_until(lambda: holder_pid() == standby.pid, timeout=30, what="the takeover")
        wait_until(lambda: standalone.connected_sessions() == 1, what="the new gateway session")
        after = standalone.post_file("after.png")
        wait_until(
            lambda: File.objects.filter(discord_message_id__in=[between, after]).count() == 2,
            timeout=30,
            what="the standby to mirror what came after the kill",
        )
        assert File.objects.count() == 3

        standby.send_signal(signal.SIGTERM)  # a clean stop gives the lease back
        assert standby.wait(15) == 0
        assert get_lease().current_holder() is None
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def run_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "discord_io"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_bad_token_stops_with_a_one_line_error(standalone: StandaloneEmulator) -> None:
    result = run_once(standalone.env(DISCORD_TOKEN="not-a-token"))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "CommandError: Discord refused DISCORD_TOKEN (401 Unauthorized); check the bot token"
    )


def test_an_unreachable_gateway_stops_with_a_one_line_error(
    standalone: StandaloneEmulator,
) -> None:
    nowhere = f"ws://127.0.0.1:{free_port()}/"
    result = run_once(standalone.env(DISCORD_GATEWAY_URL=nowhere))
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f"CommandError: cannot reach the Discord gateway at {nowhere} after 2 attempts"
    )
