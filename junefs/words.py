"""Words of a file's name and description, for the search box's word index.

The same rules cut the index's words and the words people type, so a typed
word finds what was indexed:

* Text is NFKC-normalised first (fullwidth letters are ASCII ones, the ligature
  ``ﬁ`` is ``fi``, ``①`` is ``1``), then cut into runs of letters, digits and
  combining marks. Everything else separates words: spaces, punctuation,
  symbols and emoji, control and format characters (NUL, bidi overrides,
  zero-width joiners).
* A run is cut further where the case rises (``myHoliday`` → ``my``,
  ``holiday``; ``HTMLParser`` → ``html``, ``parser``) and between letters
  and digits (``DSC0012345`` → ``dsc``, ``0012345``). The whole run is
  indexed as well (``dsc0012345``, ``myholiday``), so a name typed without
  its capitals is found too; typed words are only cut into the parts.
* Han ideographs and kana are a word each (they are written without
  spaces): ``東京タワー`` is ``東``, ``京``, ``タ``, ``ワ``, ``ー``.
* Each word is case-folded (``Straße`` → ``strasse``) and normalised again,
  then cut to :data:`MAX_WORD_LENGTH` characters. Accents are kept
  (``résumé`` is not ``resume``). No stop words: every word counts.
* A name loses its extension first (``.jpg``: ``ext:`` searches those).

A file keeps at most :data:`MAX_WORDS_PER_FILE` distinct words (its name's
first), from at most :data:`MAX_TEXT_LENGTH` characters of its description.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

MAX_WORD_LENGTH = 32
MAX_WORDS_PER_FILE = 300
MAX_TEXT_LENGTH = 10_000
#: Above every character a word can hold: ``prefix <= word < prefix + TOP`` is a prefix range.
TOP = "\U0010ffff"

_IDEOGRAPHS = (
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x31F0, 0x31FF),  # katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)


def _ideograph(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _IDEOGRAPHS) and unicodedata.category(
        char
    ).startswith("L")


def _kind(char: str) -> str:
    """``u`` upper, ``l`` other letter, ``d`` number, ``m`` mark, ``i`` ideograph, ``-`` none."""
    if char < "\x80":  # the common case, without a Unicode database lookup
        if "a" <= char <= "z":
            return "l"
        if "A" <= char <= "Z":
            return "u"
        return "d" if "0" <= char <= "9" else "-"
    category = unicodedata.category(char)
    if category[0] == "L":
        if _ideograph(char):
            return "i"
        return "u" if category in ("Lu", "Lt") else "l"
    if category[0] == "N":
        return "d"
    if category[0] == "M":
        return "m"
    return "-"


def _runs(text: str) -> Iterator[tuple[list[str], bool]]:
    """(parts, splittable) for each run of word characters; ideographs come one by one."""
    run: list[tuple[str, str]] = []

    def flush() -> Iterator[tuple[list[str], bool]]:
        if run:
            yield _split(run), True
            run.clear()

    for char in text:
        kind = _kind(char)
        if kind == "i":
            yield from flush()
            yield [char], False
        elif kind == "-" or (kind == "m" and not run):
            yield from flush()  # a mark with nothing to attach to separates, like punctuation
        else:
            run.append((char, kind))
    yield from flush()


def _split(run: list[tuple[str, str]]) -> list[str]:
    """Cut a run where the case rises and between letters and digits (linear time)."""
    parts: list[str] = []
    current: list[str] = []
    previous = ""  # kind of the last character that is not a mark
    for index, (char, kind) in enumerate(run):
        if kind == "m":
            current.append(char)
            continue
        if current:
            cut = (kind == "d") != (previous == "d") or (kind == "u" and previous == "l")
            if not cut and kind == previous == "u":
                # HTMLParser: the last capital before a small letter starts a word.
                ahead = index + 1
                while ahead < len(run) and run[ahead][1] == "m":
                    ahead += 1
                cut = ahead < len(run) and run[ahead][1] == "l"
            if cut:
                parts.append("".join(current))
                current = []
        current.append(char)
        previous = kind
    if current:
        parts.append("".join(current))
    return parts


def normalise(word: str) -> str:
    """Case-folded, NFKC, at most MAX_WORD_LENGTH characters."""
    return unicodedata.normalize("NFKC", word.casefold())[:MAX_WORD_LENGTH]


def _words(text: str, *, whole_runs: bool) -> Iterator[str]:
    text = unicodedata.normalize("NFKC", text[:MAX_TEXT_LENGTH])
    for parts, splittable in _runs(text):
        for part in parts:
            yield normalise(part)
        if whole_runs and splittable and len(parts) > 1:
            yield normalise("".join(parts))


def stem(name: str) -> str:
    """A file name without its extension (``photo.final.jpg`` → ``photo.final``)."""
    base, dot, ext = name.rpartition(".")
    if dot and 0 < len(ext) <= 10 and ext.isalnum() and any(_kind(c) != "-" for c in base):
        return base
    return name  # no extension, or nothing but it (".jpg", "..hidden")


def index_words(name: str, description: str = "") -> list[str]:
    """The distinct words a file is found by: its name's (without extension), then its
    description's, at most MAX_WORDS_PER_FILE."""
    out: dict[str, None] = {}
    for source in (stem(name), description):
        for word in _words(source, whole_runs=True):
            if word and word not in out:
                out[word] = None
                if len(out) >= MAX_WORDS_PER_FILE:
                    return list(out)
    return list(out)


def query_words(text: str) -> list[str]:
    """The distinct words of something typed in the search box, in order (parts only)."""
    out: dict[str, None] = {}
    for word in _words(text, whole_runs=False):
        if word:
            out[word] = None
    return list(out)


def joined(words: list[str]) -> str:
    """Words as ``File.search_words`` keeps them: a space before and after each, so
    ``LIKE '% sun%'`` is "a word starting with sun" and ``'% sun %'`` the word itself."""
    return f" {' '.join(words)} " if words else ""
