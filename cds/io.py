"""Blocking file work for the async views, run on CDS's own thread pool.

The event loop never reads, hashes or writes a file itself: it hands the work
to a pool of ``CDS_IO_THREADS`` threads (hashlib and os.pread release the GIL,
so they run in parallel with the loop). A :class:`Slice` is the unit that
comes back: an open file descriptor on ``size`` bytes at ``offset`` of a
local object whose sha256 was checked on that same descriptor, so eviction
(which unlinks) cannot pull the bytes away between the check and the send.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings

T = TypeVar("T")
READ_SIZE = 1024 * 1024
#: Cached objects get their mtime (the LRU clock) moved at most this often.
TOUCH_EVERY = 600.0


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.CDS_IO_THREADS, thread_name_prefix="cds-io")


async def run_io(func: Callable[..., T], *args: Any) -> T:
    """Run ``func(*args)`` on the IO pool."""
    return await asyncio.get_running_loop().run_in_executor(_pool(), func, *args)


async def run_io_closing(func: Callable[..., T | None], *args: Any) -> T | None:
    """Like :func:`run_io` for functions that return something to ``close()``.

    If the caller is cancelled while the thread still runs, the result is
    closed when it arrives instead of leaking its file descriptor.
    """
    future = asyncio.get_running_loop().run_in_executor(_pool(), func, *args)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(_close_result)
        raise


def _close_result(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is None:
        result = future.result()
        if result is not None:
            result.close()


class Slice:
    """``size`` verified bytes at ``offset`` of an open local file."""

    def __init__(self, fd: int, offset: int, size: int, path: Path) -> None:
        self.fd = fd
        self.offset = offset
        self.size = size
        self.path = path

    def read(self, position: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``position`` (relative to the slice)."""
        length = max(0, min(length, self.size - position))
        return os.pread(self.fd, length, self.offset + position) if length else b""

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:  # a last resort; owners close explicitly
        if getattr(self, "fd", -1) >= 0:
            os.close(self.fd)


def hash_range(fd: int, offset: int, size: int) -> str:
    """The sha256 of ``size`` bytes at ``offset`` ("" if the file is shorter)."""
    digest = hashlib.sha256()
    buffer = memoryview(bytearray(READ_SIZE))  # one buffer, reused: no allocation per read
    position = offset
    end = offset + size
    while position < end:
        got = os.preadv(fd, [buffer[: min(READ_SIZE, end - position)]], position)
        if not got:
            break
        digest.update(buffer[:got])
        position += got
    return digest.hexdigest() if position == end else ""


def open_verified(path: Path, offset: int, size: int, sha256: str) -> Slice | None:
    """Open ``path`` and check bytes ``[offset, offset+size)`` hash to ``sha256``.

    Returns the open slice, or None when the file is gone, too short or its
    bytes do not match (the caller drops it and looks elsewhere).
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        stat = os.fstat(fd)
        if stat.st_size < offset + size or hash_range(fd, offset, size) != sha256:
            os.close(fd)
            return None
        if time.time() - stat.st_mtime > TOUCH_EVERY:
            touch(path)
        return Slice(fd, offset, size, path)
    except BaseException:
        os.close(fd)
        raise


def open_trusted(path: Path, size: int) -> Slice | None:
    """Open an object this process has just written and verified (no second hash)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    return Slice(fd, 0, size, path)


def touch(path: Path) -> None:
    """Mark an object as just used: its mtime is the eviction clock."""
    try:
        now = time.time()
        os.utime(path, (now, now))
    except FileNotFoundError:
        pass
