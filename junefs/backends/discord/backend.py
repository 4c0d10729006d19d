"""The Discord backend: parts as message attachments, the index rebuildable from Discord.

* A part is one message in one of the server's parts channels (chosen by part
  index, so several channels share the load and each has its own rate-limit
  bucket), with the part's bytes as its one attachment and the part line of
  :mod:`junefs.manifest` as its text. A thumbnail is one message in the
  thumbnails channel (the first parts channel when there is none).
* Locators keep channel, message and attachment ids. The URL is a cache with
  its expiry, renewed in batches before reads (:mod:`.urls`) and, when the
  CDN still answers 404, by fetching that one message (the read bucket is far
  roomier than refresh-urls').
* Every message is created with a nonce and ``enforce_nonce``, so a retry
  after a connection that died on the way back returns the message already
  made instead of a duplicate.
* With ``DISCORD_VERIFY_UPLOADS`` (the default) every uploaded part is read
  back from the CDN and its sha256 checked before it counts as confirmed; a
  part that does not read back right is deleted and the put fails.
* Part size: the guild's attachment limit (``Server.attachment_limit`` when
  set, otherwise from the guild's boost tier, 10 MiB by default) minus room
  for the multipart envelope. A put above the attachment limit is refused
  before sending; Discord's own 413 / 40005 becomes the same clear error.
* The parent message, moves, renames and deletes: :mod:`.publish`; removing
  what a failed upload left behind: :mod:`.cleanup`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import secrets
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import IO, TYPE_CHECKING, Any, BinaryIO, cast

import discord
import discord.http
from django.conf import settings

from junefs.backends.base import Backend, Locator, MiB, Readable, Target
from junefs.backends.discord import cleanup, publish
from junefs.backends.discord.cdn import CdnReader, stream_attachment
from junefs.backends.discord.client import (
    DiscordNotFound,
    DiscordRefused,
    DiscordSession,
    get_session,
)
from junefs.backends.discord.urls import attachment_locator, refresh_locators
from junefs.errors import BackendRefused, IntegrityError, JuneFSError, ObjectMissing
from junefs.manifest import render_part

if TYPE_CHECKING:
    from junefs.models import Channel, File

log = logging.getLogger(__name__)

#: Per-attachment upload limit by guild boost tier (discord.py's Guild._PREMIUM_GUILD_LIMITS).
PREMIUM_TIER_LIMITS = {0: 10 * MiB, 1: 10 * MiB, 2: 50 * MiB, 3: 100 * MiB}
DEFAULT_ATTACHMENT_LIMIT = 10 * MiB
#: Room left below the attachment limit for the multipart envelope (payload_json,
#: part headers, boundaries: under 2 KiB), which counts when the request limit is the
#: attachment limit (boosted guilds). Capped at 1/64 of the limit for tiny test limits.
MULTIPART_HEADROOM = 64 * 1024
#: Parts up to this size are sent from memory; larger ones from a temporary file.
IN_MEMORY_PART = 32 * MiB
GUILD_TIER_CACHE_SECONDS = 600.0
READ_BACK_TRIES = 3


def part_size_for_limit(limit: int) -> int:
    return limit - min(MULTIPART_HEADROOM, limit // 64)


class DiscordBackend(Backend):
    name = "discord"
    default_part_size = part_size_for_limit(DEFAULT_ATTACHMENT_LIMIT)

    def __init__(self) -> None:
        self._tiers: dict[int, tuple[int, float]] = {}
        self._tiers_lock = threading.Lock()

    @property
    def session(self) -> DiscordSession:
        return get_session()

    # --- sizes ------------------------------------------------------------------------

    def attachment_limit(self, target: Target | None = None) -> int:
        """The largest attachment the target's guild takes, in bytes."""
        if target is not None and target.attachment_limit:
            return int(target.attachment_limit)
        if target is not None and target.guild_id:
            return PREMIUM_TIER_LIMITS.get(self._premium_tier(target.guild_id), 10 * MiB)
        return DEFAULT_ATTACHMENT_LIMIT

    def max_part_size(self, target: Target | None = None) -> int:
        return part_size_for_limit(self.attachment_limit(target))

    def _premium_tier(self, guild_id: int) -> int:
        with self._tiers_lock:
            cached = self._tiers.get(guild_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        try:
            guild = self.session.call(
                f"read guild {guild_id}", lambda http: http.get_guild(guild_id, with_counts=False)
            )
            tier = int(guild.get("premium_tier") or 0)
        except JuneFSError as exc:
            # Smaller parts are always safe; ask again next time.
            log.warning(
                "could not read the boost tier of guild %s (%s); using 10 MiB", guild_id, exc
            )
            return 0
        with self._tiers_lock:
            self._tiers[guild_id] = (tier, time.monotonic() + GUILD_TIER_CACHE_SECONDS)
        return tier

    # --- bytes ------------------------------------------------------------------------

    def put(
        self, stream: Readable, *, size: int, sha256: str, name: str, target: Target
    ) -> Locator:
        channel_id = self.channel_for(target)
        limit = self.attachment_limit(target)
        if size > limit:
            raise BackendRefused(
                f"{name} is {size} bytes, over the attachment limit of {limit} bytes "
                f"for this guild; it must be cut into smaller parts"
            )
        content = render_part(target.part_of) if target.part_of is not None else ""
        with _spool(stream, size, sha256, name) as body:
            message = self.send_message(channel_id, content, [(name, body)], what=f"upload {name}")
        locator = attachment_locator(message, self.name)
        sent_size = int(message["attachments"][0].get("size", size))
        if sent_size != size:
            self.delete(locator)
            raise IntegrityError(f"Discord stored {name} as {sent_size} bytes, expected {size}")
        if settings.DISCORD_VERIFY_UPLOADS:
            self._read_back(locator, size=size, sha256=sha256, name=name)
        return locator

    def channel_for(self, target: Target) -> int:
        """Where an object of this kind goes: parts spread over the parts channels."""
        channels = target.channel_ids
        if not channels:
            raise BackendRefused(
                f"the server has no Discord channel for {target.kind}s; set its parts channels "
                "(manage.py discord_io setup --guild ID does it)"
            )
        return int(channels[target.index % len(channels)])

    def send_message(
        self,
        channel_id: int,
        content: str,
        files: Sequence[tuple[str, IO[bytes]]],
        *,
        what: str,
    ) -> dict[str, Any]:
        """Post a message with attachments; retried without duplicates (nonce)."""
        nonce = secrets.token_hex(12)

        async def send(http: discord.http.HTTPClient) -> Any:
            attachments = []
            for filename, body in files:
                body.seek(0)
                attachments.append(discord.File(cast(io.BufferedIOBase, body), filename=filename))
            try:
                params = discord.http.handle_message_parameters(
                    content=content or discord.utils.MISSING,
                    files=attachments,
                    nonce=nonce,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
                async with self.session.channel_lock(channel_id):
                    return await http.send_message(channel_id, params=params)
            finally:
                for attachment in attachments:
                    attachment.close()  # gives the body its close() back; we own it

        try:
            return dict(self.session.call(f"{what} to channel {channel_id}", send))
        except DiscordRefused as exc:
            if exc.status == 413 or exc.code == 40005:
                sizes = ", ".join(f"{n}: {_size_of(b)} bytes" for n, b in files)
                raise BackendRefused(
                    f"Discord refused {what} as too large ({sizes}); the guild's attachment "
                    f"limit is lower than Sequenzia thinks: check Server.attachment_limit "
                    f"(413, error 40005)"
                ) from exc
            raise

    def _read_back(self, locator: Locator, *, size: int, sha256: str, name: str) -> None:
        problem = ""
        for _ in range(READ_BACK_TRIES):
            try:
                digest, got = hashlib.sha256(), 0
                with self.open(locator) as reader:
                    while chunk := reader.read(1024 * 1024):
                        digest.update(chunk)
                        got += len(chunk)
                if got == size and digest.hexdigest() == sha256:
                    return
                problem = f"{got} bytes with sha256 {digest.hexdigest()}"
            except (JuneFSError, OSError) as exc:
                problem = str(exc)
        with contextlib.suppress(JuneFSError):
            self.delete(locator)
        raise IntegrityError(
            f"{name} did not read back from Discord as sent ({problem}; expected {size} bytes "
            f"with sha256 {sha256}); its message was deleted"
        )

    def _refresher(self, locator: Locator) -> Callable[[], str]:
        """A fresh URL for the attachment each call (ObjectMissing once its message is gone)."""
        if not (locator.channel_id and locator.message_id and locator.attachment_id):
            raise ObjectMissing(f"{locator} has no Discord ids")
        current = locator

        def refresh() -> str:
            nonlocal current
            (current,) = refresh_locators(self.session, [current.with_url("", None)])
            if not current.url:
                raise ObjectMissing(
                    f"message {locator.message_id} in channel {locator.channel_id} "
                    f"(attachment {locator.attachment_id}) is gone from Discord"
                )
            return current.url

        return refresh

    def open(self, locator: Locator) -> BinaryIO:
        refresh = self._refresher(locator)
        url = locator.url
        if not url or _expired(locator):
            url = refresh()
        return cast(BinaryIO, CdnReader(self.session, url, refresh))

    async def stream(self, locator: Locator, *, chunk_size: int = MiB) -> AsyncIterator[bytes]:
        """The attachment's bytes on the caller's event loop (the content server's).

        Only the URL renewal (a REST call through discord.py's rate limiting)
        goes to a thread; the download itself is :func:`.cdn.stream_attachment`.
        """
        renew = self._refresher(locator)

        async def refresh() -> str:
            return await asyncio.to_thread(renew)

        url = locator.url
        if not url or _expired(locator):
            url = await refresh()
        async with contextlib.aclosing(
            stream_attachment(url, refresh, chunk_size=chunk_size)
        ) as chunks:
            async for chunk in chunks:
                yield chunk

    def delete(self, locator: Locator) -> None:
        if not (locator.channel_id and locator.message_id):
            return
        self.delete_message(locator.channel_id, locator.message_id)

    def delete_message(self, channel_id: int, message_id: int) -> None:
        """Delete a message; one that is already gone is not an error."""
        with contextlib.suppress(DiscordNotFound):
            self.session.call(
                f"delete message {message_id} in channel {channel_id}",
                lambda http: http.delete_message(channel_id, message_id),
            )

    def exists(self, locator: Locator) -> bool:
        if not (locator.channel_id and locator.message_id and locator.attachment_id):
            return False
        channel_id, message_id = locator.channel_id, locator.message_id
        try:
            message = self.session.call(
                f"fetch message {message_id} in channel {channel_id}",
                lambda http: http.get_message(channel_id, message_id),
            )
        except DiscordNotFound:
            return False
        return any(int(a["id"]) == locator.attachment_id for a in message.get("attachments", []))

    def refresh(self, locators: Sequence[Locator]) -> list[Locator]:
        return refresh_locators(self.session, locators)

    # --- hooks ------------------------------------------------------------------------

    def publish(self, file: File) -> None:
        publish.publish(self, file)

    def republish(self, file: File, old_channel: Channel) -> None:
        publish.republish(self, file, old_channel)

    def unpublish(self, file: File) -> None:
        publish.unpublish(self, file)

    def cleanup_failed_upload(self, file: File) -> None:
        cleanup.remove_unrecorded(self, file)


def _expired(locator: Locator) -> bool:
    from django.utils import timezone

    return locator.url_expires_at is None or locator.url_expires_at <= timezone.now()


def _size_of(body: IO[bytes]) -> int:
    body.seek(0, io.SEEK_END)
    return body.tell()


@contextlib.contextmanager
def _spool(stream: Readable, size: int, sha256: str, name: str):  # type: ignore[no-untyped-def]
    """Read exactly ``size`` bytes into a seekable body (retries re-send it) and
    check their sha256 before anything is sent."""
    body: IO[bytes] = io.BytesIO() if size <= IN_MEMORY_PART else tempfile.TemporaryFile()  # noqa: SIM115
    try:
        digest, got = hashlib.sha256(), 0
        while got < size:
            chunk = stream.read(min(1024 * 1024, size - got))
            if not chunk:
                break
            body.write(chunk)
            digest.update(chunk)
            got += len(chunk)
        if got != size or stream.read(1):
            raise IntegrityError(f"{name}: the source did not hold exactly {size} bytes")
        if digest.hexdigest() != sha256:
            raise IntegrityError(f"{name}: read as sha256 {digest.hexdigest()}, expected {sha256}")
        yield body
    finally:
        body.close()
