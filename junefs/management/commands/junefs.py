"""python manage.py junefs <upload|download|ls|verify|rm|channels|index|words> ..."""

from __future__ import annotations

from typing import Any

from django.core.management import BaseCommand, CommandParser

from junefs.cli import SUBCOMMANDS


class Command(BaseCommand):
    help = "Store, list, fetch, verify and delete JuneFS files."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        for name, module in SUBCOMMANDS.items():
            module.add_arguments(sub.add_parser(name, help=module.help))

    def handle(self, *args: Any, **options: Any) -> None:
        SUBCOMMANDS[options["subcommand"]].handle(self, options)
