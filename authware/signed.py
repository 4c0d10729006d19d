"""Signed URLs: one path, opened for a while as one token.

A screen's ``<img>`` cannot send an ``Authorization`` header, and a wallpaper
app may only take a URL. So the server hands out URLs that carry their own
credential: ``/cds/r/42/1920x1088.webp?as=<token id>&exp=<unix>&sig=<hmac>``.
The signature covers the path, the rest of the query, the token and the
expiry, so it opens exactly that URL (any other path, or an added, dropped or
changed parameter, fails), only until it expires, and only while the token
is active: revoking the token closes every URL signed for it.
:class:`authware.middleware.TokenMiddleware` checks it and sets
``request.auth_token``, so views see the token as if it had come in a
header, and :mod:`authware.access` applies its limits unchanged.

Expiry times are rounded up to a window, so the URL of one image stays the
same for a while and browsers can cache it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from urllib.parse import parse_qsl, unquote, urlencode

from django.conf import settings
from django.http import HttpRequest

from authware.models import Token

PARAMS = ("as", "exp", "sig")
#: Expiries are rounded up to a multiple of this (seconds), so URLs repeat.
WINDOW = 600
#: Only these methods may use a signed URL: reading, never changing.
SAFE_METHODS = ("GET", "HEAD")


def _signature(path: str, others: list[tuple[str, str]], token_id: int, expires: int) -> str:
    key = hashlib.sha256(b"authware.signed:" + settings.SECRET_KEY.encode()).digest()
    rest = urlencode(sorted(others))
    message = f"{path}\n{rest}\n{token_id}\n{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def sign_path(path: str, token: Token, *, seconds: int | None = None) -> str:
    """``path`` (and its query) with what opens it as ``token`` for at least ``seconds``.

    The signature covers the path and every other parameter of the query, so
    none can be added, dropped or changed.
    """
    path, _, query = path.partition("?")
    others = parse_qsl(query, keep_blank_values=True)
    if any(name in PARAMS for name, _ in others):
        raise ValueError(f"a URL to sign cannot carry {', '.join(PARAMS)} already")
    seconds = settings.AUTHWARE_SIGNED_URL_SECONDS if seconds is None else seconds
    expires = math.ceil((time.time() + seconds) / WINDOW) * WINDOW
    if token.expires_at is not None:
        expires = min(expires, int(token.expires_at.timestamp()))
    # Requests are checked against their decoded path, so sign that.
    signature = _signature(unquote(path), others, token.pk, expires)
    signed = urlencode([*others, ("as", token.pk), ("exp", expires), ("sig", signature)])
    return f"{path}?{signed}"


def signed_token_id(request: HttpRequest) -> int | None:
    """The token id a request's signed URL names, if its signature and expiry hold.

    None when the request carries no signature. Raises ``ValueError`` when it
    carries one that is wrong, expired, or used with a method that changes
    things (the middleware answers those with 401).
    """
    params = request.GET
    if "sig" not in params:
        return None
    if request.method not in SAFE_METHODS:
        raise ValueError("signed URLs only read")
    try:
        token_id = int(params.get("as", ""))
        expires = int(params.get("exp", ""))
    except ValueError:
        raise ValueError("malformed signed URL") from None
    if expires < time.time():
        raise ValueError("this link has expired")
    others = [(name, v) for name, values in params.lists() for v in values if name not in PARAMS]
    expected = _signature(request.path, others, token_id, expires)
    if not hmac.compare_digest(expected, params.get("sig", "")):
        raise ValueError("bad signature")
    return token_id
