"""python manage.py discord_io [setup --guild ID | status]

Without an action: run the Discord I/O client (active, or standby while
another process holds the lease) until SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.management import BaseCommand, CommandError, CommandParser

from junefs.discord_io.lease import get_lease
from junefs.discord_io.runner import DiscordIO, DiscordIOError, point_discord_py


class Command(BaseCommand):
    help = "Mirror Discord into JuneFS (run, or: setup --guild ID, status)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action")
        setup = actions.add_parser("setup", help="map a guild's channels to folders")
        setup.add_argument("--guild", type=int, required=True, help="the guild (server) id")
        setup.add_argument(
            "--server", help="an existing server row to attach the guild to (default: a new one)"
        )
        setup.add_argument(
            "--parts-channels",
            type=int,
            default=2,
            help="parts channels to create when the guild has none (default 2)",
        )
        actions.add_parser("status", help="which process holds the lease")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options.get("action")
        if action == "status":
            holder = get_lease().current_holder()
            self.stdout.write(f"active: {holder}" if holder else "no process is active")
            return
        if not settings.DISCORD_TOKEN:
            raise CommandError("DISCORD_TOKEN is not set")
        point_discord_py()
        if action == "setup":
            self._setup(options)
        else:
            self._run()

    def _run(self) -> None:
        runner = DiscordIO(get_lease())

        async def main() -> None:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, runner.stop)
            await runner.run()

        try:
            asyncio.run(main())
        except DiscordIOError as exc:
            raise CommandError(str(exc)) from None

    def _setup(self, options: dict[str, Any]) -> None:
        from junefs.discord_io.setup import SetupError, setup_guild

        if options["parts_channels"] < 1:
            raise CommandError("--parts-channels must be at least 1")
        try:
            report = async_to_sync(setup_guild)(
                options["guild"],
                token=settings.DISCORD_TOKEN,
                server_name=options["server"],
                parts_count=options["parts_channels"],
            )
        except SetupError as exc:
            raise CommandError(str(exc)) from None
        except DiscordIOError as exc:  # pragma: no cover - setup raises SetupError
            raise CommandError(str(exc)) from None
        created = f" (created: {', '.join(report.created)})" if report.created else ""
        self.stdout.write(f"server {report.server}: guild {report.guild}")
        self.stdout.write(f"parts channels: {', '.join(report.parts)}")
        self.stdout.write(f"thumbnails channel: {report.thumbnails}{created}")
        self.stdout.write(
            f"folders: {report.folders} ({report.new_folders} new); "
            "read their history with: manage.py junefs index CHANNEL"
        )
