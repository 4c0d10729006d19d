"""CDS URLs. Public URLs name files by id or sha256, never by a path on disk."""

from django.urls import path, register_converter

from cds.views import files, health, renditions, shares


class Sha256Converter:
    regex = "[0-9a-f]{64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class RenditionFormatConverter:
    regex = "webp|jpg"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(Sha256Converter, "sha256")
register_converter(RenditionFormatConverter, "rendition_format")

app_name = "cds"
urlpatterns = [
    path("f/<int:file_id>/", files.serve_file, name="file"),
    path("f/<int:file_id>/<path:filename>", files.serve_file, name="file-named"),
    path("t/<int:file_id>.webp", files.serve_thumbnail, name="thumbnail"),
    path("h/<sha256:sha256>", files.serve_by_hash, name="hash"),
    path(
        "r/<int:file_id>/<int:width>x<int:height>.<rendition_format:fmt>",
        renditions.serve_rendition,
        name="rendition",
    ),
    path("s/<str:token>/<path:filename>", files.serve_share, name="share"),
    path("share/files/<int:file_id>", shares.create_share, name="create-share"),
    path("share/<int:link_id>/revoke", shares.revoke_share, name="revoke-share"),
    path("health", health.health, name="health"),
]
