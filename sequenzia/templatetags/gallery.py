"""Template helpers for gallery pages: CDS links and small formatting."""

from __future__ import annotations

from django import template
from django.urls import reverse

from junefs.models import File
from sequenzia import links
from sequenzia.tiles import render_folder_options, render_options, render_sidebar, render_tiles

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


@register.simple_tag
def tiles(files: list[File], query_string: str = "") -> str:
    return render_tiles(files, query_string)


@register.simple_tag(takes_context=True)
def sidebar_folders(context: template.Context, groups: list[object]) -> str:
    query = context.get("query")
    current = query.folders if query is not None else ()
    return render_sidebar(groups, current, reverse("gallery"))


@register.simple_tag
def folder_options(groups: list[object], current: tuple[int, ...] = ()) -> str:
    return render_folder_options(groups, current)


@register.simple_tag
def options(pairs: list[tuple[int, str]]) -> str:
    return render_options(pairs)
