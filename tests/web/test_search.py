"""The search syntax parser and the URL query reader, including malformed input."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from sequenzia.query import GalleryQuery, QueryError, parse_search
from sequenzia.query.search import Bound, tokenize


def test_plain_words_and_exclusions() -> None:
    terms = parse_search('sunset  beach -blurry "two words" -"bad phrase"')
    assert terms.words == ["sunset", "beach"]
    assert terms.not_words == ["blurry"]
    assert terms.phrases == ["two words"]
    assert terms.not_phrases == ["bad phrase"]


def test_every_key() -> None:
    terms = parse_search(
        "name:IMG_ ext:JPG,.png folder:walls date:2024-01..2024-06 ratio:0.5..1 "
        "width:>=3000 height:720..1080 type:video id:1,2 -ext:gif -name:draft -folder:old "
        "-type:audio"
    )
    assert terms.names == ["IMG_"] and terms.not_names == ["draft"]
    assert terms.exts == ["jpg", "png"] and terms.not_exts == ["gif"]
    assert terms.folders == ["walls"] and terms.not_folders == ["old"]
    assert (terms.date_from, terms.date_until) == (date(2024, 1, 1), date(2024, 7, 1))
    assert terms.ratio == Bound(0.5, 1.0)
    assert terms.width == [Bound(3000, None)]
    assert terms.height == [Bound(720, 1080)]
    assert terms.kinds == ["video"] and terms.not_kinds == ["audio"]
    assert terms.ids == [1, 2]


@pytest.mark.parametrize(
    ("text", "start", "until"),
    [
        ("date:2024", date(2024, 1, 1), date(2025, 1, 1)),
        ("date:2024-02", date(2024, 2, 1), date(2024, 3, 1)),
        ("date:2024-12", date(2024, 12, 1), date(2025, 1, 1)),
        ("date:2024-02-29", date(2024, 2, 29), date(2024, 3, 1)),
        ("date:2023..", date(2023, 1, 1), None),
        ("date:..2023-06", None, date(2023, 7, 1)),
    ],
)
def test_dates(text: str, start: date | None, until: date | None) -> None:
    terms = parse_search(text)
    assert (terms.date_from, terms.date_until) == (start, until)


@pytest.mark.parametrize(
    ("text", "bound"),
    [
        ("width:>=3000", Bound(3000, None)),
        ("width:>3000", Bound(3001, None)),
        ("width:<=800", Bound(None, 800)),
        ("width:<800", Bound(None, 799)),
        ("width:1024", Bound(1024, 1024)),
        ("width:..1024", Bound(None, 1024)),
    ],
)
def test_comparisons(text: str, bound: Bound) -> None:
    assert parse_search(text).width == [bound]


def test_quoted_key_is_text_and_url_like_words_need_quotes() -> None:
    assert parse_search('"http://example.org"').phrases == ["http://example.org"]
    assert parse_search('name:"my holiday"').names == ["my holiday"]
    with pytest.raises(QueryError, match="unknown filter http:"):
        parse_search("http://example.org")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('sunset "beach', "quote is not closed"),
        ("width:abc", "not a comparison"),
        ("width:>=", "not a comparison"),
        ("height:10..x", "not a range"),
        ("date:2024-13", "not a real date"),
        ("date:yesterday", "not a date"),
        ("date:2024-06..2024-01", "ends before it starts"),
        ("date:..", "at least one end"),
        ("ratio:2..1", "low end above"),
        ("ratio:wide", "not a number"),
        ("ratio:-1", "not a number|positive"),
        ("ext:j/p/g", "not an extension"),
        ("type:picture", "not one of"),
        ("id:abc", "not a number"),
        ("-id:3", "cannot be negated"),
        ("-width:>3", "cannot be negated"),
        ("colour:red", "unknown filter colour:"),
        ("name:", "needs a value"),
        (" ".join(["w"] * 31), "too many terms"),
    ],
)
def test_malformed_queries_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_search(text)


def test_tokenizer_keeps_phrases_and_prefixes() -> None:
    tokens = tokenize('-name:"a b" c -')
    assert [(t.negated, t.key, t.value) for t in tokens] == [
        (True, "name", "a b"),
        (False, None, "c"),
        (False, None, "-"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_input_parses_or_raises_query_error(text: str) -> None:
    with contextlib.suppress(QueryError):
        parse_search(text)


def test_url_round_trip() -> None:
    params = QueryDict(mutable=True)
    params.setlist("folder", ["3", "1"])
    params.update(
        {
            "q": "cat -dog",
            "days": "30",
            "from": "2024-01-01",
            "to": "2024-02-01",
            "orient": "landscape",
            "ratio_min": "1.2",
            "min_width": "1920",
            "color": "#FF8000",
            "tone": "dark",
            "size_min": "500k",
            "size_max": "10M",
            "nsfw": "show",
            "sort": "name",
            "order": "desc",
        }
    )
    params.setlist("type", ["video", "image"])
    query = GalleryQuery.from_params(params)
    assert query.folders == (1, 3)
    assert query.kinds == ("image", "video")
    assert query.color == (255, 128, 0)
    assert query.size_min == 500 * 1024 and query.size_max == 10 * 1024**2
    again = GalleryQuery.from_params(QueryDict(query.urlencode()))
    assert again == query


def test_random_sort_gets_a_seed_that_stays_in_the_url() -> None:
    query = GalleryQuery.from_params({"sort": "random"})
    assert query.seed > 0
    assert f"seed={query.seed}" in query.urlencode()
    assert GalleryQuery.from_params(QueryDict(query.urlencode())).seed == query.seed


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"days": "soon"}, "not a whole number"),
        ({"days": "0"}, "out of range"),
        ({"folder": "x"}, "not a folder id"),
        ({"type": "picture"}, "not one of"),
        ({"sort": "colour"}, "not one of"),
        ({"from": "01/02/2024"}, "not a date"),
        ({"color": "red"}, "#rrggbb"),
        ({"size_min": "big"}, "not a size"),
        ({"ratio_min": "-2"}, "between 0 and 1000"),
        ({"q": "width:??"}, "not a comparison"),
    ],
)
def test_malformed_url_parameters(params: dict[str, str], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        GalleryQuery.from_params(params)
