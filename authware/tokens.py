"""Issue and check API and device tokens.

A token is ``sqa_…`` (API) or ``sqd_…`` (device) followed by 43 URL-safe
characters (256 random bits). It is shown once; only its SHA-256 is stored.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from authware.models import Token, User, hash_token

PREFIXES = {Token.Kind.API: "sqa_", Token.Kind.DEVICE: "sqd_"}
#: last_used_at is written at most this often per token (saves a write per request).
TOUCH_EVERY = timedelta(minutes=5)


def issue_token(
    user: User,
    name: str,
    *,
    kind: str = Token.Kind.API,
    can_write: bool = False,
    expires_at: datetime | None = None,
    channel_ids: Iterable[int] = (),
) -> tuple[Token, str]:
    """Create a token; returns it and the plain text, which is never stored."""
    raw = PREFIXES[Token.Kind(kind)] + secrets.token_urlsafe(32)
    token = Token.objects.create(
        user=user,
        kind=kind,
        name=name[:100],
        prefix=raw[:12],
        token_hash=hash_token(raw),
        can_write=can_write and kind == Token.Kind.API,
        expires_at=expires_at,
    )
    ids = list(channel_ids)
    if ids:
        token.channels.set(ids)
    return token, raw


def authenticate_token(raw: str) -> Token | None:
    """The active token for ``raw`` with an active user, or None."""
    if not raw.startswith(tuple(PREFIXES.values())) or len(raw) > 100:
        return None
    token = Token.objects.select_related("user").filter(token_hash=hash_token(raw)).first()
    now = timezone.now()
    if token is None or not token.is_active(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        Token.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_by_id(token_id: int) -> Token | None:
    """The active token with this id and an active user, or None (for signed URLs)."""
    token = Token.objects.select_related("user").filter(pk=token_id).first()
    if token is None or not token.is_active() or not token.user.is_active:
        return None
    return token


def revoke_token(token: Token) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
