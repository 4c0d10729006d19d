"""Spanning: split while hashing, join while verifying, in flat memory."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from junefs.errors import IntegrityError, PartDamaged
from junefs.spanning import PartSpec, SpanHasher, join, parts_for_range, plan


def split_bytes(data: bytes, spec: PartSpec) -> bytes:
    return data[spec.offset : spec.offset + spec.size]


@settings(max_examples=80, deadline=None)
@given(data=st.binary(min_size=1, max_size=5000), part_size=st.integers(1, 700))
def test_plan_hashes_each_part_and_the_whole_in_one_pass(data: bytes, part_size: int) -> None:
    result = plan(io.BytesIO(data), part_size)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == len(data)
    assert sum(p.size for p in result.parts) == len(data)
    assert all(p.size == part_size for p in result.parts[:-1])
    assert 0 < result.parts[-1].size <= part_size
    for spec in result.parts:
        assert spec.sha256 == hashlib.sha256(split_bytes(data, spec)).hexdigest()


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=4000),
    part_size=st.integers(1, 900),
    chunks=st.lists(st.integers(1, 300), min_size=1, max_size=20),
)
def test_chunk_boundaries_do_not_change_the_plan(
    data: bytes, part_size: int, chunks: list[int]
) -> None:
    hasher = SpanHasher(part_size)
    position = 0
    i = 0
    while position < len(data):
        step = chunks[i % len(chunks)]
        hasher.update(data[position : position + step])
        position += step
        i += 1
    assert hasher.finish() == plan(io.BytesIO(data), part_size)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(min_size=1, max_size=4000), part_size=st.integers(1, 900))
def test_join_gives_back_the_original(data: bytes, part_size: int) -> None:
    result = plan(io.BytesIO(data), part_size)
    joined = b"".join(
        join(
            result.parts,
            lambda spec: io.BytesIO(split_bytes(data, spec)),
            expected_size=result.size,
            expected_sha256=result.sha256,
        )
    )
    assert joined == data


def test_a_changed_part_is_named_and_none_of_its_bytes_escape() -> None:
    data = bytes(range(256)) * 40  # 10240 bytes, 4 parts of 3000
    result = plan(io.BytesIO(data), 3000)

    def opener(spec: PartSpec) -> io.BytesIO:
        piece = bytearray(split_bytes(data, spec))
        if spec.index == 2:
            piece[17] ^= 0x01
        return io.BytesIO(bytes(piece))

    received = bytearray()
    with pytest.raises(PartDamaged) as caught:
        for chunk in join(
            result.parts,
            opener,
            expected_size=result.size,
            expected_sha256=result.sha256,
            file_id=7,
        ):
            received += chunk
    assert caught.value.index == 2
    assert "part 2 of file 7" in str(caught.value) and "sha256" in str(caught.value)
    assert bytes(received) == data[:6000]  # parts 0 and 1 only


def test_short_and_long_parts_are_damaged() -> None:
    data = b"a" * 100
    result = plan(io.BytesIO(data), 40)
    with pytest.raises(PartDamaged, match="has 39 bytes, expected 40"):
        list(
            join(
                result.parts,
                lambda s: io.BytesIO(split_bytes(data, s)[:-1]),
                expected_size=100,
                expected_sha256=result.sha256,
            )
        )
    with pytest.raises(PartDamaged, match="longer than"):
        list(
            join(
                result.parts,
                lambda s: io.BytesIO(split_bytes(data, s) + b"!"),
                expected_size=100,
                expected_sha256=result.sha256,
            )
        )


def test_parts_that_do_not_add_up_are_refused() -> None:
    data = b"abcdef" * 10
    result = plan(io.BytesIO(data), 20)
    with pytest.raises(IntegrityError, match="starts at"):
        list(
            join(
                result.parts[1:],
                lambda s: io.BytesIO(split_bytes(data, s)),
                expected_size=60,
                expected_sha256=result.sha256,
            )
        )


def test_parts_for_range_picks_only_covering_parts() -> None:
    parts = plan(io.BytesIO(b"x" * 100), 10).parts
    assert [p.index for p in parts_for_range(parts, 15, 16)] == [1]
    assert [p.index for p in parts_for_range(parts, 19, 21)] == [1, 2]
    assert [p.index for p in parts_for_range(parts, 0, 100)] == list(range(10))


class Generated(io.RawIOBase):
    """A long stream made on the fly, so the test itself holds no big buffer."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.block = bytes(range(256)) * 4096  # 1 MiB

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left, len(self.block))
        buffer[:n] = self.block[:n]
        self.left -= n
        return n

    def readable(self) -> bool:
        return True


def test_memory_stays_flat_whatever_the_size() -> None:
    size, part_size = 96 * 1024 * 1024, 8 * 1024 * 1024
    tracemalloc.start()
    result = plan(io.BufferedReader(Generated(size)), part_size)
    block = bytes(range(256)) * 4096

    def opener(spec: PartSpec) -> io.BufferedReader:
        return io.BufferedReader(Generated(spec.size))

    def stream() -> Iterator[bytes]:
        yield from join(result.parts, opener, expected_size=size, expected_sha256=result.sha256)

    total = 0
    for chunk in stream():
        assert chunk == block[: len(chunk)]
        total += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total == size
    # One part spooled (in memory up to 4 MiB, then on disk) plus a chunk or two.
    assert peak < 12 * 1024 * 1024
