"""Turn a :class:`GalleryQuery` into a queryset (paging through it: :mod:`.paging`).

The queryset starts from :func:`authware.access.files_for`, so nothing here
can show a file its requester may not read. Folder choices (explicit
folders, hidden folders, NSFW, ``folder:``) are resolved in Python against
the few hundred folders there are, and reach the database as one
``channel_id IN (…)`` or ``NOT IN (…)`` list.

Words go through the word index (``sequenzia.query.words``): as filters for
every sort, and for the date order also as *lanes* that drive the page
from the index (the queryset carries them, see :class:`SearchQuerySet`,
for :func:`.paging.walk`).
"""

from __future__ import annotations

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
from sequenzia.query.spec import GalleryQuery


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
