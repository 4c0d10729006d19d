"""junefs channels [create NAME ...]"""

from __future__ import annotations

from typing import Any

from django.core.management import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from junefs.models import Channel, Server

help = "List folders, or create one."


def add_arguments(parser: CommandParser) -> None:
    actions = parser.add_subparsers(dest="action")
    create = actions.add_parser("create", help="create a folder")
    create.add_argument("name")
    create.add_argument("--server", help="server name (default: the first one)")
    create.add_argument("--category", default="")
    create.add_argument("--class", dest="class_name", default="")
    create.add_argument("--description", default="")
    create.add_argument("--nsfw", action="store_true")


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    if options.get("action") == "create":
        _create(command, options)
        return
    channels = Channel.objects.select_related("server").annotate(file_count=Count("files"))
    for channel in channels.order_by("server__name", "name"):
        flags = " nsfw" if channel.nsfw else ""
        command.stdout.write(
            f"{channel.pk:>6}  {channel.server.name}/{channel.name:<30} "
            f"{channel.file_count:>8} files"
            f"  {channel.class_name}/{channel.category}{flags}"
        )


def _create(command: BaseCommand, options: dict[str, Any]) -> None:
    name = options["name"].strip()
    if not name or len(name) > 100 or "/" in name:
        raise CommandError("a channel name is 1-100 characters without '/'")
    if options["server"]:
        server = Server.objects.filter(name=options["server"]).first()
        if server is None:
            raise CommandError(f"no server named {options['server']!r}")
    else:
        server = Server.default()
    if Channel.objects.filter(server=server, name=name).exists():
        raise CommandError(f"channel {name!r} already exists on {server.name}")
    channel = Channel.objects.create(
        server=server,
        name=name,
        category=options["category"],
        class_name=options["class_name"],
        description=options["description"],
        nsfw=options["nsfw"],
    )
    command.stdout.write(f"created channel {channel.pk}: {server.name}/{channel.name}")
