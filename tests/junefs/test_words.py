"""Cutting names and descriptions into the search index's words, hostile input included."""

from __future__ import annotations

import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from junefs.words import (
    MAX_TEXT_LENGTH,
    MAX_WORD_LENGTH,
    MAX_WORDS_PER_FILE,
    index_words,
    query_words,
    stem,
)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("IMG_20230411_0012345.jpg", ["img", "20230411", "0012345"]),
        ("DSC0012345.JPG", ["dsc", "0012345", "dsc0012345"]),
        ("screenshot-2023-04-11-12345.png", ["screenshot", "2023", "04", "11", "12345"]),
        ("sunset-beach-12.jpg", ["sunset", "beach", "12"]),
        ("myHolidayPhoto.jpeg", ["my", "holiday", "photo", "myholidayphoto"]),
        ("HTMLParser.py", ["html", "parser", "htmlparser"]),
        ("iPhone13Pro.heic", ["i", "phone", "13", "pro", "iphone13pro"]),
        ("photo.final.v2.png", ["photo", "final", "v", "2", "v2"]),
        ("no extension", ["no", "extension"]),
        ("archive.tar.gz", ["archive", "tar"]),
        ("..hidden", ["hidden"]),
        ("", []),
    ],
)
def test_names(name: str, words: list[str]) -> None:
    assert index_words(name) == words


def test_description_words_follow_the_name_and_repeat_once() -> None:
    assert index_words("Sunset.jpg", "A sunset, at the beach; the BEACH!") == [
        "sunset",
        "a",
        "at",
        "the",
        "beach",
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Straße", ["strasse"]),  # case folding, not just lower()
        ("ＩＭＧ①", ["img", "1", "img1"]),  # NFKC: fullwidth letters, circled digit
        ("ﬁle", ["file"]),  # a ligature
        ("résumé", ["résumé"]),  # accents are kept
        ("re\u0301sume\u0301", ["résumé"]),  # ... and composed (NFKC)
        ("ǅemal", ["džemal"]),  # a titlecase digraph
        ("Москва2023Сити", ["москва", "2023", "сити", "москва2023сити"]),  # noqa: RUF001
        ("ΟΔΥΣΣΕΥΣ", ["οδυσσευσ"]),
        ("हिन्दी नमस्ते", ["हिन्दी", "नमस्ते"]),  # combining vowel signs and viramas stay inside
        ("مرحبا بالعالم", ["مرحبا", "بالعالم"]),
        ("שלום עולם", ["שלום", "עולם"]),
        ("東京タワー2023", ["東", "京", "タ", "ワ", "ー", "2023"]),  # ideographs one by one
        ("서울 사진", ["서울", "사진"]),
        ("photo٣", ["photo", "٣", "photo٣"]),  # another script's digit is a digit
    ],
)
def test_unicode(text: str, words: list[str]) -> None:
    assert index_words("", text) == words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("abc\x00def", ["abc", "def"]),  # NUL separates
        ("abc\u202edef\u202c", ["abc", "def"]),  # a right-to-left override separates
        ("evil\u2066name\u2069", ["evil", "name"]),  # isolates too
        ("zero\u200bwidth", ["zero", "width"]),
        ("🌅sunset🌅", ["sunset"]),  # emoji are not words
        ("👨‍👩‍👧 family", ["family"]),  # nor are joined emoji sequences
        ("\u0301\u0301x", ["x"]),  # marks with nothing to attach to
        ("tab\tnew\nline\r\n", ["tab", "new", "line"]),
        ("a\ud800b", ["a", "b"]),  # a lone surrogate (from a bad file name)
        ("\ufeffbom", ["bom"]),
        ("c++ c# f.lux", ["c", "f", "lux"]),
    ],
)
def test_hostile_characters_separate(text: str, words: list[str]) -> None:
    assert index_words("", text) == words


def test_long_words_are_cut_and_still_found_by_their_start() -> None:
    word = "a" * 10_000
    assert index_words(word + ".jpg") == ["a" * MAX_WORD_LENGTH]
    assert query_words(word + "b") == ["a" * MAX_WORD_LENGTH]
    zalgo = "z" + "\u0301" * 5_000
    assert all(len(w) <= MAX_WORD_LENGTH for w in index_words("", zalgo))


@pytest.mark.parametrize(
    "text", ["a" * 10_000, "aB" * 5_000, "A" * 10_000, ("X" + "\u0301" * 50) * 200, "1a" * 5_000]
)
def test_hostile_runs_take_linear_time(text: str) -> None:
    started = time.perf_counter()
    index_words(text, text)
    assert time.perf_counter() - started < 1.0  # ~10 ms; quadratic would be seconds


def test_a_file_has_a_bounded_number_of_words() -> None:
    many = " ".join(f"w{i}x" for i in range(5_000))
    words = index_words("name.jpg", many)
    assert len(words) == MAX_WORDS_PER_FILE
    assert words[0] == "name"
    huge = "word " * (MAX_TEXT_LENGTH // 5) + "unreachable"
    assert "unreachable" not in index_words("", huge)


def test_typed_words_are_cut_alike_but_not_joined() -> None:
    assert query_words("IMG_2023") == ["img", "2023"]
    assert query_words("myHoliday") == ["my", "holiday"]
    assert query_words("myholiday") == ["myholiday"]  # a prefix of the indexed whole run
    assert query_words("Sunset SUNSET") == ["sunset"]
    assert query_words("🌅 ---") == []


def test_stem() -> None:
    assert stem("a.jpg") == "a"
    assert stem("a.b.c") == "a.b"
    assert stem("a.") == "a."
    assert stem(".jpg") == ".jpg"
    assert stem("v1.2 final") == "v1.2 final"  # not an extension: has a space


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNM"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200))
def test_any_text_gives_bounded_normalised_words(name: str, description: str) -> None:
    words = index_words(name, description)
    assert len(words) == len(set(words)) <= MAX_WORDS_PER_FILE
    for word in words:
        assert 0 < len(word) <= MAX_WORD_LENGTH
        assert all(_is_word_char(c) for c in word), word
        assert word == unicodedata.normalize("NFKC", word.casefold())[:MAX_WORD_LENGTH]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=100))
def test_typed_words_find_what_was_indexed(text: str) -> None:
    """Every word typed from a name is a prefix of one of the name's indexed words."""
    indexed = index_words("", text)
    for typed in query_words(text):
        assert any(word.startswith(typed) for word in indexed), (typed, indexed)
