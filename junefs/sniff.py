"""Detect a file's type from its first bytes, never from its name.

Returns a :class:`Sniffed` with the MIME type, the kind (image, video, audio,
other), the usual extension, and whether the type is *active* content (HTML,
SVG, XML: things a browser may run script in) that must never be served
inline from our origin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: How many leading bytes sniffing needs.
SNIFF_BYTES = 4096


@dataclass(frozen=True)
class Sniffed:
    mime: str
    kind: str
    ext: str
    active: bool = False


OCTET_STREAM = Sniffed("application/octet-stream", "other", "bin")

# (offset, magic bytes, result), checked in order.
_MAGIC: tuple[tuple[int, bytes, Sniffed], ...] = (
    (0, b"\xff\xd8\xff", Sniffed("image/jpeg", "image", "jpg")),
    (0, b"\x89PNG\r\n\x1a\n", Sniffed("image/png", "image", "png")),
    (0, b"GIF87a", Sniffed("image/gif", "image", "gif")),
    (0, b"GIF89a", Sniffed("image/gif", "image", "gif")),
    (0, b"BM", Sniffed("image/bmp", "image", "bmp")),
    (0, b"II*\x00", Sniffed("image/tiff", "image", "tif")),
    (0, b"MM\x00*", Sniffed("image/tiff", "image", "tif")),
    (0, b"\x00\x00\x01\x00", Sniffed("image/x-icon", "image", "ico")),
    (0, b"%PDF-", Sniffed("application/pdf", "other", "pdf")),
    (0, b"PK\x03\x04", Sniffed("application/zip", "other", "zip")),
    (0, b"7z\xbc\xaf\x27\x1c", Sniffed("application/x-7z-compressed", "other", "7z")),
    (0, b"Rar!\x1a\x07", Sniffed("application/vnd.rar", "other", "rar")),
    (0, b"\x1f\x8b", Sniffed("application/gzip", "other", "gz")),
    (0, b"\x1a\x45\xdf\xa3", Sniffed("video/x-matroska", "video", "mkv")),
    (0, b"OggS", Sniffed("audio/ogg", "audio", "ogg")),
    (0, b"fLaC", Sniffed("audio/flac", "audio", "flac")),
    (0, b"ID3", Sniffed("audio/mpeg", "audio", "mp3")),
    (0, b"FLV\x01", Sniffed("video/x-flv", "video", "flv")),
)

_FTYP_BRANDS: dict[bytes, Sniffed] = {
    b"avif": Sniffed("image/avif", "image", "avif"),
    b"avis": Sniffed("image/avif", "image", "avif"),
    b"heic": Sniffed("image/heic", "image", "heic"),
    b"heix": Sniffed("image/heic", "image", "heic"),
    b"mif1": Sniffed("image/heif", "image", "heif"),
    b"qt  ": Sniffed("video/quicktime", "video", "mov"),
    b"M4A ": Sniffed("audio/mp4", "audio", "m4a"),
    b"3gp4": Sniffed("video/3gpp", "video", "3gp"),
    b"3gp5": Sniffed("video/3gpp", "video", "3gp"),
}
_MP4 = Sniffed("video/mp4", "video", "mp4")

_TEXT_ACTIVE = (
    (
        re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<svg[\s>]", re.I | re.S),
        Sniffed("image/svg+xml", "image", "svg", active=True),
    ),
    (
        re.compile(
            rb"^\s*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<script[\s>]|<iframe[\s>])",
            re.I,
        ),
        Sniffed("text/html", "other", "html", active=True),
    ),
    (re.compile(rb"^\s*<\?xml", re.I), Sniffed("application/xml", "other", "xml", active=True)),
)


def sniff(head: bytes) -> Sniffed:
    """The type of content starting with ``head`` (pass at least SNIFF_BYTES)."""
    if head[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in head[:64]:
        return Sniffed("video/webm", "video", "webm")
    for offset, magic, result in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return result
    if head[:4] == b"RIFF" and len(head) >= 12:
        form = head[8:12]
        if form == b"WEBP":
            return Sniffed("image/webp", "image", "webp")
        if form == b"AVI ":
            return Sniffed("video/x-msvideo", "video", "avi")
        if form == b"WAVE":
            return Sniffed("audio/wav", "audio", "wav")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_BRANDS:
            return _FTYP_BRANDS[brand]
        return _MP4
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return Sniffed("audio/mpeg", "audio", "mp3")
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or _looks_textual(head):
        body = head.removeprefix(b"\xef\xbb\xbf")
        for pattern, result in _TEXT_ACTIVE:
            if pattern.search(body):
                return result
        return Sniffed("text/plain", "other", "txt")
    return OCTET_STREAM


def _looks_textual(head: bytes) -> bool:
    if not head:
        return False
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sniffed window is fine.
        if exc.start < len(head) - 4:
            return False
    return True


#: Extensions that name the same type (so "photo.jpeg" is not "lying").
EQUIVALENT_EXTENSIONS: dict[str, set[str]] = {
    "jpg": {"jpg", "jpeg", "jpe", "jfif"},
    "tif": {"tif", "tiff"},
    "mp4": {"mp4", "m4v"},
    "html": {"html", "htm"},
    "txt": {"txt", "text", "log", "md", "csv", "json", "yaml", "yml", "ini", "cfg"},
    "mov": {"mov", "qt"},
    "heif": {"heif", "heic"},
    "heic": {"heic", "heif"},
    "mkv": {"mkv", "mka"},
    "ogg": {"ogg", "oga", "ogv", "opus"},
    "zip": {"zip", "cbz", "docx", "xlsx", "pptx", "odt", "ods", "epub", "jar", "apk"},
    "gz": {"gz", "tgz"},
    "bin": set(),
}


def extension_matches(ext: str, sniffed: Sniffed) -> bool:
    """True when ``ext`` is an acceptable extension for the sniffed type."""
    ext = ext.lower()
    return ext == sniffed.ext or ext in EQUIVALENT_EXTENSIONS.get(sniffed.ext, set())


def kind_of_mime(mime: str) -> str:
    """image, video, audio or other, from a MIME type someone else told us."""
    major = mime.split("/", 1)[0].strip().lower()
    return major if major in ("image", "video", "audio") else "other"
