"""Response headers that keep user files from doing harm on our origin.

Every CDS answer carries ``X-Content-Type-Options: nosniff`` and the type
JuneFS detected from the bytes (never one guessed from the name). Active
content (HTML, SVG, XML, script) is always sent as an attachment, with a
sandboxing Content-Security-Policy on top, so a user's file can never run
script as our site. File names go out per RFC 6266 with an ASCII fallback and
the exact name in RFC 5987 ``filename*``.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

#: Types a browser may run script in when shown inline.
ACTIVE_TYPES = {
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "application/xml",
    "text/xml",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
    "text/ecmascript",
    "application/x-shockwave-flash",
    "multipart/x-mixed-replace",
}

#: What nothing we serve needs: no script, no plugins, no framing by others.
SANDBOX_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def is_active(mime: str) -> bool:
    base = mime.split(";", 1)[0].strip().lower()
    return (
        base in ACTIVE_TYPES
        or base.endswith(("+xml", "/xml"))
        or "html" in base
        or "script" in base
    )


def content_type(mime: str) -> str:
    """The Content-Type to send for a detected type (text gets its charset)."""
    mime = (mime or "application/octet-stream").strip()
    if mime.startswith("text/") and "charset" not in mime:
        return f"{mime}; charset=utf-8"
    return mime


def _ascii_fallback(name: str) -> str:
    """The name in printable ASCII (accents dropped), for clients without RFC 5987."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(
        ("_" if c in '"\\%' else c) for c in decomposed if 0x20 <= ord(c) < 0x7F
    ).strip()
    stem, dot, ext = plain.rpartition(".")
    if not plain or (dot and not stem.strip(" ._")):
        return "file" + (f".{ext}" if dot and ext else "")
    return plain


def content_disposition(name: str, *, attachment: bool) -> str:
    """``inline``/``attachment`` with a safe name, exact for any Unicode name."""
    kind = "attachment" if attachment else "inline"
    # Control characters never belong in a header, whatever the name says.
    name = "".join(c for c in name if unicodedata.category(c) != "Cc") or "file"
    fallback = _ascii_fallback(name)
    value = f'{kind}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def safety_headers(mime: str, name: str, *, download: bool = False) -> dict[str, str]:
    """Content-Type, Content-Disposition and the protective headers for one file."""
    active = is_active(mime)
    headers = {
        "Content-Type": content_type(mime),
        "Content-Disposition": content_disposition(name, attachment=download or active),
        "X-Content-Type-Options": "nosniff",
    }
    if active:
        headers["Content-Security-Policy"] = SANDBOX_POLICY
    return headers
