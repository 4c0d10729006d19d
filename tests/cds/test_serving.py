"""Serving files, thumbnails and hashes: headers, conditional requests, ranges, access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils.http import http_date

from authware.models import User
from cds.audit import audit_log
from cds.models import AccessRecord
from junefs.store import get_store
from tests.cds.helpers import KiB, body, file_url, stored_file
from tests.factories import ingest_bytes, jpeg_bytes, random_bytes


@pytest.fixture
def spanned(settings, folder):  # type: ignore[no-untyped-def]
    data = random_bytes(300 * KiB, seed=1)
    return stored_file(settings, folder, data, part_size=64 * KiB), data


def test_whole_file_from_the_backend_with_its_headers(any_backend, spanned, admin_client):
    file, data = spanned
    response = admin_client.get(file_url(file))
    assert response.status_code == 200
    assert body(response) == data
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Length"] == str(len(data))
    assert response["ETag"] == f'"{file.sha256}"'
    assert response["Last-Modified"] == http_date(file.uploaded_at.timestamp())
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="file.bin"'
    # Each part is now kept in the store: the second read needs no backend.
    store = get_store()
    assert all(store.exists(p.sha256) for p in file.parts.all())


def test_head_sends_headers_only(spanned, admin_client):
    file, data = spanned
    response = admin_client.head(file_url(file), HTTP_RANGE="bytes=10-19")
    assert response.status_code == 206
    assert response["Content-Length"] == "10"
    assert response["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert response.content == b""
    assert not get_store().exists(file.parts.first().sha256)  # nothing was fetched


def test_conditional_requests(spanned, admin_client):
    file, _ = spanned
    url = file_url(file)
    etag = f'"{file.sha256}"'
    assert admin_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert admin_client.get(url, HTTP_IF_NONE_MATCH=f'"x", W/{etag}').status_code == 304
    assert admin_client.get(url, HTTP_IF_NONE_MATCH="*").status_code == 304
    later = http_date((file.uploaded_at + timedelta(seconds=5)).timestamp())
    earlier = http_date((file.uploaded_at - timedelta(days=1)).timestamp())
    not_modified = admin_client.get(url, HTTP_IF_MODIFIED_SINCE=later)
    assert not_modified.status_code == 304
    assert not_modified["ETag"] == etag and not_modified.content == b""
    assert admin_client.get(url, HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200
    # If-None-Match wins over If-Modified-Since when both are present.
    both = admin_client.get(url, HTTP_IF_NONE_MATCH='"other"', HTTP_IF_MODIFIED_SINCE=later)
    assert both.status_code == 200
    assert admin_client.get(url, HTTP_IF_MATCH='"other"').status_code == 412
    assert admin_client.get(url, HTTP_IF_UNMODIFIED_SINCE=earlier).status_code == 412


def test_ranges_if_range_and_416(spanned, admin_client):
    file, data = spanned
    url = file_url(file)
    partial = admin_client.get(url, HTTP_RANGE="bytes=65530-65545")
    assert partial.status_code == 206
    assert body(partial) == data[65530:65546]  # across a part boundary
    assert partial["Content-Range"] == f"bytes 65530-65545/{len(data)}"
    assert body(admin_client.get(url, HTTP_RANGE="bytes=-5")) == data[-5:]
    assert body(admin_client.get(url, HTTP_RANGE=f"bytes={len(data) - 3}-")) == data[-3:]
    unsatisfiable = admin_client.get(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert unsatisfiable.status_code == 416
    assert unsatisfiable["Content-Range"] == f"bytes */{len(data)}"
    # Several ranges or nonsense: the whole file (a server may always do that).
    assert admin_client.get(url, HTTP_RANGE="bytes=0-1,5-6").status_code == 200
    assert admin_client.get(url, HTTP_RANGE="lines=1-2").status_code == 200
    # If-Range: the range applies only while the representation is unchanged.
    same = admin_client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=f'"{file.sha256}"')
    assert same.status_code == 206 and body(same) == data[:10]
    changed = admin_client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"not-it"')
    assert changed.status_code == 200 and body(changed) == data
    weak = admin_client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=f'W/"{file.sha256}"')
    assert weak.status_code == 200
    dated = http_date(file.uploaded_at.timestamp())
    assert admin_client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=dated).status_code == 206


def test_no_access_is_404_and_audited(spanned, client, db):
    file, _ = spanned
    assert client.get(file_url(file)).status_code == 404
    viewer = User.objects.create_user("viewer", password="x")  # not staff: no grants yet
    client.force_login(viewer)
    assert client.get(file_url(file)).status_code == 404
    assert client.get(f"/cds/h/{file.sha256}").status_code == 404
    assert client.get(f"/cds/t/{file.pk}.webp").status_code == 404
    audit_log.flush()
    statuses = list(AccessRecord.objects.values_list("status", "credential"))
    assert (404, "user:viewer") in statuses and (404, "anonymous") in statuses


def test_active_content_is_an_attachment(settings, folder, admin_client):
    page = b"<!doctype html><script>alert(document.cookie)</script>"
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'
    for data, name, mime in ((page, "page.html", "text/html"), (svg, "x.svg", "image/svg+xml")):
        file = stored_file(settings, folder, data, name=name)
        response = admin_client.get(file_url(file))
        assert response["Content-Type"].startswith(mime)
        assert response["Content-Disposition"].startswith("attachment;")
        assert "sandbox" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert body(response) == data


def test_non_ascii_names_and_download(settings, folder, admin_client):
    data = jpeg_bytes(32, 24)
    file = ingest_bytes(data, folder, "Crème brûlée 写真.jpg").file
    response = admin_client.get(f"/cds/f/{file.pk}/anything?download=1")
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == (
        'attachment; filename="Creme brulee .jpg"; '
        "filename*=UTF-8''Cr%C3%A8me%20br%C3%BBl%C3%A9e%20%E5%86%99%E7%9C%9F.jpg"
    )
    assert body(response) == data


def test_thumbnail_and_by_hash(any_backend, settings, folder, admin_client):
    data = jpeg_bytes(640, 480, seed=3)
    file = stored_file(settings, folder, data, name="photo.jpg", part_size=16 * KiB)
    thumb = file.thumbnail
    response = admin_client.get(f"/cds/t/{file.pk}.webp")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["ETag"] == f'"{thumb.sha256}"'
    assert body(response)[:4] == b"RIFF"
    by_hash = admin_client.get(f"/cds/h/{file.sha256}")
    assert by_hash.status_code == 200 and body(by_hash) == data
    assert by_hash["Content-Disposition"] == 'inline; filename="photo.jpg"'
    assert admin_client.get(f"/cds/h/{'0' * 64}").status_code == 404
    assert admin_client.get(f"/cds/t/{file.pk + 999}.webp").status_code == 404


def test_a_file_without_a_thumbnail_has_none(spanned, admin_client):
    file, _ = spanned
    assert admin_client.get(f"/cds/t/{file.pk}.webp").status_code == 404


def test_only_get_and_head(spanned, admin_client):
    file, _ = spanned
    assert admin_client.post(file_url(file)).status_code == 405
