"""A stand-in for the content server's URLs, for the browser test only.

CDS (another app) serves ``/cds/t/<id>.webp`` and ``/cds/f/<id>/<name>`` with
its own checks; this branch's browser test wants pictures on screen, so it
serves the staged objects from the local store, through the same access call.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.urls import include, path

from authware import access
from junefs.models import Thumbnail
from junefs.store import get_store


def thumbnail(request: HttpRequest, file_id: int) -> FileResponse:
    file = access.get_file_for(request, file_id)
    thumb = Thumbnail.objects.filter(file=file).first()
    if thumb is None or not get_store().exists(thumb.sha256):
        raise Http404("No thumbnail")
    return FileResponse(get_store().open(thumb.sha256), content_type="image/webp")


def content(request: HttpRequest, file_id: int, name: str) -> FileResponse:
    file = access.get_file_for(request, file_id)
    if not get_store().exists(file.sha256):
        raise Http404("Not staged")
    return FileResponse(get_store().open(file.sha256), content_type=file.mime)


urlpatterns = [
    path("cds/t/<int:file_id>.webp", thumbnail),
    path("cds/f/<int:file_id>/<path:name>", content),
    path("", include("sequenzia.urls")),
]
