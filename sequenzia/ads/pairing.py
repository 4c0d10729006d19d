"""Pairing a TV without typing a password on it.

1. The TV asks for a pairing (:func:`start`): it gets a short code to show
   (and a QR code of the approval page) and a long random secret it keeps.
   Only the secret's hash is stored.
2. A signed-in person opens the approval page on their phone, types or scans
   the code, picks a display profile and approves (:func:`approve`): that
   makes the display.
3. The TV, polling with its secret, claims the approved pairing once
   (:func:`claim`): a device token is issued at that moment, read-only and
   limited to the profile's folders, and handed to the TV. No plain token is
   ever stored, and a second claim gets nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from authware.models import Token, User
from authware.tokens import issue_token
from sequenzia.ads.models import Display, DisplayProfile, Pairing
from sequenzia.ads.pool import sync_token_scope

#: No 0/O, 1/I/L, 2/Z, 5/S, 8/B: easy to read off a TV across a room.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6


class PairingError(Exception):
    """A code that is unknown, expired or already used (the message says which)."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_code(text: str) -> str:
    """What people type: any case, with spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def format_code(code: str) -> str:
    return f"{code[:3]}-{code[3:]}"


@dataclass(frozen=True)
class Started:
    pairing: Pairing
    secret: str


def start() -> Started:
    """A new pairing with a code no live pairing uses."""
    now = timezone.now()
    Pairing.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    secret = secrets.token_urlsafe(32)
    for _ in range(20):
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if not Pairing.objects.filter(code=code, expires_at__gt=now).exists():
            break
    else:  # pragma: no cover - 25^6 codes; only a flood could get here
        raise PairingError("too many pairings at once; try again in a minute")
    pairing = Pairing.objects.create(
        code=code,
        secret_hash=_hash(secret),
        expires_at=now + timedelta(seconds=settings.ADS_PAIRING_SECONDS),
    )
    return Started(pairing, secret)


def find_open(code: str) -> Pairing:
    """The live, unapproved pairing with this code; PairingError otherwise."""
    code = normalise_code(code)
    if len(code) != CODE_LENGTH:
        raise PairingError(f"a pairing code has {CODE_LENGTH} letters and digits")
    pairing = Pairing.objects.filter(code=code).order_by("-created_at").first()
    if pairing is None:
        raise PairingError("no TV shows this code; check it, or reload the TV page")
    if pairing.expires_at <= timezone.now():
        raise PairingError("this code has expired; the TV shows a new one")
    if pairing.approved_at is not None:
        raise PairingError("this code was already used")
    return pairing


def approve(code: str, user: User, profile: DisplayProfile, name: str) -> Display:
    """Approve the TV showing ``code``: make its display (the token comes at the claim)."""
    if profile.owner_id != user.pk:
        raise PairingError("that profile is not yours")
    with transaction.atomic():
        pairing = find_open(code)
        display = Display.objects.create(
            owner=user, profile=profile, name=(name.strip() or "TV")[:60]
        )
        changed = Pairing.objects.filter(pk=pairing.pk, approved_at__isnull=True).update(
            approved_by=user,
            approved_at=timezone.now(),
            profile=profile,
            display=display,
            display_name=display.name,
        )
        if changed != 1:
            raise PairingError("this code was already used")
    return display


@dataclass(frozen=True)
class Claim:
    status: str  # "pending", "approved", "expired", "unknown"
    display: Display | None = None
    token: str = ""


def claim(secret: str) -> Claim:
    """The TV polls: pending, or (once) approved with its new device token."""
    if not secret or len(secret) > 100:
        return Claim("unknown")
    pairing = Pairing.objects.filter(secret_hash=_hash(secret)).first()
    if pairing is None:
        return Claim("unknown")
    now = timezone.now()
    if pairing.approved_at is None:
        return Claim("expired" if pairing.expires_at <= now else "pending")
    display_id = pairing.display_id
    if display_id is None:
        return Claim("unknown")  # the display was deleted before the TV came back
    with transaction.atomic():
        # Exactly one claim wins: the conditional update changes one row once.
        if (
            Pairing.objects.filter(pk=pairing.pk, claimed_at__isnull=True).update(claimed_at=now)
            != 1
        ):
            return Claim("unknown")
        display = Display.objects.select_related("profile", "owner").get(pk=display_id)
        token, raw = issue_token(
            display.owner, f"screen: {display.name}"[:100], kind=Token.Kind.DEVICE
        )
        Token.objects.filter(pk=token.pk).update(folders_only=True)
        token.folders_only = True
        display.token = token
        display.save(update_fields=["token"])
        sync_token_scope(display)
    return Claim("approved", display, raw)
