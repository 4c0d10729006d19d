"""junefs upload PATH... --channel NAME [--json] [--queue] [--create]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import BaseCommand, CommandError, CommandParser

from junefs.cli.common import find_channel, json_line, progress
from junefs.errors import IngestRejected
from junefs.ingest import ingest_path
from junefs.models import Channel, File, Server

help = "Store files (folders are walked) in a channel."


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--channel", required=True, help="folder name or id")
    parser.add_argument("--server", help="server name, when channel names repeat")
    parser.add_argument("--create", action="store_true", help="create the channel if missing")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    parser.add_argument(
        "--queue", action="store_true", help="hand uploads to the worker instead of waiting"
    )


def _expand(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        else:
            files.append(path)  # missing paths are reported by ingest, one line each
    return files


def _channel(options: dict[str, Any]) -> Channel:
    try:
        return find_channel(options["channel"], options.get("server"))
    except CommandError:
        if not options["create"]:
            raise
        server = (
            Server.objects.get(name=options["server"])
            if options.get("server")
            else Server.default()
        )
        return Channel.objects.create(server=server, name=options["channel"])


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    channel = _channel(options)
    files = _expand(options["paths"])
    failures = 0
    total = sum(p.stat().st_size for p in files if p.is_file())
    with progress(total, "upload") as bar:
        for path in files:
            try:
                result = ingest_path(
                    path, channel, upload="queue" if options["queue"] else "inline"
                )
            except IngestRejected as exc:
                command.stderr.write(f"error: {path}: {exc}")
                failures += 1
                continue
            bar.update(result.file.size)
            file = result.file
            if file.state == File.State.FAILED:
                command.stderr.write(f"error: {path}: upload failed: {file.state_note}")
                failures += 1
            if options["json"]:
                command.stdout.write(
                    json_line(
                        {
                            "id": file.pk,
                            "sha256": file.sha256,
                            "size": file.size,
                            "parts": file.part_count,
                            "name": file.name,
                            "channel": channel.name,
                            "state": file.state,
                            "duplicate": result.duplicate,
                            "path": str(path),
                        }
                    )
                )
            elif result.duplicate:
                command.stdout.write(f"{path}: already stored as file {file.pk} ({file.name})")
            else:
                command.stdout.write(
                    f"{path}: file {file.pk} {file.name} ({file.size} bytes, "
                    f"{file.part_count} part{'s' if file.part_count != 1 else ''}, {file.state})"
                )
    if failures:
        raise CommandError(f"{failures} of {len(files)} file(s) not stored")
