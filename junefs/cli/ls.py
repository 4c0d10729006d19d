"""junefs ls [--channel NAME] [--json]"""

from __future__ import annotations

from typing import Any

from django.core.management import BaseCommand, CommandParser

from junefs.cli.common import find_channel, json_line
from junefs.models import File

help = "List files, newest first."


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("--channel", help="only this folder")
    parser.add_argument("--server")
    parser.add_argument("--state", choices=[s.value for s in File.State])
    parser.add_argument("--limit", type=int, default=0, help="at most this many (0: all)")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    files = File.objects.select_related("channel").order_by("-created_at", "-id")
    if options["channel"]:
        files = files.filter(channel=find_channel(options["channel"], options.get("server")))
    if options["state"]:
        files = files.filter(state=options["state"])
    if options["limit"]:
        files = files[: options["limit"]]
    for file in files.iterator(chunk_size=2000):
        if options["json"]:
            command.stdout.write(
                json_line(
                    {
                        "id": file.pk,
                        "name": file.name,
                        "channel": file.channel.name,
                        "size": file.size,
                        "sha256": file.sha256,
                        "mime": file.mime,
                        "parts": file.part_count,
                        "state": file.state,
                        "width": file.width,
                        "height": file.height,
                        "created_at": file.created_at.isoformat(),
                    }
                )
            )
        else:
            command.stdout.write(
                f"{file.pk:>8}  {file.state:<9} {file.size:>12}  {file.part_count:>4}p  "
                f"{file.channel.name}/{file.name}"
            )
