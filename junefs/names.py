"""Make a file name given by anyone safe to store, show and download.

Hostile names are common in archives: paths (``../../etc/passwd``), NUL and
control bytes, right-to-left overrides that make ``exe.jpg`` look like
``gpj.exe``, names of only dots, names longer than a filesystem allows, and
names reserved by Windows. :func:`clean_name` turns any of them into a plain
base name of at most 255 UTF-8 bytes whose extension matches the content.
"""

from __future__ import annotations

import unicodedata

from junefs.sniff import Sniffed, extension_matches

MAX_NAME_BYTES = 255
_WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}
_FORBIDDEN = set('<>:"|?*')
# Zero-width joiners are part of emoji sequences; keep them.
_KEEP_FORMAT = {"\u200c", "\u200d"}
# Sniffed types too vague to overrule the given extension (source code is "txt").
_KEEP_GIVEN = {"bin", "txt"}


def _strip_unsafe_characters(name: str) -> str:
    out = []
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn"):
            continue  # controls (NUL included), surrogates, private use, unassigned
        if category == "Cf" and char not in _KEEP_FORMAT:
            continue  # bidi overrides and other invisible formatting
        if char in _FORBIDDEN:
            out.append("_")
            continue
        if category.startswith("Z"):
            out.append(" ")  # every kind of space becomes a plain one
            continue
        out.append(char)
    return "".join(out)


def _truncate_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def split_extension(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or not ext or len(ext) > 10 or not ext.isalnum():
        return name, ""
    return stem, ext


def clean_name(raw: str | bytes, sniffed: Sniffed | None = None) -> str:
    """A safe base name for ``raw``; its extension is fixed to match ``sniffed``."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    name = unicodedata.normalize("NFC", raw)
    # Only the last path component, whichever separator was used.
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _strip_unsafe_characters(name)
    name = " ".join(name.split())  # collapse runs of spaces
    name = name.strip(" .")
    stem, ext = split_extension(name)
    if (
        sniffed is not None
        and sniffed.ext not in _KEEP_GIVEN
        and not extension_matches(ext, sniffed)
    ):
        # The extension lies about (or is missing for) the real content.
        ext = sniffed.ext
    stem = stem.strip(" .")
    if not stem:
        stem = "file"
    if stem.lower() in _WINDOWS_RESERVED:
        stem = "_" + stem
    ext = ext.lower() if ext else ""
    suffix = f".{ext}" if ext else ""
    stem = _truncate_utf8(stem, MAX_NAME_BYTES - len(suffix.encode("utf-8"))).rstrip(" .")
    return (stem or "file") + suffix
