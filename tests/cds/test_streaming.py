"""The segment stream: bounded prefetch, only the parts a range needs, nothing leaked."""

from __future__ import annotations

import asyncio
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cds.io import Slice, open_trusted
from cds.objects import Segment, Servable
from cds.ranges import ByteRange
from cds.streaming import RangeStream

PART = 1024 * 1024


class RecordingObtainer:
    """Hands out slices of a local file and records which segments were asked for."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.asked: list[int] = []
        self.open: set[int] = set()

    async def obtain(self, segment: Segment) -> Slice:
        self.asked.append(segment.index)
        await asyncio.sleep(0.001)
        piece = open_trusted(self.path, os.path.getsize(self.path))
        assert piece is not None
        piece.offset, piece.size = segment.offset, segment.size
        self.open.add(piece.fd)
        return piece


def servable(data: bytes, part: int) -> Servable:
    segments = tuple(
        Segment(
            index=i,
            offset=offset,
            size=len(data[offset : offset + part]),
            sha256=hashlib.sha256(data[offset : offset + part]).hexdigest(),
            whole_sha256="",
            whole_offset=offset,
        )
        for i, offset in enumerate(range(0, len(data), part))
    )
    return Servable(
        kind="file",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        mime="application/octet-stream",
        name="x.bin",
        ext="bin",
        last_modified=datetime.now(tz=UTC),
        segments=segments,
    )


@pytest.fixture
def big(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(20 * PART)
    path = tmp_path / "whole.bin"
    path.write_bytes(data)
    return path, data


def fds_open(fds: set[int]) -> set[int]:
    return {fd for fd in fds if Path(f"/proc/self/fd/{fd}").exists()}


async def test_prefetch_is_bounded_and_the_first_byte_waits_for_one_part(big, settings):
    path, data = big
    obtainer = RecordingObtainer(path)
    stream = RangeStream(servable(data, PART), ByteRange(0, len(data) - 1), obtainer, prefetch=2)
    await stream.start()
    assert obtainer.asked == [0]  # the answer starts after one part
    chunks = stream.chunks()
    first = await anext(chunks)
    assert first == data[: len(first)]
    await asyncio.sleep(0.05)  # let the prefetch run as far as it may
    assert obtainer.asked == [0, 1, 2]  # the part being sent plus two ahead
    received = first + b"".join([chunk async for chunk in chunks])
    assert received == data
    assert obtainer.asked == list(range(20))


async def test_a_range_asks_only_for_its_parts(big):
    path, data = big
    obtainer = RecordingObtainer(path)
    start, end = 5 * PART + 100, 7 * PART + 99  # parts 5, 6 and 7
    stream = RangeStream(servable(data, PART), ByteRange(start, end), obtainer)
    await stream.start()
    assert b"".join([chunk async for chunk in stream.chunks()]) == data[start : end + 1]
    assert sorted(obtainer.asked) == [5, 6, 7]
    assert stream.complete


async def test_stopping_early_closes_every_part_in_flight(big):
    path, data = big
    obtainer = RecordingObtainer(path)
    stream = RangeStream(servable(data, PART), ByteRange(0, len(data) - 1), obtainer, prefetch=4)
    await stream.start()
    chunks = stream.chunks()
    await anext(chunks)
    await asyncio.sleep(0.05)
    await chunks.aclose()  # what Django does when the client goes away
    await asyncio.sleep(0.05)  # prefetches that were still running close on arrival
    assert len(obtainer.asked) <= 5
    assert fds_open(obtainer.open) == set()
    assert not stream.complete
