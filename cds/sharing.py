"""Share links: signed, expiring URLs to one file that work without a login.

A link's token is ``<id>-<expiry>`` signed with the site's secret key (salted
for this one use), so a forged or edited link is refused before the database
is asked. The :class:`~cds.models.ShareLink` row makes it revocable: a link
works only while its row exists, is not revoked, and has the same expiry.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from authware.models import User
from cds.models import ShareLink
from junefs.models import File

_signer = signing.Signer(salt="cds.share-link", sep=".")


class ShareRefused(ValueError):
    """The link cannot be made as asked (lifetime out of bounds...)."""


def token_for(link: ShareLink) -> str:
    return _signer.sign(f"{link.pk}-{int(link.expires_at.timestamp()):x}")


def url_for(link: ShareLink) -> str:
    path = reverse("cds:share", args=[token_for(link), link.file.name])
    return settings.SITE_URL + path


def create_share_link(
    file: File,
    *,
    created_by: User | None = None,
    lifetime: timedelta | None = None,
    note: str = "",
) -> ShareLink:
    lifetime = lifetime or ShareLink.default_lifetime()
    longest = timedelta(days=settings.CDS_SHARE_MAX_DAYS)
    if lifetime <= timedelta(0) or lifetime > longest:
        raise ShareRefused(f"a share link lives between 1 second and {longest.days} days")
    # Whole seconds: the expiry is part of the signed token.
    expires_at = (timezone.now() + lifetime).replace(microsecond=0)
    return ShareLink.objects.create(
        file=file, created_by=created_by, expires_at=expires_at, note=note[:200]
    )


def revoke(link: ShareLink) -> None:
    ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    link.refresh_from_db(fields=["revoked_at"])


def link_for_token(token: str, *, count_use: bool = True) -> ShareLink | None:
    """The live link a token names, or None (bad signature, expired, revoked, gone)."""
    try:
        value = _signer.unsign(token)
        link_id_text, expiry_text = value.split("-", 1)
        link_id, expiry = int(link_id_text), int(expiry_text, 16)
    except (signing.BadSignature, ValueError):
        return None
    if datetime.fromtimestamp(expiry, tz=UTC) <= timezone.now():
        return None
    link = ShareLink.objects.live().select_related("file").filter(pk=link_id).first()
    if link is None or int(link.expires_at.timestamp()) != expiry:
        return None
    if count_use:
        ShareLink.objects.filter(pk=link.pk).update(uses=F("uses") + 1, last_used_at=timezone.now())
    return link
