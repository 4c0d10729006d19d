"""Any Range over any file is the slice of the original (property tests)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from cds.ranges import ByteRange, Unsatisfiable, evaluate_preconditions, parse_range
from tests.cds.helpers import KiB, body, file_url, stored_file, uncache
from tests.factories import random_bytes


def expected(header: str, data: bytes) -> tuple[int, bytes]:
    """What RFC 9110 says a server honouring single ranges answers."""
    size = len(data)
    spec = header.removeprefix("bytes=")
    first, last = spec.split("-")
    if not first:
        suffix = int(last)
        return (416, b"") if suffix == 0 else (206, data[-suffix:])
    start = int(first)
    if last and int(last) < start:
        return 200, data
    if start >= size:
        return 416, b""
    end = int(last) if last else size - 1
    return 206, data[start : end + 1]


@st.composite
def range_headers(draw: st.DrawFn, size: int) -> str:
    kind = draw(st.sampled_from(["closed", "open", "suffix"]))
    if kind == "suffix":
        return f"bytes=-{draw(st.integers(0, size + 3))}"
    start = draw(st.integers(0, size + 3))
    if kind == "open":
        return f"bytes={start}-"
    return f"bytes={start}-{draw(st.integers(max(0, start - 2), size + 3))}"


SHAPES = [  # (size, part size): single part, exact boundary, many parts, ragged tail
    (1, 4 * KiB),
    (4 * KiB, 4 * KiB),
    (50 * KiB + 3, 4 * KiB),
    (200 * KiB + 7, 64 * KiB),
]


def test_any_range_over_any_file_is_the_slice(any_backend, settings, folder, admin_client):
    files = []
    for seed, (size, part_size) in enumerate(SHAPES):
        data = random_bytes(size, seed=100 + seed)
        files.append((stored_file(settings, folder, data, part_size=part_size), data))

    @hsettings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.data())
    def check(draw: st.DataObject) -> None:
        file, data = draw.draw(st.sampled_from(files))
        header = draw.draw(range_headers(len(data)))
        if draw.draw(st.booleans()):
            uncache(file)  # from the backend this time, not the cache
        response = admin_client.get(file_url(file), HTTP_RANGE=header)
        status, content = expected(header, data)
        assert response.status_code == status, header
        if status != 416:
            assert body(response) == content, header
            assert int(response["Content-Length"]) == len(content)
        if status == 206:
            first, rest = response["Content-Range"].removeprefix("bytes ").split("-")
            assert rest == f"{int(first) + len(content) - 1}/{len(data)}"
            assert data[int(first) : int(first) + len(content)] == content

    check()


@given(st.integers(0, 10**12), st.text(max_size=30))
def test_parse_range_never_crashes(size: int, header: str) -> None:
    try:
        result = parse_range(header, size)
    except Unsatisfiable:
        return
    if result is not None:
        assert 0 <= result.start <= result.end < size


@given(st.integers(1, 10**9), st.integers(0, 10**9), st.integers(0, 10**9))
def test_parsed_ranges_stay_inside(size: int, a: int, b: int) -> None:
    try:
        result = parse_range(f"bytes={a}-{b}", size)
    except Unsatisfiable:
        assert a >= size
        return
    if b < a:
        assert result is None
    else:
        assert result == ByteRange(a, min(b, size - 1))


@pytest.mark.parametrize(
    ("headers", "method", "verdict"),
    [
        ({"if-none-match": '"abc"'}, "GET", 304),
        ({"if-none-match": '"abc"'}, "DELETE", 412),
        ({"if-none-match": '"nope", "other"'}, "GET", None),
        ({"if-match": '"abc"'}, "GET", None),
        ({"if-match": 'W/"abc"'}, "GET", 412),  # If-Match compares strongly
        ({"if-modified-since": "garbage"}, "GET", None),
        ({"if-modified-since": "Sat, 01 Jan 2000 00:00:00 GMT"}, "GET", None),
        ({"if-modified-since": "Sat, 01 Jan 2050 00:00:00 GMT"}, "GET", 304),
        ({"if-unmodified-since": "Sat, 01 Jan 2000 00:00:00 GMT"}, "GET", 412),
    ],
)
def test_precondition_table(headers: dict[str, str], method: str, verdict: int | None) -> None:
    moment = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert evaluate_preconditions(headers, etag="abc", last_modified=moment, method=method) == (
        verdict
    )
