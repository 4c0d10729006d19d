"""The Discord emulator in a process of its own, driven over ``/_emulator/`` (for benchmarks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from typing import Any

from bench.child import ROOT


class Emulator:
    """``python -m tests.discord_emulator --port 0``, with its control API as methods."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.discord_emulator", "--port", "0"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.info: dict[str, Any] = json.loads(self.process.stdout.readline())

    @property
    def pid(self) -> int:
        return self.process.pid

    def post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.info['base_url']}/_emulator/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["result"]

    def counters(self) -> dict[str, Any]:
        url = f"{self.info['base_url']}/_emulator/counters"
        with urllib.request.urlopen(url, timeout=60) as response:
            return dict(json.loads(response.read()))

    def call(self, operation: str, **arguments: Any) -> Any:
        return self.post(f"call/{operation}", arguments)

    def discord_env(self) -> dict[str, str]:
        """The settings that point the Discord backend at this emulator."""
        return {
            "DISCORD_TOKEN": self.info["token"],
            "DISCORD_API_BASE": self.info["api_base"],
            "DISCORD_GATEWAY_URL": self.info["gateway_url"],
        }

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
