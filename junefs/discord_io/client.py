"""The discord.py client that mirrors a guild into JuneFS.

Event handlers do no work: each turns discord.py's object into a plain record
and puts it on one queue without awaiting anything, so the queue holds events
in gateway order. One consumer applies them, one at a time, through
``sync_to_async`` (async code never touches the ORM). Before each event it
asks ``may_apply`` (the lease): a process that lost its lease stops at once.

After every IDENTIFY (``on_ready``; a RESUME replays what was missed instead)
the client reconciles the guilds' channels and reads each mapped channel's
history after the newest message it applied: what was posted while no
process was connected (a restart, a takeover) is mirrored too. Messages
deleted meanwhile are remembered so history read a moment earlier does not
bring them back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import discord
from asgiref.sync import sync_to_async

from junefs.discord_io.convert import (
    channel_record,
    guild_record,
    message_record,
    mirror_intents,
    role_ids,
)
from junefs.discord_io.events import (
    ChannelChanged,
    ChannelDeleted,
    Event,
    GuildSynced,
    GuildUpdated,
    MemberUpdated,
    MessageCreated,
    MessageEdited,
    MessagesDeleted,
    apply_with_retry,
    catch_up_cursors,
)

log = logging.getLogger(__name__)

#: How many deleted message ids to remember (against stale history).
TOMBSTONES = 10_000


class MirrorClient(discord.Client):
    def __init__(
        self,
        *,
        may_apply: Callable[[], bool] = lambda: True,
        catch_up: bool = True,
        **options: Any,
    ) -> None:
        options.setdefault("intents", mirror_intents())
        options.setdefault("max_messages", None)  # raw events: no message cache needed
        super().__init__(**options)
        self.may_apply = may_apply
        self.catch_up_on_ready = catch_up
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        #: Events applied, by type; message creates applied, by message id (tests read these).
        self.applied: Counter[str] = Counter()
        self.applied_messages: Counter[int] = Counter()
        self.failures = 0
        self.pending = 0
        self.catching_up = False
        self.stopped_applying = False
        self._deleted: set[int] = set()
        self._deleted_order: deque[int] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._consumer: asyncio.Task[None] | None = None
        self._cursors: asyncio.Future[dict[int, int]] | None = None

    # --- lifecycle -------------------------------------------------------------
    async def setup_hook(self) -> None:
        self._consumer = asyncio.create_task(self._consume(), name="mirror-consumer")

    async def close(self) -> None:
        if self._consumer is not None and not self._consumer.done():
            if not self.stopped_applying:
                with contextlib.suppress(TimeoutError):  # apply what is queued, briefly
                    await asyncio.wait_for(self.events.join(), timeout=5)
            self._consumer.cancel()
        for task in list(self._tasks):
            task.cancel()
        await super().close()

    def idle(self) -> bool:
        """Nothing queued or being applied (tests wait for this)."""
        return self.pending == 0 and not self.catching_up

    def _background(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- applying ----------------------------------------------------------------
    def _put(self, event: Event) -> None:
        self.pending += 1
        self.events.put_nowait(event)

    async def _consume(self) -> None:
        while True:
            event = await self.events.get()
            try:
                await self.apply(event)
            finally:
                self.pending -= 1
                self.events.task_done()

    async def apply(self, event: Event) -> None:
        if self.stopped_applying:
            return
        if not self.may_apply():
            self.stopped_applying = True
            log.warning("discord_io: lease lost; applying nothing more and disconnecting")
            self._background(self.close(), "close-on-lease-loss")
            return
        stale = isinstance(event, MessageCreated) and event.from_history
        if stale and event.message.id in self._deleted:  # type: ignore[union-attr]
            return
        try:
            summary = await sync_to_async(apply_with_retry)(event)
        except Exception:
            self.failures += 1
            log.exception("discord_io: could not apply %s", type(event).__name__)
            return
        self.applied[type(event).__name__] += 1
        if isinstance(event, MessageCreated) and not event.from_history:
            self.applied_messages[event.message.id] += 1
        log.debug("discord_io: %s", summary)

    def _tombstone(self, message_ids: tuple[int, ...]) -> None:
        for message_id in message_ids:
            self._deleted.add(message_id)
            self._deleted_order.append(message_id)
        while len(self._deleted_order) > TOMBSTONES:
            self._deleted.discard(self._deleted_order.popleft())

    # --- gateway events -------------------------------------------------------------
    async def on_connect(self) -> None:
        # Where each channel stood before this session's first event: live events
        # move the cursors on, and catch-up must still read what came before them.
        # The read is handed to the sync thread in this task's first step, so it
        # runs before any event of the session is applied.
        if self.catch_up_on_ready:
            self._cursors = cursors = asyncio.get_running_loop().create_future()
            try:
                cursors.set_result(await sync_to_async(catch_up_cursors)())
            except Exception:
                log.exception("discord_io: cannot read the channels' cursors")
                cursors.set_result({})

    async def on_ready(self) -> None:
        log.info("discord_io: connected as %s to %d guild(s)", self.user, len(self.guilds))
        if self.catch_up_on_ready:
            self.catching_up = True
            self._background(self.catch_up(), "mirror-catch-up")

    async def catch_up(self) -> None:
        """Reconcile channels, then read history after each channel's cursor."""
        try:
            await self._catch_up()
        finally:
            self.catching_up = False

    async def _catch_up(self) -> None:
        guilds = [g for g in self.guilds if not g.unavailable]
        for guild in guilds:
            await self.apply(GuildSynced(guild_record(guild)))
        before = await self._cursors if self._cursors is not None else {}
        # Channels found by the sync (made while away) start at their own id.
        cursors = {**await sync_to_async(catch_up_cursors)(), **before}
        for channel_id, after in sorted(cursors.items()):
            channel = self.get_channel(channel_id)
            if not isinstance(channel, discord.TextChannel):
                continue
            try:
                async for message in channel.history(
                    limit=None, after=discord.Object(after), oldest_first=True
                ):
                    self._put(MessageCreated(message_record(message), from_history=True))
            except discord.HTTPException as exc:
                log.warning("discord_io: catch-up of channel %s failed: %s", channel_id, exc)

    async def on_message(self, message: discord.Message) -> None:
        if message.guild is not None:
            self._put(MessageCreated(message_record(message)))

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if payload.guild_id is not None:
            self._put(MessageEdited(message_record(payload.message)))

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self._tombstone((payload.message_id,))
        self._put(MessagesDeleted(payload.channel_id, (payload.message_id,)))

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        ids = tuple(sorted(payload.message_ids))
        self._tombstone(ids)
        self._put(MessagesDeleted(payload.channel_id, ids))

    async def on_guild_channel_create(self, channel: discord.abc.GuildChannel) -> None:
        self._put(ChannelChanged(channel_record(channel), created=True))

    async def on_guild_channel_update(
        self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        if isinstance(after, discord.CategoryChannel):
            for child in after.channels:  # a renamed category renames its folders' category
                self._put(ChannelChanged(channel_record(child)))
        else:
            self._put(ChannelChanged(channel_record(after)))

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        self._put(ChannelDeleted(channel.id))

    async def on_guild_update(self, before: discord.Guild, after: discord.Guild) -> None:
        self._put(GuildUpdated(after.id, after.filesize_limit))

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        self._put(MemberUpdated(after.guild.id, after.id, role_ids(after)))

    async def on_member_join(self, member: discord.Member) -> None:
        self._put(MemberUpdated(member.guild.id, member.id, role_ids(member)))
