"""junefs download ID -o PATH"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management import BaseCommand, CommandError, CommandParser

from junefs.cli.common import find_file, progress
from junefs.errors import JuneFSError
from junefs.models import File
from junefs.reader import download_to, iter_file

help = "Write a file's verified bytes to a path ('-' for stdout)."


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("id")
    parser.add_argument("-o", "--output", required=True, help="file, folder, or - for stdout")


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    file = find_file(options["id"])
    if file.state not in (File.State.COMPLETE, File.State.DAMAGED):
        raise CommandError(f"file {file.pk} is {file.state}, not stored yet")
    output = options["output"]
    try:
        if output == "-":
            for chunk in iter_file(file):
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        target = Path(output)
        if target.is_dir():
            target = target / file.name
        if not target.parent.is_dir():
            raise CommandError(f"folder {target.parent} does not exist")
        with progress(file.size, f"download {file.pk}") as bar:
            download_to(file, target, progress=bar.update)
    except JuneFSError as exc:
        raise CommandError(f"file {file.pk}: {exc}") from None
    command.stdout.write(f"{target}: {file.size} bytes, sha256 {file.sha256} verified")
