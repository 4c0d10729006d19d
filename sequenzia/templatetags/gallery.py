"""Template helpers for gallery pages: CDS links and small formatting."""

from __future__ import annotations

from django import template

from junefs.models import File
from sequenzia import links

register = template.Library()


@register.filter
def thumb_url(file: File) -> str:
    return links.thumbnail_url(file)


@register.filter
def file_url(file: File) -> str:
    return links.file_url(file)


@register.filter
def has_preview(file: File) -> bool:
    return file.preview == File.Preview.READY


@register.filter
def ratio(file: File) -> str:
    """CSS aspect-ratio for a tile (square when unknown)."""
    if file.width and file.height:
        return f"{file.width} / {file.height}"
    return "1 / 1"


@register.simple_tag(takes_context=True)
def with_param(context: template.Context, **changes: object) -> str:
    """The current query string with some parameters changed (empty value: removed)."""
    request = context["request"]
    params = request.GET.copy()
    params.pop("after", None)
    params.pop("partial", None)
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = str(value)
    return params.urlencode()
