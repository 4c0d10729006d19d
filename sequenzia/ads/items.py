"""What a screen is told about an image: one small JSON object per picture.

The image URL is a CDS rendition sized for the screen (never the original).
A paired screen has no session, and an ``<img>`` sends no ``Authorization``
header, so for a token the URL is signed for that token (it opens that one
rendition, read-only, until it expires or the token is revoked).
"""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from authware import access
from authware.signed import sign_path
from junefs.models import File
from sequenzia import links
from sequenzia.ads.fit import choose_fit, rendition_box
from sequenzia.query import folders_of


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as an SVG data URI (drawn dark on a transparent ground)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg: bytes = image.to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def displayed_size(file: File) -> tuple[int, int]:
    """Width and height as shown: the file's extra rotation turns them."""
    width, height = file.width or 1, file.height or 1
    if file.rotation in (90, 270):
        return height, width
    return width, height


def image_url(request: HttpRequest, file: File, box: tuple[int, int], fmt: str = "webp") -> str:
    path = links.rendition_url(file, box[0], box[1], fmt)
    token = access.token_of(request)
    return sign_path(path, token) if token is not None else path


def folder_name(request: HttpRequest, channel_id: int) -> str:
    for folder in folders_of(request):
        if folder.id == channel_id:
            return folder.name
    return ""


def describe(
    request: HttpRequest,
    file: File,
    *,
    fit_preference: str,
    screen: tuple[int, int],
    qr: bool = False,
    fmt: str = "webp",
) -> dict[str, Any]:
    size = displayed_size(file)
    fit = choose_fit(fit_preference, size, screen)
    page = settings.SITE_URL + reverse("file", args=[file.pk])
    return {
        "id": file.pk,
        "name": file.name,
        "folder": folder_name(request, file.channel_id),
        "width": size[0],
        "height": size[1],
        "color": file.color_hex,
        "dark": bool(file.is_dark),
        "created": file.created_at.date().isoformat(),
        "fit": fit,
        "image": image_url(request, file, rendition_box(fit, size, screen), fmt),
        "page": page,
        "qr": qr_data_uri(page) if qr else "",
    }
