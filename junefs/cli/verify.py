"""junefs verify [ID...|--all]"""

from __future__ import annotations

from typing import Any

from django.core.management import BaseCommand, CommandError, CommandParser
from django.db.models import Sum

from junefs.cli.common import find_file, progress
from junefs.models import File
from junefs.reader import verify_file

help = "Re-read every part of files from their backend and check the hashes."


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID")
    parser.add_argument("--all", action="store_true", help="every stored file")


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    if options["all"] == bool(options["ids"]):
        raise CommandError("give file ids or --all (not both)")
    if options["all"]:
        files = File.objects.filter(state__in=[File.State.COMPLETE, File.State.DAMAGED])
    else:
        files = File.objects.filter(pk__in=[find_file(i).pk for i in options["ids"]])
    total = files.aggregate(total=Sum("size"))["total"] or 0
    damaged = 0
    checked = 0
    with progress(total, "verify") as bar:
        for file in files.order_by("id").iterator(chunk_size=500):
            report = verify_file(file, progress=bar.update)
            checked += 1
            if report.ok:
                command.stdout.write(f"{file.pk}: ok ({report.checked_parts} parts)")
            else:
                damaged += 1
                command.stdout.write(f"{file.pk}: DAMAGED: {'; '.join(report.problems)}")
    if damaged:
        raise CommandError(f"{damaged} of {checked} file(s) damaged")
