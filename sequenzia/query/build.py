"""Turn a :class:`GalleryQuery` into a queryset, and page through it by keyset.

The queryset starts from :func:`authware.access.files_for`, so nothing here
can show a file its requester may not read. Folder choices (explicit
folders, hidden folders, NSFW, ``folder:``) are resolved in Python against
the few hundred folders there are, and reach the database as one
``channel_id IN (…)`` or ``NOT IN (…)`` list.

Pages never use OFFSET: each sort has a key ending in a unique column, and
the next page starts after the last key of this one. The key condition is
written as ``a <= x AND (a < x OR id < y)`` rather than a row comparison, so
MariaDB and SQLite both turn its first half into an index range.

Random order is seeded and stable: every file has an indexed random
``shuffle`` key; the seed picks a start point on that circle, and the order
runs from there up, then wraps around. Each page is an index range scan,
never ``ORDER BY RAND()``.

Words go through the word index (``sequenzia.query.words``): as filters for
every sort, and for the date order also as *lanes* that drive the page
from the index (the queryset carries them, see :class:`SearchQuerySet`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, cast

from django.db.models import F, FilteredRelation, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from authware import access
from junefs.models import Channel, File, FileQuerySet
from sequenzia.query import words
from sequenzia.query.search import QueryError
from sequenzia.query.spec import GalleryQuery

RANDOM_PHASES = 2


@dataclass(frozen=True)
class FolderInfo:
    id: int
    name: str
    nsfw: bool
    class_name: str
    category: str
    position: int

    @property
    def pk(self) -> int:
        return self.id


FOLDER_COLUMNS = ("id", "name", "nsfw", "class_name", "category", "position")


def _read_folders() -> list[FolderInfo]:
    rows = Channel.objects.order_by("class_name", "category", "position", "name")
    return [FolderInfo(*row) for row in rows.values_list(*FOLDER_COLUMNS)]


def folders_of(request: HttpRequest) -> list[FolderInfo]:
    """Every folder, in sidebar order; cached per access version (folder edits bump it)."""
    cached: list[FolderInfo] | None = getattr(request, "_gallery_folders", None)
    if cached is None:
        cached = access.versioned(
            f"sequenzia:folders:{access.request_version(request)}", _read_folders
        )
        request._gallery_folders = cached  # type: ignore[attr-defined]
    return cached


def filter_files(
    request: HttpRequest,
    query: GalleryQuery,
    *,
    hidden: Iterable[int] = (),
    fav_user_id: int | None = None,
    plan_words: bool = True,
) -> QuerySet[File]:
    """Every file matching ``query`` that the requester may read (unordered).

    ``plan_words``: plan how :func:`walk` reads a word search from the word index
    (a few queries). Callers that never page with :func:`walk` (the screens walk
    their own order) say False; the words are checked on each row either way.
    """
    qs = SearchQuerySet.of(access.files_for(request))
    readable = access.channel_ids_for(request)
    qs, folders = _restrict_folders(qs, request, query, readable, set(hidden))
    qs = _narrow(qs, query, fav_user_id)
    positive, negative = words.terms_of(query.terms)
    qs = cast(SearchQuerySet, words.apply_terms(qs, positive, negative))
    if plan_words and positive and folders.only != ():
        search = words.plan(positive, folders, date_order=query.sort == "date")
        if search is words.NOTHING:
            return qs.none()
        qs.word_search = search
    return qs


def _narrow(qs: SearchQuerySet, query: GalleryQuery, fav_user_id: int | None) -> SearchQuerySet:
    """The query's filters (not its folders, not its words), and the favourites join."""
    qs = _apply_filters(qs, query)
    if query.sort == "fav":
        # No user: match nothing, but keep the annotations the ordering needs.
        fav_user_id = -1 if fav_user_id is None else fav_user_id
        qs = (
            qs.annotate(
                fav=FilteredRelation("favourites", condition=Q(favourites__user_id=fav_user_id))
            )
            .filter(fav__isnull=False)
            .annotate(fav_at=F("fav__created_at"), fav_id=F("fav__id"))
        )
    return qs


def query_folder_ids(
    request: HttpRequest, query: GalleryQuery, *, hidden: Iterable[int] = ()
) -> set[int]:
    """The folders ``query`` draws from, among those the requester may read."""
    readable = access.channel_ids_for(request)
    folders = [f for f in folders_of(request) if readable is None or f.id in readable]
    return _wanted_folders(folders, query, set(hidden))


def _restrict_folders(
    qs: SearchQuerySet,
    request: HttpRequest,
    query: GalleryQuery,
    readable: frozenset[int] | None,
    hidden: set[int],
) -> tuple[SearchQuerySet, words.Folders]:
    """The files in the folders asked for, and the same folder rule for the word index."""
    folders = [f for f in folders_of(request) if readable is None or f.id in readable]
    everything = {f.id for f in folders}
    wanted = _wanted_folders(folders, query, hidden)
    if not wanted:
        return qs.none(), words.Folders(only=())
    if wanted == everything:
        return qs, words.Folders(only=None if readable is None else tuple(sorted(readable)))
    excluded = everything - wanted
    if readable is None and len(excluded) < len(wanted):
        # Every folder is readable, so the short list of the rest is exact.
        rule = words.Folders(not_in=tuple(sorted(excluded)))
        return qs.exclude(channel_id__in_ids=excluded), rule
    return qs.filter(channel_id__in_ids=wanted), words.Folders(only=tuple(sorted(wanted)))


def _wanted_folders(folders: list[FolderInfo], query: GalleryQuery, hidden: set[int]) -> set[int]:
    wanted = {f.id for f in folders}
    if query.folders:
        wanted &= set(query.folders)  # asked for by id: shown even if hidden or NSFW
    else:
        wanted -= hidden
        if query.nsfw == "hide":
            wanted -= {f.id for f in folders if f.nsfw}
    if query.nsfw == "only":
        wanted &= {f.id for f in folders if f.nsfw}
    terms = query.terms
    for needle in terms.folders:
        wanted &= {f.id for f in folders if needle.lower() in f.name.lower()}
    for needle in terms.not_folders:
        wanted -= {f.id for f in folders if needle.lower() in f.name.lower()}
    return wanted


def _apply_filters(qs: SearchQuerySet, query: GalleryQuery) -> SearchQuerySet:
    terms = query.terms
    now = timezone.now()
    if query.days:
        qs = qs.filter(created_at__gte=now - timedelta(days=query.days))
    if query.date_from:
        qs = qs.filter(created_at__gte=_midnight(query.date_from))
    if query.date_to:
        qs = qs.filter(created_at__lt=_midnight(query.date_to) + timedelta(days=1))
    if terms.date_from:
        qs = qs.filter(created_at__gte=_midnight(terms.date_from))
    if terms.date_until:
        qs = qs.filter(created_at__lt=_midnight(terms.date_until))
    kinds = set(query.kinds) | set(terms.kinds)
    if query.kinds and terms.kinds:
        kinds = set(query.kinds) & set(terms.kinds)
        if not kinds:
            return qs.none()
    if kinds:
        qs = qs.filter(kind__in=sorted(kinds))
    if terms.not_kinds:
        qs = qs.exclude(kind__in=terms.not_kinds)
    if query.orient == "landscape":
        qs = qs.filter(width__gt=F("height"))
    elif query.orient == "portrait":
        qs = qs.filter(width__lt=F("height"))
    elif query.orient == "square":
        qs = qs.filter(width=F("height"))
    qs = _ratio(qs, query.ratio_min, query.ratio_max)
    if terms.ratio is not None:
        qs = _ratio(qs, terms.ratio.low, terms.ratio.high)
    if query.min_width:
        qs = qs.filter(width__gte=query.min_width)
    if query.min_height:
        qs = qs.filter(height__gte=query.min_height)
    for field, bounds in (("width", terms.width), ("height", terms.height)):
        for bound in bounds:
            if bound.low is not None:
                qs = qs.filter(**{f"{field}__gte": int(bound.low)})
            if bound.high is not None:
                qs = qs.filter(**{f"{field}__lte": int(bound.high)})
    if query.color is not None:
        tol = query.tolerance
        for channel, value in zip(("r", "g", "b"), query.color, strict=True):
            qs = qs.filter(**{f"color_{channel}__range": (max(0, value - tol), value + tol)})
    if query.tone:
        qs = qs.filter(is_dark=query.tone == "dark")
    if query.size_min is not None:
        qs = qs.filter(size__gte=query.size_min)
    if query.size_max is not None:
        qs = qs.filter(size__lte=query.size_max)
    for name in terms.names:
        qs = qs.filter(name__icontains=name)
    for name in terms.not_names:
        qs = qs.exclude(name__icontains=name)
    if terms.exts:
        ext_q = Q()
        for ext in terms.exts:
            ext_q |= Q(name__iendswith=f".{ext}")
        qs = qs.filter(ext_q)
    for ext in terms.not_exts:
        qs = qs.exclude(name__iendswith=f".{ext}")
    if terms.ids:
        qs = qs.filter(pk__in=terms.ids)
    return qs


class SearchQuerySet(FileQuerySet):
    """Files matching a gallery query. With word terms it also knows how to page them
    (``word_search``, see :mod:`sequenzia.query.words`), through every clone, so
    ``.only()`` or ``.filter()`` after :func:`filter_files` keep it. The queryset is
    complete without it: it is a way to find pages, never a filter."""

    word_search: words.WordSearch | None = None

    @classmethod
    def of(cls, qs: QuerySet[File]) -> SearchQuerySet:
        return cls(model=File, query=qs.query.chain(), using=qs.db)

    def _clone(self) -> SearchQuerySet:
        clone = cast(SearchQuerySet, super()._clone())  # type: ignore[misc]
        clone.word_search = self.word_search
        return clone


def _midnight(day: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _ratio(qs: SearchQuerySet, low: float | None, high: float | None) -> SearchQuerySet:
    # width / height in [low, high], written without a division so NULLs and zeros drop out.
    if low is not None:
        qs = qs.filter(width__gte=F("height") * low, height__gt=0)
    if high is not None:
        qs = qs.filter(width__lte=F("height") * high, height__gt=0)
    return qs


# --- Sorting and keyset pages ------------------------------------------------------------


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
