"""HTTP Range and conditional requests (RFC 9110 §13 and §14), for one representation.

Pure functions over header values, so they are easy to test exhaustively:

* :func:`parse_range` reads ``Range: bytes=…`` for a representation of a known
  size. Only single ranges are honoured; several ranges, other units and
  malformed values are ignored (a full 200 answer is always allowed).
* :func:`evaluate_preconditions` decides 304 / 412 from ``If-Match``,
  ``If-None-Match``, ``If-Unmodified-Since`` and ``If-Modified-Since``.
* :func:`if_range_allows` says whether ``If-Range`` lets a Range apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.utils.http import http_date, parse_http_date_safe

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.I)


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` to ``end`` inclusive, as in Content-Range."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class Unsatisfiable(Exception):
    """A well-formed Range that selects no byte of the representation (416)."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single range asked for, None to send everything, or raise Unsatisfiable."""
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None  # several ranges, other units or garbage: ignore the header
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # bytes=-N: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # invalid: ignore, as RFC 9110 says
    if start >= size:
        raise Unsatisfiable
    return ByteRange(start, min(end, size - 1))


def quote_etag(value: str) -> str:
    return f'"{value}"'


def _etags(header: str) -> list[tuple[bool, str]]:
    """(weak, opaque value) for each entity tag in a list header."""
    tags = []
    for match in re.finditer(r'(W/)?"([^"]*)"', header):
        tags.append((bool(match.group(1)), match.group(2)))
    return tags


def _matches(header: str, etag: str, *, weak: bool) -> bool:
    if header.strip() == "*":
        return True
    return any(value == etag and (weak or not is_weak) for is_weak, value in _etags(header))


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def evaluate_preconditions(
    headers: dict[str, str], *, etag: str, last_modified: datetime, method: str
) -> int | None:
    """304 or 412 when the request's preconditions say so, else None (go on).

    ``headers`` maps lower-case header names to values; ``etag`` is the
    opaque value (without quotes). Follows the evaluation order of RFC 9110
    §13.2.2.
    """
    if_match = headers.get("if-match")
    if if_match is not None:
        if not _matches(if_match, etag, weak=False):
            return 412
    else:
        since = headers.get("if-unmodified-since")
        parsed = parse_http_date_safe(since) if since else None
        if parsed is not None and _seconds(last_modified) > parsed:
            return 412
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if _matches(if_none_match, etag, weak=True):
            return 304 if method in ("GET", "HEAD") else 412
        return None
    if method in ("GET", "HEAD"):
        modified_since = headers.get("if-modified-since")
        parsed = parse_http_date_safe(modified_since) if modified_since else None
        if parsed is not None and _seconds(last_modified) <= parsed:
            return 304
    return None


def if_range_allows(header: str | None, *, etag: str, last_modified: datetime) -> bool:
    """True when there is no If-Range, or it still names this representation."""
    if header is None:
        return True
    header = header.strip()
    if header.startswith(("W/", '"')):
        tags = _etags(header)
        # If-Range needs a strong comparison: a weak tag never matches.
        return len(tags) == 1 and not tags[0][0] and tags[0][1] == etag
    parsed = parse_http_date_safe(header)
    return parsed is not None and parsed == _seconds(last_modified)


def last_modified_header(moment: datetime) -> str:
    return http_date(moment.timestamp())
