"""The one interface every backend implements.

A backend keeps bytes somewhere (disk, an S3 bucket, Discord) and hands back a
:class:`Locator` saying where. It never splits: ingest spans anything larger
than :meth:`Backend.max_part_size` before calling :meth:`Backend.put`.

The interface fits Discord: a locator carries ids (channel, message,
attachment) as well as a key, and a download URL with an expiry that
:meth:`Backend.refresh` renews in batches. Backends raise
:class:`~junefs.errors.BackendError` for failures a retry may fix (rate limits,
network, 5xx) and :class:`~junefs.errors.BackendRefused` for final ones.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO, ClassVar

from junefs.manifest import PartLine
from junefs.store import Readable

if TYPE_CHECKING:
    from junefs.models import Channel, File

MiB = 1024 * 1024


@dataclass(frozen=True)
class Locator:
    """Where a backend keeps one object."""

    backend: str
    key: str = ""
    channel_id: int | None = None
    message_id: int | None = None
    attachment_id: int | None = None
    url: str = ""
    url_expires_at: datetime | None = None

    def with_url(self, url: str, expires_at: datetime | None) -> Locator:
        return replace(self, url=url, url_expires_at=expires_at)


@dataclass(frozen=True)
class Target:
    """Where to put an object: what it is, and the channel ids for that kind.

    ``kind`` is ``"part"`` or ``"thumbnail"``. ``channel_ids`` are the
    server's channels for that kind (several parts channels spread the load;
    ``index`` picks one). Backends without channels ignore both. ``part_of``
    says which file a part belongs to, for backends that label what they
    store (Discord writes it on the part message, see :mod:`junefs.manifest`).
    """

    kind: str = "part"
    channel_ids: tuple[int, ...] = ()
    index: int = 0
    guild_id: int | None = None
    attachment_limit: int | None = None
    part_of: PartLine | None = None


class Backend(abc.ABC):
    """Somewhere bytes live."""

    name: ClassVar[str]
    #: Part size when neither JUNEFS_MAX_PART_SIZE nor the server says otherwise.
    default_part_size: ClassVar[int]

    def max_part_size(self, target: Target | None = None) -> int:
        """The largest part this backend accepts for ``target``."""
        return self.default_part_size

    @abc.abstractmethod
    def put(
        self, stream: Readable, *, size: int, sha256: str, name: str, target: Target
    ) -> Locator:
        """Store exactly ``size`` bytes read from ``stream``; check they hash to ``sha256``."""

    @abc.abstractmethod
    def open(self, locator: Locator) -> BinaryIO:
        """A stream of the object's bytes. Raises ObjectMissing when it is gone."""

    @abc.abstractmethod
    def delete(self, locator: Locator) -> None:
        """Remove the object. Deleting what is already gone is not an error."""

    async def stream(self, locator: Locator, *, chunk_size: int = MiB) -> AsyncIterator[bytes]:
        """The object's bytes as an async stream, for the content server.

        The default reads :meth:`open` on worker threads; backends with an
        async client (Discord's CDN URLs) override it. Raises what ``open``
        raises. Callers close it (``contextlib.aclosing``) when they stop early.
        """
        handle = await asyncio.to_thread(self.open, locator)
        try:
            while chunk := await asyncio.to_thread(handle.read, chunk_size):
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)

    def exists(self, locator: Locator) -> bool:
        try:
            with self.open(locator):
                return True
        except Exception:
            return False

    def refresh(self, locators: Sequence[Locator]) -> list[Locator]:
        """Locators with fresh URLs, in the same order. Backends without URLs return them as-is."""
        return list(locators)

    # --- hooks for backends that show files where people look (Discord) ---

    def publish(self, file: File) -> None:
        """Announce a file whose parts are all stored (Discord posts its parent message)."""
        return None

    def republish(self, file: File, old_channel: Channel) -> None:
        """The file moved folders or was renamed; update what ``publish`` showed."""
        return None

    def unpublish(self, file: File) -> None:
        """The file is being deleted; remove what ``publish`` showed."""
        return None

    def cleanup_failed_upload(self, file: File) -> None:
        """An upload failed; remove anything sent that no Part records."""
        return None
