"""junefs rm ID..."""

from __future__ import annotations

from typing import Any

from django.core.management import BaseCommand, CommandError, CommandParser

from junefs.cli.common import find_file
from junefs.operations import delete_file

help = "Delete files and the bytes no other file shares."


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("ids", nargs="+", metavar="ID")


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    files = [find_file(i) for i in options["ids"]]
    troubled = 0
    for file in files:
        name, file_id = file.name, file.pk
        problems = delete_file(file)
        if problems:
            troubled += 1
            command.stderr.write(f"{file_id}: deleted, but: {'; '.join(problems)}")
        else:
            command.stdout.write(f"{file_id}: deleted {name}")
    if troubled:
        raise CommandError(f"{troubled} file(s) left bytes behind on the backend")
