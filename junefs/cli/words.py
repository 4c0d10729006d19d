"""junefs words [ID ...]"""

from __future__ import annotations

from typing import Any

from django.core.management import BaseCommand, CommandError, CommandParser

from junefs.cli.common import progress
from junefs.models import File
from junefs.word_index import backfill, reindex_files

help = (
    "Rebuild the search box's word index from files' names and descriptions "
    "(every file, or these ids; safe to run again)."
)


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID", help="only these files")


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    ids = options["ids"]
    if ids:
        if not all(i.isdigit() for i in ids):
            raise CommandError(f"not a file id: {next(i for i in ids if not i.isdigit())!r}")
        reindex_files(int(i) for i in ids)
        command.stdout.write(f"{len(ids)} file(s) reindexed")
        return
    with progress(File.objects.count(), "indexing words", unit="file") as bar:
        files, words = backfill(progress=bar.update)
    command.stdout.write(f"{files} file(s), {words} word(s) indexed")
