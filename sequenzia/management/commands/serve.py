"""Run what one machine needs: web (uvicorn), worker with beat, and Discord I/O if configured.

The web server is uvicorn rather than daphne: daphne buffers whatever the
app sends a slow client (no backpressure), so one slow download of a big
file could hold it all in memory; uvicorn waits for the socket.

Children share this process's environment. If one of them exits, the others
are stopped too, so a broken setup fails loudly instead of half-running.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Sequenzia: web + worker + beat (+ discord_io when DISCORD_TOKEN is set)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="web processes")
        parser.add_argument("--no-worker", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        commands = {
            "web": [
                python,
                "-m",
                "sequenzia.webserver",  # uvicorn, with TCP_NODELAY on every connection
                "--host",
                options["host"],
                "--port",
                str(options["port"]),
                "--workers",
                str(options["workers"]),
            ],
        }
        if not options["no_worker"]:
            commands["worker"] = [
                python,
                "-m",
                "celery",
                "-A",
                "sequenzia",
                "worker",
                "--beat",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ]
        if settings.DISCORD_TOKEN:
            commands["discord_io"] = [python, "manage.py", "discord_io"]
        children = {name: subprocess.Popen(argv) for name, argv in commands.items()}
        self.stdout.write(
            f"Sequenzia on http://{options['host']}:{options['port']}/ "
            f"({', '.join(children)}); Ctrl-C stops."
        )

        def stop(*_: object) -> None:
            for child in children.values():
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children.values()):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for child in children.values():
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [n for n, c in children.items() if c.returncode not in (0, -15, -2, None)]
        if failed:
            raise SystemExit(f"stopped because {', '.join(failed)} exited")
