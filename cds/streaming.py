"""Send a byte range of a servable as an async stream, segment by segment.

Only the segments that hold the range are obtained. The segment being sent
plus at most ``CDS_PREFETCH_PARTS`` more are in flight at any time, each
obtained (fetched or checked) as a whole before any of its bytes go out,
and sent from disk in small reads, so memory stays flat whatever the file
size, and the first byte waits for one segment only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator

from django.conf import settings

from cds.fetch import Obtainer
from cds.io import Slice, run_io
from cds.objects import Segment, Servable
from cds.ranges import ByteRange

log = logging.getLogger(__name__)

SEND_SIZE = 1024 * 1024


class ObjectChanged(Exception):
    """A verified local object came back shorter than checked (should not happen)."""


def segments_for(servable: Servable, byte_range: ByteRange) -> list[Segment]:
    """The segments that hold ``byte_range``, in order."""
    return [
        s
        for s in servable.segments
        if s.offset <= byte_range.end and s.offset + s.size > byte_range.start
    ]


def _close_result(task: asyncio.Task[Slice]) -> None:
    if not task.cancelled() and task.exception() is None:
        task.result().close()


class RangeStream:
    """The bytes of ``byte_range`` of a servable, verified part by part."""

    def __init__(
        self,
        servable: Servable,
        byte_range: ByteRange,
        obtainer: Obtainer,
        *,
        prefetch: int | None = None,
    ) -> None:
        self.servable = servable
        self.range = byte_range
        self.obtainer = obtainer
        self.prefetch = settings.CDS_PREFETCH_PARTS if prefetch is None else prefetch
        self.segments = segments_for(servable, byte_range)
        self.sent = 0
        self._first: Slice | None = None
        self._tasks: dict[int, asyncio.Task[Slice]] = {}

    @property
    def complete(self) -> bool:
        return self.sent == self.range.length

    def _schedule(self, current: int) -> None:
        """Have the segments after ``current`` obtained, up to ``prefetch`` of them."""
        last = min(current + self.prefetch, len(self.segments) - 1)
        for index in range(max(current, 1), last + 1):
            if index not in self._tasks:
                self._tasks[index] = asyncio.ensure_future(
                    self.obtainer.obtain(self.segments[index])
                )

    async def start(self) -> None:
        """Obtain the first segment; raises SegmentUnavailable.

        Called by the view before it answers, so a missing or damaged file
        gets a clear error status instead of a cut-off 200. The prefetch of
        the next segments starts with :meth:`chunks` (in the loop that sends).
        """
        if self.segments and self._first is None:
            self._first = await self.obtainer.obtain(self.segments[0])

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        """The range's bytes. Raises SegmentUnavailable if a later segment has no good copy."""
        try:
            for index, segment in enumerate(self.segments):
                self._schedule(index)
                if index == 0:
                    await self.start()
                    piece, self._first = self._first, None
                    assert piece is not None
                else:
                    piece = await self._tasks[index]
                    del self._tasks[index]
                try:
                    position = max(self.range.start - segment.offset, 0)
                    stop = min(self.range.end + 1 - segment.offset, segment.size)
                    while position < stop:
                        data = await run_io(piece.read, position, min(SEND_SIZE, stop - position))
                        if not data:
                            raise ObjectChanged(f"{piece.path} ended early")
                        position += len(data)
                        self.sent += len(data)
                        yield data
                finally:
                    piece.close()
        finally:
            self.close()

    def close(self) -> None:
        """Let go of every segment obtained or in flight."""
        if self._first is not None:
            self._first.close()
            self._first = None
        tasks, self._tasks = self._tasks, {}
        for task in tasks.values():
            if task.done():
                _close_result(task)
            else:
                task.add_done_callback(_close_result)
                task.cancel()
