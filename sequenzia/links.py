"""Links to the content server (CDS), built in one place.

CDS serves a file's bytes at ``/cds/f/<file id>/<filename>`` and its
thumbnail at ``/cds/t/<file id>.webp``; both check :mod:`authware.access`
on every request, so these links are safe to hand out.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.urls import reverse

from junefs.models import File


def file_url(file: File) -> str:
    return f"/cds/f/{file.pk}/{quote(file.name)}"


def download_url(file: File) -> str:
    return f"{file_url(file)}?download=1"


def thumbnail_url(file: File) -> str:
    return f"/cds/t/{file.pk}.webp"


def share_url(file: File) -> str:
    """The file page, absolute (people who can read the folder can open it)."""
    return settings.SITE_URL + reverse("file", args=[file.pk])


def rendition_url(file: File, width: int, height: int, fmt: str = "webp") -> str:
    """A CDS rendition of the image covering ``width`` by ``height`` (bucketed sizes)."""
    bucket = 128
    w = max(16, min(7680, -(-width // bucket) * bucket))
    h = max(16, min(7680, -(-height // bucket) * bucket))
    return f"/cds/r/{file.pk}/{w}x{h}.{fmt}"
