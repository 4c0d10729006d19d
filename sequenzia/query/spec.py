"""A gallery query: every filter and sort, typed, read from and written to a URL.

The URL is the query: :meth:`GalleryQuery.from_params` reads a QueryDict
(strictly: a malformed value raises :class:`QueryError` with a message),
:meth:`GalleryQuery.to_params` writes the canonical parameters back, so any
page can be bookmarked, shared, put in an Atom feed or replayed by a screen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sequenzia.query.search import KINDS, QueryError, SearchTerms, parse_search

SORTS = ("date", "name", "size", "random", "fav")
ORIENTATIONS = ("landscape", "portrait", "square")
TONES = ("dark", "light")
NSFW = ("hide", "show", "only")
DEFAULT_ORDER = {"date": "desc", "name": "asc", "size": "desc", "random": "asc", "fav": "desc"}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str, what: str) -> int:
    """``1500``, ``500k``, ``10MB``, ``1.5G`` → bytes."""
    match = _SIZE.match(text.strip())
    if not match:
        raise QueryError(f"{what}={text!r} is not a size; write e.g. 500k, 10M or 1.5G")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_color(text: str) -> tuple[int, int, int]:
    value = text.strip().lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", value):
        raise QueryError(f"color={text!r} is not an RGB colour; write it as #rrggbb")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


@dataclass(frozen=True)
class GalleryQuery:
    q: str = ""
    folders: tuple[int, ...] = ()
    days: int | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    kinds: tuple[str, ...] = ()
    orient: str = ""
    ratio_min: float | None = None
    ratio_max: float | None = None
    min_width: int | None = None
    min_height: int | None = None
    color: tuple[int, int, int] | None = None
    tolerance: int = 40
    tone: str = ""
    size_min: int | None = None
    size_max: int | None = None
    nsfw: str = "hide"
    sort: str = "date"
    order: str = ""
    seed: int = 0
    terms: SearchTerms = field(default_factory=SearchTerms, compare=False)

    @property
    def direction(self) -> str:
        return self.order or DEFAULT_ORDER[self.sort]

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> GalleryQuery:
        """Read a QueryDict (or a plain dict); raises QueryError on a bad value."""
        get = _Getter(params)
        q = get.text("q")[:500]
        query = cls(
            q=q,
            folders=tuple(get.integers("folder")),
            days=get.integer("days", minimum=1, maximum=36500),
            date_from=get.day("from"),
            date_to=get.day("to"),
            kinds=tuple(get.some_of("type", KINDS)),
            orient=get.one_of("orient", ORIENTATIONS),
            ratio_min=get.number("ratio_min"),
            ratio_max=get.number("ratio_max"),
            min_width=get.integer("min_width", minimum=1),
            min_height=get.integer("min_height", minimum=1),
            color=parse_color(get.text("color")) if get.text("color") else None,
            tolerance=get.integer("tol", minimum=1, maximum=255) or 40,
            tone=get.one_of("tone", TONES),
            size_min=parse_size(get.text("size_min"), "size_min") if get.text("size_min") else None,
            size_max=parse_size(get.text("size_max"), "size_max") if get.text("size_max") else None,
            nsfw=get.one_of("nsfw", NSFW) or "hide",
            sort=get.one_of("sort", SORTS) or "date",
            order=get.one_of("order", ("asc", "desc")),
            seed=get.integer("seed", minimum=0, maximum=2**31 - 1) or 0,
            terms=parse_search(q),
        )
        if query.sort == "random" and not query.seed:
            import random

            query = replace(query, seed=random.randint(1, 2**31 - 1))
        return query

    def to_params(self) -> dict[str, Any]:
        """The canonical URL parameters (defaults left out; lists as lists)."""
        out: dict[str, Any] = {}
        if self.q:
            out["q"] = self.q
        if self.folders:
            out["folder"] = [str(f) for f in self.folders]
        for name in ("days", "min_width", "min_height", "size_min", "size_max"):
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value)
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        if self.kinds:
            out["type"] = list(self.kinds)
        for name in ("orient", "tone", "order"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.ratio_min is not None:
            out["ratio_min"] = f"{self.ratio_min:g}"
        if self.ratio_max is not None:
            out["ratio_max"] = f"{self.ratio_max:g}"
        if self.color:
            out["color"] = "#{:02x}{:02x}{:02x}".format(*self.color)
            if self.tolerance != 40:
                out["tol"] = str(self.tolerance)
        if self.nsfw != "hide":
            out["nsfw"] = self.nsfw
        if self.sort != "date":
            out["sort"] = self.sort
        if self.sort == "random":
            out["seed"] = str(self.seed)
        return out

    def urlencode(self, **extra: Any) -> str:
        params = {**self.to_params(), **{k: v for k, v in extra.items() if v not in (None, "")}}
        return urlencode(params, doseq=True)

    def replace(self, **changes: Any) -> GalleryQuery:
        return replace(self, **changes)

    @property
    def color_hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.color) if self.color else ""

    @property
    def has_filters(self) -> bool:
        """Filters beyond the folder, the search box and the sort are set."""
        narrow = self.replace(q="", folders=(), sort="date", order="", seed=0)
        return not narrow.is_default

    @property
    def is_default(self) -> bool:
        return not self.to_params()


class _Getter:
    """Strict reads of single and repeated parameters."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = params

    def _all(self, name: str) -> list[str]:
        getlist = getattr(self.params, "getlist", None)
        if getlist is not None:
            values = getlist(name)
        else:
            raw = self.params.get(name)
            values = raw if isinstance(raw, list | tuple) else [] if raw is None else [raw]
        return [str(v).strip() for v in values if str(v).strip()]

    def text(self, name: str) -> str:
        values = self._all(name)
        return values[-1] if values else ""

    def integer(self, name: str, *, minimum: int = 0, maximum: int | None = None) -> int | None:
        text = self.text(name)
        if not text:
            return None
        if not text.isdigit():
            raise QueryError(f"{name}={text!r} is not a whole number")
        number = int(text)
        if number < minimum or (maximum is not None and number > maximum):
            raise QueryError(f"{name}={number} is out of range")
        return number

    def integers(self, name: str) -> list[int]:
        out: list[int] = []
        for value in self._all(name):
            for part in value.split(","):
                if part.strip():
                    if not part.strip().isdigit():
                        raise QueryError(f"{name}={part!r} is not a folder id")
                    out.append(int(part))
        return sorted(set(out))

    def number(self, name: str) -> float | None:
        text = self.text(name)
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise QueryError(f"{name}={text!r} is not a number") from None
        if not 0 < number < 1000:
            raise QueryError(f"{name}={text!r} must be between 0 and 1000")
        return number

    def day(self, name: str) -> date | None:
        text = self.text(name)
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise QueryError(f"{name}={text!r} is not a date (YYYY-MM-DD)") from None

    def one_of(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.text(name).lower()
        if value and value not in choices:
            raise QueryError(f"{name}={value!r} is not one of {', '.join(choices)}")
        return value

    def some_of(self, name: str, choices: tuple[str, ...]) -> list[str]:
        out = []
        for value in self._all(name):
            for part in value.lower().split(","):
                if part not in choices:
                    raise QueryError(f"{name}={part!r} is not one of {', '.join(choices)}")
                out.append(part)
        return sorted(set(out))
