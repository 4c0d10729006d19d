"""``junefs index CHANNEL``: read a channel's history from Discord into the index.

Pages through the history oldest first (100 messages a request, discord.py's
own pagination) and records each page like live events: attachments become
files, our parent messages are matched to their files or rebuild them. Keys
are Discord's ids, so running it again adds nothing. ``prune`` (after a full
pass) forgets mirrored files whose message is no longer there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import discord
from asgiref.sync import sync_to_async

from junefs.discord_io.convert import message_record
from junefs.discord_io.events import fetcher
from junefs.discord_io.mirror import forget_files, mirrored_files, record_message
from junefs.discord_io.records import MessageRecord

PAGE = 100


class ChannelUnreadable(Exception):
    """The channel cannot be read (one line for the command)."""


@dataclass
class IndexSummary:
    messages: int = 0
    new_files: int = 0
    known_files: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    pruned: int = 0


def record_page(messages: list[MessageRecord], summary: IndexSummary) -> None:
    for message in messages:
        outcome = record_message(message, fetch=fetcher(message))
        summary.kinds[outcome.note if outcome.kind == "parent" else outcome.kind] += 1
        summary.new_files += len(outcome.new_file_ids)
        summary.known_files += outcome.known if outcome.kind == "files" else 0


def prune_missing(discord_channel_id: int, seen: set[int]) -> int:
    files = mirrored_files().filter(channel__discord_channel_id=discord_channel_id)
    gone = [f for f in files if f.discord_message_id not in seen]
    forget_files(gone)
    return len(gone)


async def index_channel(
    discord_channel_id: int,
    *,
    token: str,
    after: int | None = None,
    prune: bool = False,
    progress: Callable[[int], object] | None = None,
) -> IndexSummary:
    summary = IndexSummary()
    seen: set[int] = set()
    client = discord.Client(intents=discord.Intents(guilds=True))  # REST only: no gateway
    async with client:
        await client.login(token)
        try:
            channel = await client.fetch_channel(discord_channel_id)
        except (discord.NotFound, discord.Forbidden) as exc:
            raise ChannelUnreadable(
                f"cannot read Discord channel {discord_channel_id}: {exc}"
            ) from None
        if not isinstance(channel, discord.TextChannel):
            raise ChannelUnreadable(f"Discord channel {discord_channel_id} is not a text channel")
        page: list[MessageRecord] = []
        start = discord.Object(after) if after else None
        async for message in channel.history(limit=None, after=start, oldest_first=True):
            page.append(message_record(message))
            seen.add(message.id)
            if len(page) == PAGE:
                await sync_to_async(record_page)(page, summary)
                summary.messages += len(page)
                if progress is not None:
                    progress(len(page))
                page = []
        if page:
            await sync_to_async(record_page)(page, summary)
            summary.messages += len(page)
            if progress is not None:
                progress(len(page))
    if prune and after is None:
        summary.pruned = await sync_to_async(prune_missing)(discord_channel_id, seen)
    return summary
