"""The whole site under uvicorn (HTTP and websockets), on a port it keeps across restarts.

Browser tests need the real ASGI application: the slideshow talks to Channels
over a websocket, and a restart must come back on the same address, as a
server does after a crash.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cds.servers import server_env, stop, uvicorn_command, wait_for
from tests.processes import ROOT, free_port


class SiteServer:
    def __init__(self, log: Path, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = server_env(SITE_URL=self.base, **env)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                uvicorn_command(self.port),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(f"{self.base}/healthz", self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def __enter__(self) -> SiteServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
