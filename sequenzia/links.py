"""Links to the content server (CDS), built in one place.

CDS serves a file's bytes at ``/cds/f/<file id>/<filename>``, its
thumbnail at ``/cds/t/<file id>.webp`` and resized renditions of images at
``/cds/r/<file id>/<w>x<h>.<webp|jpg>``; all check :mod:`authware.access`
on every request, so these links are safe to hand out.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.urls import reverse

from cds.imaging import bucket_box, check_format
from junefs.models import File


def file_url(file: File) -> str:
    return f"/cds/f/{file.pk}/{quote(file.name)}"


def download_url(file: File) -> str:
    return f"{file_url(file)}?download=1"


def thumbnail_url(file: File) -> str:
    return f"/cds/t/{file.pk}.webp"


def rendition_url(file: File, width: int, height: int, fmt: str = "webp") -> str:
    """The image scaled down to cover a ``width`` x ``height`` screen, as ``fmt`` (webp or jpg).

    The box is bucketed here (each side rounded up to a multiple of 128, see
    :mod:`cds.imaging`), so every client asks for the one canonical URL of a
    rendition. ValueError for a side outside 16..7680 or another format.
    Only image files have renditions (others answer 404). A rotated file's
    URL says its rotation (``?r=90``, which CDS ignores), so a browser that
    cached the unrotated picture asks again.
    """
    box_width, box_height = bucket_box(width, height)
    url = f"/cds/r/{file.pk}/{box_width}x{box_height}.{check_format(fmt).ext}"
    return f"{url}?r={file.rotation}" if file.rotation else url


def share_url(file: File) -> str:
    """The file page, absolute (people who can read the folder can open it)."""
    return settings.SITE_URL + reverse("file", args=[file.pk])
