"""junefs index CHANNEL [--after ID] [--prune]"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.management import BaseCommand, CommandError, CommandParser

from junefs.cli.common import find_channel, progress
from junefs.models import Channel

help = "Read a mapped folder's Discord history into the index (safe to run again)."


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("channel", help="folder name or id, or its Discord channel id")
    parser.add_argument("--server", help="server name, when folder names repeat")
    parser.add_argument("--after", type=int, help="only messages after this message id")
    parser.add_argument(
        "--prune",
        action="store_true",
        help="forget mirrored files whose message is gone (needs a full pass)",
    )


def _folder(name: str, server: str | None) -> Channel:
    if name.isdigit():
        mapped = Channel.objects.filter(discord_channel_id=int(name)).first()
        if mapped is not None:
            return mapped
    return find_channel(name, server)


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    from junefs.discord_io.backfill import ChannelUnreadable, index_channel
    from junefs.discord_io.runner import point_discord_py

    if options["prune"] and options["after"]:
        raise CommandError("--prune needs the whole history (leave out --after)")
    folder = _folder(options["channel"], options.get("server"))
    if folder.discord_channel_id is None:
        raise CommandError(
            f"folder {folder.name!r} is not mapped to a Discord channel "
            "(run: manage.py discord_io setup --guild ID)"
        )
    if not settings.DISCORD_TOKEN:
        raise CommandError("DISCORD_TOKEN is not set")
    point_discord_py()
    with progress(0, f"index {folder.name}", unit="msg") as bar:
        try:
            summary = async_to_sync(index_channel)(
                folder.discord_channel_id,
                token=settings.DISCORD_TOKEN,
                after=options["after"],
                prune=options["prune"],
                progress=bar.update,
            )
        except ChannelUnreadable as exc:
            raise CommandError(str(exc)) from None
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(summary.kinds.items()))
    pruned = f", {summary.pruned} pruned" if options["prune"] else ""
    command.stdout.write(
        f"{folder.name}: {summary.messages} messages ({kinds or 'none'}); "
        f"{summary.new_files} new files, {summary.known_files} already indexed{pruned}"
    )
