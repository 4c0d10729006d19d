"""Words from the search box, through the word index (:class:`junefs.models.FileWord`).

What a term means (the words are cut and normalised by :mod:`junefs.words`,
the same rules that cut the index):

* ``sun`` — the file has a word starting with ``sun`` (``sun``, ``sunset``).
  A term that is several words (``IMG_2023``, ``myHoliday``) needs each.
* ``"golden hour"`` — the file has the whole words ``golden`` and ``hour``,
  and its name or description contains ``golden hour`` as typed, in any
  case (``Golden Hour``). One quoted word is that whole word.
* ``-word``, ``-"a phrase"`` — files matching the term are left out.
* A term with nothing to index (only emoji or punctuation) is matched as
  a substring of the name or description, as all words once were.

As filters the terms check the file's own row: ``File.search_words`` holds
its words with a space around each, so ``search_words LIKE '% sun%'`` is
"has a word starting with sun" (``'% sun %'``: the word itself), compared
byte for byte. That is as cheap per row as the substring search it
replaces and keeps every plan as it was: each sort walks its own index.
(Subqueries on the index, ``id IN (SELECT file_id …)``, were tried first:
MariaDB makes them semi-joins, which it plans by reading every file of a
long folder list and sorting them, seconds on a million files; kept as
per-row checks they cost about twice a LIKE.) The walk costs what the
word's rarity costs, so :func:`plan` also picks a faster way when there is
one, from the positive word rarest in the index (the *driver*), as a
:class:`WordSearch`:

* **lanes** (date order, the driver stands for at most :data:`MAX_LANES`
  index words): each word is a scan of ``fileword_word_date`` (word, then
  date) on the index alone; merged, the scans give candidates in page
  order. The other positive words are asked of the index for each chunk of
  candidates (scanned over the chunk's stretch of dates, or looked up by
  file), and the survivors are checked against the full queryset by
  primary key (``paging.walk``): a page of one word costs about one page of
  index rows. When the driver's words turn out common where the page is
  but rare together with a *broad* word (``img_2023``: ``2023`` stands for
  hundreds of index words, and the newest ``img`` files are from 2025), the
  broad word takes over as one range of the index that the database sorts;
* **rare** (any other order, or no lanes; at most :data:`RARE` files have
  the driver): the page query is the queryset limited to those files' ids,
  a primary-key list the database reads and sorts.

Otherwise (a common word, not in date order) the plain walk is the right
plan: a common word is found within a few thousand rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.lookups import Contains

from junefs.models import File, FileWord
from junefs.words import TOP, query_words
from sequenzia.query.search import SearchTerms

#: A prefix standing for more index words than this gets no lanes.
MAX_LANES = 8
#: A driver that at most this many files have is "rare": the page reads those files by id.
RARE = 4000
#: Lane drivers are compared on how far back their newest this-many files reach.
RARITY_PROBE = 64
#: Another word is scanned over a chunk's stretch of dates while it has at most this
#: many times the chunk's rows there; a commoner one is looked up for the chunk's files.
STRETCH = 8


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    exact: bool  # quoted: whole words, else each word is a prefix
    text: str  # as typed, for the phrase check and the substring fallback


@dataclass(frozen=True)
class Folders:
    """The folder rule of a query, for the index's copy of each file's folder (the files
    found are always checked against the query's own rule as well)."""

    only: tuple[int, ...] | None = None  # only these (None: no restriction)
    not_in: tuple[int, ...] = ()

    def condition(self) -> Q:
        condition = Q()
        if self.only is not None:
            condition &= Q(channel_id__in_ids=self.only)
        if self.not_in:
            condition &= ~Q(channel_id__in_ids=self.not_in)
        return condition


Key = tuple[datetime, int]  # a file's place in the date order: (created_at, id)
Part = tuple[str, bool]  # a word of a term, and whether it must be exactly that word


def _beyond(key: Key, descending: bool, *, inclusive: bool = False) -> Q:
    """Index rows after ``key`` in the walk's direction (or at it, with ``inclusive``).
    Written as paging._after is: the first half is an index range."""
    at, file_id = key
    if descending:
        tie = Q(file_id__lte=file_id) if inclusive else Q(file_id__lt=file_id)
        return Q(created_at__lte=at) & (Q(created_at__lt=at) | tie)
    tie = Q(file_id__gte=file_id) if inclusive else Q(file_id__gt=file_id)
    return Q(created_at__gte=at) & (Q(created_at__gt=at) | tie)


@dataclass(frozen=True)
class WordSearch:
    """A faster way to page a queryset with word terms (see the module's docstring)."""

    ids: tuple[int, ...] | None = None  # rare: every file the driver allows
    lanes: tuple[str, ...] = ()  # date order: the driver's index words...
    span: Part | None = None  # ... or one range of them, scanned as one (sorted) range
    # The other positive words, asked of the index chunk by chunk: each with its index
    # words (scanned over the chunk's stretch of dates) or none (looked up per file).
    check: tuple[tuple[Part, tuple[str, ...]], ...] = ()
    folders: Folders = Folders()
    driver: Part | None = None
    broad: tuple[Part, ...] = ()  # positive words of too many index words for lanes

    def _scan(
        self, words: Iterable[str], rule: Q, descending: bool, count: int | None
    ) -> dict[int, Key]:
        """(date, id) keys of files having any of ``words`` (merged, one scan each)."""
        merged: dict[int, Key] = {}
        for word in words:
            rows = FileWord.objects.filter(rule, self.folders.condition(), word=word)
            keys = _in_order(rows, descending).values_list("created_at", "file_id")
            for key in keys[:count] if count is not None else keys:
                merged.setdefault(key[1], key)
        return merged

    def reach(self, words: Iterable[str]) -> tuple[int, float]:
        """How far back the newest RARITY_PROBE files with any of ``words`` reach: the
        further, the rarer the words (fewer than that many: rarer still)."""
        keys = sorted(self._scan(words, Q(), True, RARITY_PROBE).values(), reverse=True)
        if len(keys) < RARITY_PROBE:
            return 1, -len(keys)
        return 0, -keys[RARITY_PROBE - 1][0].timestamp()

    def spanning(self) -> WordSearch | None:
        """The same search driven by its first broad word as one range (when the lanes'
        words are common here but rare together with it), or None."""
        if not self.broad or self.driver is None:
            return None
        others = tuple((part, ()) for part, _ in self.check if part != self.broad[0])
        check: tuple[tuple[Part, tuple[str, ...]], ...] = ((self.driver, ()), *others)
        return replace(self, lanes=(), span=self.broad[0], check=check, broad=())

    def lane_keys(
        self, after: Key | None, descending: bool, count: int
    ) -> tuple[list[int], Key | None]:
        """The files among the next ``count`` of the driver's (merged, in order) that
        also have every other positive word, and the last key looked at (None when the
        driver is done). The other words are asked of the index only: no file row is
        read for a candidate that lacks one."""
        rule = _beyond(after, descending) if after is not None else Q()
        if self.span is not None:  # one range of words: the database sorts its rows
            rows = FileWord.objects.filter(rule, self.folders.condition(), matching(*self.span))
            raw = list(_in_order(rows, descending).values_list("created_at", "file_id")[:count])
            keys = list({key[1]: key for key in reversed(raw)}.values())[::-1]
            last = raw[-1] if raw else None
            done = len(raw) < count
        else:
            merged = self._scan(self.lanes, rule, descending, count)
            keys = sorted(merged.values(), reverse=descending)[:count]
            last = keys[-1] if keys else None
            done = len(keys) < count
        ids = [file_id for _, file_id in keys]
        for part, words in self.check:
            if not ids or last is None:
                break
            have: set[int] | None = None
            if words:  # its files in the same stretch of the date order, if not too many
                stretch = rule & ~_beyond(last, descending)
                rows = FileWord.objects.filter(stretch, self.folders.condition(), word__in=words)
                found = list(rows.values_list("file_id", flat=True)[: STRETCH * count])
                have = set(found) if len(found) < STRETCH * count else None
            if have is None:  # else ask about these files
                rows = FileWord.objects.filter(matching(*part), file_id__in_ids=ids)
                have = set(rows.values_list("file_id", flat=True))
            ids = [file_id for file_id in ids if file_id in have]
        return ids, None if done else last


def _in_order(rows: QuerySet[FileWord], descending: bool) -> QuerySet[FileWord]:
    sign = "-" if descending else ""
    return rows.order_by(f"{sign}created_at", f"{sign}file_id")


def terms_of(terms: SearchTerms) -> tuple[list[Term], list[Term]]:
    """The (positive, negative) word terms of a parsed search."""

    def make(texts: Iterable[str], exact: bool) -> list[Term]:
        return [Term(tuple(query_words(text)), exact, text) for text in texts]

    return (
        make(terms.words, False) + make(terms.phrases, True),
        make(terms.not_words, False) + make(terms.not_phrases, True),
    )


def matching(word: str, exact: bool) -> Q:
    """FileWord rows that are ``word`` (exact) or start with it."""
    if exact:
        return Q(word=word)
    return Q(word__gte=word, word__lt=word + TOP)


def _has(word: str, exact: bool) -> Q:
    """The file has this word (or one starting with it): a check of its own row."""
    return Q(search_words__contains=f" {word} " if exact else f" {word}")


def _contains(text: str) -> Q:
    """The name or the description contains ``text``, ignoring case however the
    database's collation compares (a binary one too: hence the LOWER() twin)."""
    condition = Q()
    for field in ("name", "description"):
        condition |= Q(**{f"{field}__icontains": text}) | Q(Contains(Lower(field), text.lower()))
    return condition


def term_filter(term: Term) -> Q:
    """Files matching one term."""
    if not term.words:
        return _contains(term.text)
    condition = Q()
    for word in term.words:
        condition &= _has(word, term.exact)
    if term.exact and len(term.words) > 1:
        condition &= _contains(term.text)
    return condition


def apply_terms(qs: QuerySet[File], positive: list[Term], negative: list[Term]) -> QuerySet[File]:
    for term in positive:
        qs = qs.filter(term_filter(term))
    for term in negative:
        qs = qs.exclude(term_filter(term))
    return qs


def expand(prefix: str, limit: int) -> list[str]:
    """The index words starting with ``prefix``, in order, at most ``limit`` (+1 to tell
    there are more): one index probe each, however many files have them."""
    found: list[str] = []
    rows = FileWord.objects.filter(word__lt=prefix + TOP).order_by("word")
    after = rows.filter(word__gte=prefix)
    while len(found) <= limit:
        word = after.values_list("word", flat=True).first()
        if word is None:
            break
        found.append(word)
        after = rows.filter(word__gt=word)
    return found


#: plan() found a positive word no file has: the result is empty.
NOTHING = WordSearch(ids=())


def _count(part: Part, cap: int) -> int:
    """How many index rows match ``part``, counting no further than ``cap``."""
    return FileWord.objects.filter(matching(*part))[:cap].count()


def plan(positive: list[Term], folders: Folders, *, date_order: bool) -> WordSearch | None:
    """A faster way to page a query with these positive terms: a WordSearch, None (the
    plain walk), or NOTHING (a positive word no file has)."""
    parts = sorted({(word, term.exact) for term in positive for word in term.words})
    if date_order:
        lanes = {p: [p[0]] if p[1] else expand(p[0], MAX_LANES) for p in parts}
        if any(not found for found in lanes.values()):
            return NOTHING
        if any(p[1] and not FileWord.objects.filter(word=p[0]).exists() for p in parts):
            return NOTHING
        drivers = [p for p in parts if len(lanes[p]) <= MAX_LANES]
        if drivers:
            # The rarest drives; the others are checked in the index, chunk by chunk.
            driver = drivers[0]
            if len(drivers) > 1:
                probe = WordSearch(folders=folders)
                driver = max(drivers, key=lambda p: probe.reach(lanes[p]))
            check = tuple(
                (p, tuple(lanes[p]) if p in drivers else ()) for p in parts if p != driver
            )
            broad = tuple(p for p in parts if p not in drivers)
            return WordSearch(
                lanes=tuple(lanes[driver]),
                check=check,
                folders=folders,
                driver=driver,
                broad=broad,
            )
    counts = {part: _count(part, RARE + 1) for part in parts}
    if any(count == 0 for count in counts.values()):
        return NOTHING
    if counts:
        rarest = min(counts, key=lambda part: (counts[part], part))
        if counts[rarest] <= RARE:
            found = FileWord.objects.filter(matching(*rarest)).values_list("file_id", flat=True)
            return WordSearch(ids=tuple(sorted(set(found))))
    return None
