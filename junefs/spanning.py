"""Spanned files: split a stream into parts and join parts back, as streams.

A file larger than a backend's ``max_part_size`` is stored as parts of at most
that size. :class:`SpanHasher` hashes each part and the whole in the same
pass over the bytes (ingest feeds it while staging, so a file is read once).
:func:`join` reads parts back, verifies each part's sha256 before any of its
bytes are handed on, and checks the whole hash at the end. Memory stays flat:
at most one part is held, in a spooled temporary file that moves to disk
past a few MiB.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from junefs.errors import IntegrityError, PartDamaged

CHUNK_SIZE = 1024 * 1024
# A part bigger than this is spooled to disk while it is verified.
SPOOL_IN_MEMORY = 4 * 1024 * 1024


@dataclass(frozen=True)
class PartSpec:
    index: int
    offset: int
    size: int
    sha256: str


@dataclass(frozen=True)
class SpanPlan:
    size: int
    sha256: str
    part_size: int
    parts: tuple[PartSpec, ...]


@dataclass
class SpanHasher:
    """Hashes the whole stream and each ``part_size`` piece in one pass."""

    part_size: int
    _whole: hashlib._Hash = field(default_factory=hashlib.sha256)
    _part: hashlib._Hash = field(default_factory=hashlib.sha256)
    _part_filled: int = 0
    _size: int = 0
    _parts: list[PartSpec] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.part_size <= 0:
            raise ValueError("part_size must be positive")

    def update(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        self._whole.update(view)
        while view:
            room = self.part_size - self._part_filled
            piece = view[:room]
            self._part.update(piece)
            self._part_filled += len(piece)
            self._size += len(piece)
            view = view[len(piece) :]
            if self._part_filled == self.part_size:
                self._close_part()

    def _close_part(self) -> None:
        offset = self._size - self._part_filled
        self._parts.append(
            PartSpec(len(self._parts), offset, self._part_filled, self._part.hexdigest())
        )
        self._part = hashlib.sha256()
        self._part_filled = 0

    def finish(self) -> SpanPlan:
        if self._part_filled or not self._parts:
            # The last, shorter part (or the only part of an empty stream).
            self._close_part()
        return SpanPlan(self._size, self._whole.hexdigest(), self.part_size, tuple(self._parts))


def plan(stream: BinaryIO, part_size: int) -> SpanPlan:
    """Read ``stream`` to its end and return how it spans into parts."""
    hasher = SpanHasher(part_size)
    while chunk := stream.read(CHUNK_SIZE):
        hasher.update(chunk)
    return hasher.finish()


class SliceReader:
    """A read-only stream over ``size`` bytes of a file starting at ``offset``.

    Uses ``os.pread`` semantics through its own file handle, so several
    slices of one file can be read at the same time from different threads.
    Hashes what it hands out; :attr:`sha256` is complete once read to the end.
    """

    def __init__(self, path: str, offset: int, size: int) -> None:
        self._handle = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._handle.seek(offset)
        self._remaining = size
        self.size = size
        self._hash = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        if n is None or n < 0 or n > self._remaining:
            n = self._remaining
        data = self._handle.read(n)
        self._remaining -= len(data)
        self._hash.update(data)
        if not data and self._remaining:
            raise IntegrityError(f"source ended {self._remaining} bytes early")
        return data

    def readinto(self, buffer: memoryview | bytearray) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> SliceReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Opens one part's stored bytes as a stream.
PartOpener = Callable[[PartSpec], BinaryIO]


def check_part(
    part: PartSpec,
    opener: PartOpener,
    *,
    file_id: int | None = None,
    sink: BinaryIO | None = None,
) -> None:
    """Read one part, checking its size and sha256; copy it into ``sink`` if given.

    Raises :class:`PartDamaged` naming the part when the bytes cannot be
    read or are not the ones recorded.
    """
    digest = hashlib.sha256()
    size = 0
    try:
        source = opener(part)
    except Exception as exc:
        raise PartDamaged(file_id, part.index, f"cannot be read: {exc}") from exc
    try:
        with source:
            while chunk := source.read(CHUNK_SIZE):
                size += len(chunk)
                if size > part.size:
                    raise PartDamaged(file_id, part.index, f"is longer than its {part.size} bytes")
                digest.update(chunk)
                if sink is not None:
                    sink.write(chunk)
    except PartDamaged:
        raise
    except Exception as exc:
        raise PartDamaged(file_id, part.index, f"read failed: {exc}") from exc
    if size != part.size:
        raise PartDamaged(file_id, part.index, f"has {size} bytes, expected {part.size}")
    actual = digest.hexdigest()
    if actual != part.sha256:
        raise PartDamaged(file_id, part.index, f"sha256 is {actual}, expected {part.sha256}")


def read_verified_part(
    part: PartSpec, opener: PartOpener, *, file_id: int | None = None
) -> tempfile.SpooledTemporaryFile[bytes]:
    """Fetch one part into a spool (memory, then disk past a few MiB), verified.

    Returns the spool rewound to its start; nothing of a bad part escapes.
    """
    spool: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=SPOOL_IN_MEMORY
    )
    try:
        check_part(part, opener, file_id=file_id, sink=spool)  # type: ignore[arg-type]
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def join(
    parts: Iterable[PartSpec],
    opener: PartOpener,
    *,
    expected_size: int,
    expected_sha256: str,
    file_id: int | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[bytes]:
    """Yield a file's bytes from its parts, verifying each part first.

    Raises :class:`PartDamaged` (naming the part) before yielding any byte
    of a bad part, and :class:`IntegrityError` if the parts, each good, do
    not make up the recorded whole.
    """
    whole = hashlib.sha256()
    total = 0
    expected_offset = 0
    for part in sorted(parts, key=lambda p: p.index):
        if part.offset != expected_offset:
            raise IntegrityError(
                f"part {part.index} starts at {part.offset}, expected {expected_offset}"
            )
        expected_offset += part.size
        with read_verified_part(part, opener, file_id=file_id) as spool:
            while chunk := spool.read(chunk_size):
                whole.update(chunk)
                total += len(chunk)
                yield chunk
    if total != expected_size or whole.hexdigest() != expected_sha256:
        raise IntegrityError(
            f"parts join to {total} bytes with sha256 {whole.hexdigest()}, "
            f"expected {expected_size} bytes with sha256 {expected_sha256}"
        )


def parts_for_range(parts: Iterable[PartSpec], start: int, end: int) -> list[PartSpec]:
    """The parts that hold bytes ``[start, end)`` (end exclusive), in order."""
    return [
        p
        for p in sorted(parts, key=lambda p: p.index)
        if p.offset < end and p.offset + p.size > start
    ]


def copy_verified(
    parts: Iterable[PartSpec],
    opener: PartOpener,
    out: BinaryIO,
    *,
    expected_size: int,
    expected_sha256: str,
    file_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write a joined file into ``out``; returns the number of bytes written."""
    written = 0
    for chunk in join(
        parts, opener, expected_size=expected_size, expected_sha256=expected_sha256, file_id=file_id
    ):
        out.write(chunk)
        written += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return written
