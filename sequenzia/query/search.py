"""The search box syntax, parsed into :class:`SearchTerms`.

    sunset beach            words: the name or description has a word starting with each
    -blurry                 no word may start with this
    "golden hour"           whole words, and the name or description holds the phrase as typed
    -"bad phrase"           ... or must not
    name:IMG_ ext:jpg       in the name / the extension (ext:jpg,png for either)
    folder:wallpapers       a folder whose name contains this
    date:2024-01..2024-06   a date range (either end may be left open: 2024.. or ..2024-06)
    date:2024-03-05         one day (or a month, 2024-03, or a year, 2024)
    ratio:0.5..1            width / height in a range (ratio:1.5 for about 1.5)
    width:>=3000            width or height with >, >=, <, <=, = or a range 1000..2000
    type:video              image, video, audio or other
    id:123 or id:1,2,3      these files only

Words are cut and normalised as :mod:`junefs.words` cuts the index's words
(``IMG_2023`` is the two words ``img`` and ``2023``), so they match whole
words or their beginnings, never the middle of a word: ``sun`` finds
``sunset`` but ``set`` does not; ``name:`` is still a substring of the name.
``name:``, ``ext:``, ``folder:`` and ``type:`` take a leading minus too
(``-ext:gif``). Anything malformed raises :class:`QueryError` with a message
that says what is wrong and how to write it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

KINDS = ("image", "video", "audio", "other")
KEYS = ("name", "ext", "folder", "date", "ratio", "width", "height", "type", "id")
NEGATABLE = ("name", "ext", "folder", "type")
MAX_TERMS = 30
_COMPARE = re.compile(r"^(>=|<=|>|<|=)?(\d+)$")


class QueryError(ValueError):
    """The query cannot be understood; the message says why, for the person who typed it."""


@dataclass(frozen=True)
class Bound:
    """An inclusive numeric range; None ends are open."""

    low: float | None = None
    high: float | None = None


@dataclass
class SearchTerms:
    words: list[str] = field(default_factory=list)
    not_words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    not_phrases: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    not_names: list[str] = field(default_factory=list)
    exts: list[str] = field(default_factory=list)
    not_exts: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    not_folders: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    not_kinds: list[str] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    date_from: date | None = None
    date_until: date | None = None  # exclusive
    ratio: Bound | None = None
    width: list[Bound] = field(default_factory=list)
    height: list[Bound] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self == SearchTerms()


@dataclass(frozen=True)
class Token:
    negated: bool
    key: str | None
    value: str
    quoted: bool


_KEY = re.compile(r"([A-Za-z]+):")


def tokenize(text: str) -> list[Token]:
    """Split on spaces, keeping "quoted phrases" whole; ``-`` and ``key:`` prefixes apart."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        key = None
        match = _KEY.match(text, i)
        if match:
            key = match.group(1).lower()
            i = match.end()
        if i < n and text[i] == '"':
            close = text.find('"', i + 1)
            if close < 0:
                raise QueryError('a quote is not closed: add the missing "')
            tokens.append(Token(negated, key, text[i + 1 : close], True))
            i = close + 1
            continue
        end = i
        while end < n and not text[end].isspace():
            end += 1
        tokens.append(Token(negated, key, text[i:end], False))
        i = end
    return tokens


def parse_search(text: str) -> SearchTerms:
    """Parse the search box; raises QueryError on malformed input."""
    terms = SearchTerms()
    tokens = tokenize(text)
    if len(tokens) > MAX_TERMS:
        raise QueryError(f"too many terms ({len(tokens)}); use at most {MAX_TERMS}")
    for token in tokens:
        key, value = token.key, token.value
        if key is None:
            if value and token.quoted:
                (terms.not_phrases if token.negated else terms.phrases).append(value)
            elif value:
                (terms.not_words if token.negated else terms.words).append(value)
            continue
        if key not in KEYS:
            raise QueryError(
                f"unknown filter {key}: (known: {', '.join(k + ':' for k in KEYS)}); "
                f'put the term in quotes ("{key}:{value}") to search for it as text'
            )
        if not value:
            raise QueryError(f"{key}: needs a value, e.g. {_EXAMPLES[key]}")
        if token.negated and key not in NEGATABLE:
            raise QueryError(f"-{key}: cannot be negated; write a range instead")
        _apply(terms, key, value, token.negated)
    return terms


_EXAMPLES = {
    "name": "name:IMG_",
    "ext": "ext:jpg",
    "folder": "folder:wallpapers",
    "date": "date:2024-01..2024-06",
    "ratio": "ratio:0.5..1",
    "width": "width:>=3000",
    "height": "height:<=1080",
    "type": "type:video",
    "id": "id:123",
}


def _apply(terms: SearchTerms, key: str, value: str, negated: bool) -> None:
    if key == "name":
        (terms.not_names if negated else terms.names).append(value)
    elif key == "ext":
        exts = [e.lower().lstrip(".") for e in value.split(",") if e.strip(". ")]
        if not exts or not all(re.fullmatch(r"[a-z0-9]{1,10}", e) for e in exts):
            raise QueryError(f"ext:{value} is not an extension list, e.g. ext:jpg,png")
        (terms.not_exts if negated else terms.exts).extend(exts)
    elif key == "folder":
        (terms.not_folders if negated else terms.folders).append(value)
    elif key == "type":
        kind = value.lower()
        if kind not in KINDS:
            raise QueryError(f"type:{value} is not one of {', '.join(KINDS)}")
        (terms.not_kinds if negated else terms.kinds).append(kind)
    elif key == "id":
        try:
            terms.ids.extend(int(v) for v in value.split(",") if v)
        except ValueError:
            raise QueryError(f"id:{value} is not a number or a list like id:1,2,3") from None
    elif key == "date":
        terms.date_from, terms.date_until = parse_date_range(value)
    elif key == "ratio":
        terms.ratio = _ratio(value)
    else:
        getattr(terms, key).append(_compare(key, value))


def parse_date_range(value: str) -> tuple[date | None, date | None]:
    """``2024``, ``2024-03``, ``2024-03-05`` or ``A..B`` → [from, until) dates."""
    if ".." in value:
        start, _, end = value.partition("..")
        if not start and not end:
            raise QueryError("date:.. needs at least one end, e.g. date:2024-01..")
        low = _period(start)[0] if start else None
        high = _period(end)[1] if end else None
        if low and high and low >= high:
            raise QueryError(f"date:{value} ends before it starts")
        return low, high
    return _period(value)


def _period(text: str) -> tuple[date, date]:
    match = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", text)
    if not match:
        raise QueryError(f"{text!r} is not a date; write 2024, 2024-03 or 2024-03-05")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        if month is None:
            return date(year, 1, 1), date(year + 1, 1, 1)
        if day is None:
            start = date(year, month, 1)
            return start, (start + timedelta(days=32)).replace(day=1)
        start = date(year, month, day)
        return start, start + timedelta(days=1)
    except ValueError:
        raise QueryError(f"{text!r} is not a real date") from None


def _number(text: str, what: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise QueryError(f"{what}: {text!r} is not a number") from None
    if number < 0 or number != number or number in (float("inf"),):
        raise QueryError(f"{what}: {text!r} must be a positive number")
    return number


def _ratio(value: str) -> Bound:
    if ".." in value:
        low, _, high = value.partition("..")
        bound = Bound(
            _number(low, "ratio") if low else None, _number(high, "ratio") if high else None
        )
        if bound.low is None and bound.high is None:
            raise QueryError("ratio:.. needs at least one end, e.g. ratio:1.5..")
        if bound.low is not None and bound.high is not None and bound.low > bound.high:
            raise QueryError(f"ratio:{value} has its low end above its high end")
        return bound
    exact = _number(value, "ratio")
    return Bound(exact * 0.98, exact * 1.02)


def _compare(key: str, value: str) -> Bound:
    if ".." in value:
        low, _, high = value.partition("..")
        if not (low or high) or not all(p.isdigit() for p in (low, high) if p):
            raise QueryError(f"{key}:{value} is not a range of whole numbers, e.g. {key}:800..1920")
        return Bound(float(low) if low else None, float(high) if high else None)
    match = _COMPARE.match(value)
    if not match:
        raise QueryError(f"{key}:{value} is not a comparison; write e.g. {key}:>=3000")
    op, number = match.group(1) or "=", float(match.group(2))
    return {
        ">=": Bound(number, None),
        ">": Bound(number + 1, None),
        "<=": Bound(None, number),
        "<": Bound(None, number - 1),
        "=": Bound(number, number),
    }[op]
