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

As filters, terms are semi-joins on the index, ``id IN (SELECT file_id …)``:
right for every sort, and the sort keeps its own index. For the date order
:func:`plan_lanes` also picks a *driver*: the rarest positive word, when it
stands for at most :data:`MAX_LANES` words of the index. Each of those words
is a *lane*, a range scan of ``fileword_word_date`` (word, then date) that
stops after a page; the page merges the lanes (see ``build.walk``), so its
cost follows the page size, not the word's rarity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.lookups import Contains

from junefs.models import File, FileWord
from junefs.words import TOP, query_words
from sequenzia.query.search import SearchTerms

#: A prefix standing for more index words than this is only a filter (no lanes).
MAX_LANES = 8
#: Rarity is compared on counts capped here (each count reads at most this many entries).
COUNT_CAP = 2000


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    exact: bool  # quoted: whole words, else each word is a prefix
    text: str  # as typed, for the phrase check and the substring fallback


@dataclass(frozen=True)
class Lanes:
    """The index words that drive a date-ordered page, and the folders to scan in them."""

    words: tuple[str, ...]
    folders: tuple[int, ...] | None = None  # only these (None: no restriction)
    not_folders: tuple[int, ...] = ()

    def condition(self, word: str) -> Q:
        """The join condition of one lane (as a FilteredRelation on File.words)."""
        condition = Q(words__word=word)
        if self.folders is not None:
            condition &= Q(words__channel_id__in=self.folders)
        if self.not_folders:
            condition &= ~Q(words__channel_id__in=self.not_folders)
        return condition


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
    return Q(pk__in=FileWord.objects.filter(matching(word, exact)).values("file_id"))


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


def _rarity(words: Iterable[str]) -> int:
    return sum(FileWord.objects.filter(word=w)[:COUNT_CAP].count() for w in words)


NOTHING = ()


def plan_lanes(positive: list[Term], *, lanes: bool) -> tuple[str, ...] | None:
    """The lane words for a date-ordered page; ``NOTHING`` when a positive word matches
    no file at all (the result is empty whatever else is asked); None: no lanes."""
    candidates: list[list[str]] = []
    for term in positive:
        for word in term.words:
            if term.exact:
                found = [word] if FileWord.objects.filter(word=word).exists() else []
            else:
                found = expand(word, MAX_LANES if lanes else 0)
            if not found:
                return NOTHING
            if lanes and len(found) <= MAX_LANES:
                candidates.append(found)
    if not candidates:
        return None
    if len(candidates) == 1:
        return tuple(candidates[0])
    return tuple(min(candidates, key=_rarity))
