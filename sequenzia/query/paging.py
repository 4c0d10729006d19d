"""Page through a gallery queryset by keyset, in any of the query's sorts.

Pages never use OFFSET: each sort has a key ending in a unique column, and
the next page starts after the last key of this one. The key condition is
written as ``a <= x AND (a < x OR id < y)`` rather than a row comparison, so
MariaDB and SQLite both turn its first half into an index range.

Random order is seeded and stable: every file has an indexed random
``shuffle`` key; the seed picks a start point on that circle, and the order
runs from there up, then wraps around. Each page is an index range scan,
never ``ORDER BY RAND()``.

A word search in date order is read from the word index's *lanes* (see
:mod:`sequenzia.query.words`) when the queryset carries a plan.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from junefs.models import File
from sequenzia.query import words
from sequenzia.query.search import QueryError
from sequenzia.query.spec import GalleryQuery


@dataclass(frozen=True)
class SortSpec:
    field: str
    tiebreak: str
    descending: bool
    phases: tuple[Q, ...]

    def key_of(self, file: File) -> tuple[Any, Any]:
        return getattr(file, self.field), getattr(file, self.tiebreak)


def sort_spec(query: GalleryQuery) -> SortSpec:
    descending = query.direction == "desc"
    if query.sort == "random":
        seed = query.seed
        return SortSpec("shuffle", "id", False, (Q(shuffle__gte=seed), Q(shuffle__lt=seed)))
    if query.sort == "fav":
        return SortSpec("fav_at", "fav_id", descending, (Q(),))
    field = {"date": "created_at", "name": "name", "size": "size"}[query.sort]
    return SortSpec(field, "id", descending, (Q(),))


def phase_of(spec: SortSpec, query: GalleryQuery, file: File) -> int:
    if len(spec.phases) == 1:
        return 0
    return 0 if file.shuffle >= query.seed else 1


def _after(spec: SortSpec, key: tuple[Any, Any], descending: bool) -> Q:
    value, tie = key
    if descending:
        return Q(**{f"{spec.field}__lte": value}) & (
            Q(**{f"{spec.field}__lt": value}) | Q(**{f"{spec.tiebreak}__lt": tie})
        )
    return Q(**{f"{spec.field}__gte": value}) & (
        Q(**{f"{spec.field}__gt": value}) | Q(**{f"{spec.tiebreak}__gt": tie})
    )


def _ordering(spec: SortSpec, descending: bool) -> list[str]:
    sign = "-" if descending else ""
    return [f"{sign}{spec.field}", f"{sign}{spec.tiebreak}"]


def walk(
    qs: QuerySet[File],
    spec: SortSpec,
    *,
    start: tuple[int, tuple[Any, Any] | None] = (0, None),
    forward: bool = True,
    limit: int,
) -> list[tuple[int, File]]:
    """Up to ``limit`` files after ``start`` (phase, key), with their phase."""
    descending = spec.descending != (not forward)
    phase, key = start
    order = range(phase, len(spec.phases)) if forward else range(phase, -1, -1)
    search: words.WordSearch | None = getattr(qs, "word_search", None)
    if search is not None and search.ids is not None:
        qs = qs.filter(pk__in_ids=search.ids)  # a rare word: its files, by id
    lanes = search is not None and bool(search.lanes) and spec.field == "created_at"
    found: list[tuple[int, File]] = []
    for index in order:
        part = qs.filter(spec.phases[index])
        after = key if index == phase else None
        if lanes:
            assert search is not None
            rows = _walk_lanes(part, search, after, descending, limit - len(found))
        else:
            if after is not None:
                part = part.filter(_after(spec, after, descending))
            rows = list(part.order_by(*_ordering(spec, descending))[: limit - len(found)])
        found.extend((index, row) for row in rows)
        if len(found) >= limit:
            break
    return found


#: Lane candidates are checked this many at a time at most: MariaDB reads an IN list up
#: to 1,000 long (``in_predicate_conversion_threshold``) as index lookups, a longer one
#: as a table to join, planned less predictably.
MAX_CHUNK = 1000
#: Lane candidates looked at without filling a quarter of the page before a broad word
#: (one that stands for many index words) takes over as the driver.
LANE_BUDGET = 2000


def _walk_lanes(
    qs: QuerySet[File],
    search: words.WordSearch,
    after: tuple[Any, Any] | None,
    descending: bool,
    need: int,
) -> list[File]:
    """The next ``need`` files of ``qs`` in date order: candidates from the word index's
    lanes, in that order, checked against ``qs`` a chunk at a time by primary key."""
    # Lane candidates nearly all match: they have the words, in the right folders.
    chunk = min(need + 8, MAX_CHUNK)
    found: list[File] = []
    looked = 0
    while True:
        if looked > LANE_BUDGET and len(found) < need // 4 and (wider := search.spanning()):
            # The driver's words are common here but rare with a broad word: drive by that.
            search, chunk, looked = wider, min(need + 8, MAX_CHUNK), 0
        ids, last = search.lane_keys(after, descending, chunk)
        looked += chunk
        checked = {file.pk: file for file in qs.filter(pk__in_ids=ids).order_by()} if ids else {}
        for file_id in ids:
            if file_id in checked:
                found.append(checked[file_id])
                if len(found) == need:
                    return found
        if last is None:
            return found  # the lanes are done
        after = last
        chunk = min(chunk * 4, MAX_CHUNK)


@dataclass
class Page:
    files: list[File]
    next_cursor: str | None


def fetch_page(qs: QuerySet[File], query: GalleryQuery, cursor: str | None, size: int) -> Page:
    spec = sort_spec(query)
    start = decode_cursor(cursor, query) if cursor else (0, None)
    # No select_related("channel"): a join makes MariaDB drive the query from the
    # folder table and sort every matching file; callers that need folder names
    # use prefetch_related or folders_of().
    rows = walk(qs, spec, start=start, limit=size + 1)
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        phase, last = rows[-1]
        next_cursor = encode_cursor(query, phase, spec.key_of(last))
    return Page([row for _, row in rows], next_cursor)


def neighbours(
    qs: QuerySet[File], query: GalleryQuery, file: File
) -> tuple[File | None, File | None]:
    """The files before and after ``file`` in the query's order (it must carry its sort key)."""
    spec = sort_spec(query)
    start = (phase_of(spec, query, file), spec.key_of(file))
    before = walk(qs, spec, start=start, forward=False, limit=1)
    after = walk(qs, spec, start=start, forward=True, limit=1)
    return (before[0][1] if before else None, after[0][1] if after else None)


def encode_cursor(query: GalleryQuery, phase: int, key: tuple[Any, Any]) -> str:
    value, tie = key
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([query.sort, query.direction, phase, value, tie], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, query: GalleryQuery) -> tuple[int, tuple[Any, Any]]:
    stale = QueryError("this page link no longer fits the query; start again from the first page")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        sort, direction, phase, value, tie = json.loads(raw)
    except (ValueError, binascii.Error, TypeError):
        raise stale from None
    if sort != query.sort or direction != query.direction or phase not in (0, 1):
        raise stale
    if not isinstance(tie, int):
        raise stale
    if sort in ("date", "fav"):
        try:
            value = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise stale from None
    elif not isinstance(value, str if sort == "name" else int):
        raise stale
    return phase, (value, tie)
