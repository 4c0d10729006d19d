"""nginx offload with the shipped config: the same bytes and headers as Django sends."""

from __future__ import annotations

import time

import httpx
import pytest
from django.conf import settings as django_settings

from cds.models import AccessRecord
from tests.cds.helpers import KiB, stored_file
from tests.cds.servers import cds_server, nginx
from tests.factories import random_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SAME_HEADERS = (
    "ETag",
    "Last-Modified",
    "Content-Type",
    "Content-Disposition",
    "X-Content-Type-Options",
    "Cache-Control",
)


@pytest.fixture
def cookies(client, admin_user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    return {"sessionid": client.cookies["sessionid"].value}


def test_nginx_offload_serves_the_same_bytes(settings, folder, cookies, output_dir, tmp_path):
    data = random_bytes(300 * KiB, seed=5)
    whole = stored_file(settings, folder, data, part_size=1024 * KiB, cached=True)
    spanned_data = random_bytes(200 * KiB, seed=6)
    spanned = stored_file(settings, folder, spanned_data, part_size=64 * KiB)  # not unpacked
    page = stored_file(settings, folder, b"<html><script>x()</script>", name="p.html", cached=True)
    store_dir = django_settings.JUNEFS_STORE_DIR

    with (
        cds_server(output_dir / "cds.log") as plain,
        cds_server(output_dir / "cds-accel.log", CDS_ACCEL_REDIRECT="/_cds_store/") as accel,
        nginx(accel.removeprefix("http://"), store_dir, tmp_path / "nginx") as front,
    ):
        get = httpx.Client(cookies=cookies, timeout=30).get
        url = f"/cds/f/{whole.pk}/{whole.name}"
        django = get(plain + url)
        offloaded = get(front + url)
        assert django.status_code == offloaded.status_code == 200
        assert offloaded.content == django.content == data
        for name in SAME_HEADERS:
            assert offloaded.headers[name] == django.headers[name], name
        assert offloaded.headers["Content-Length"] == str(len(data))
        assert offloaded.headers["Accept-Ranges"] == "bytes"
        # Straight to Django, the answer is the hand-off, not the bytes.
        handoff = get(accel + url)
        assert handoff.headers["X-Accel-Redirect"].startswith("/_cds_store/")
        assert handoff.content == b""
        # The store is not reachable from outside.
        assert get(front + handoff.headers["X-Accel-Redirect"]).status_code == 404

        etag = django.headers["ETag"]
        ranged = get(front + url, headers={"Range": "bytes=1000-1999"})
        assert ranged.status_code == 206 and ranged.content == data[1000:2000]
        assert ranged.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
        still = get(front + url, headers={"Range": "bytes=0-9", "If-Range": etag})
        assert still.status_code == 206 and still.content == data[:10]
        dated = django.headers["Last-Modified"]
        assert (
            get(front + url, headers={"Range": "bytes=0-9", "If-Range": dated}).status_code == 206
        )
        changed = get(front + url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
        assert changed.status_code == 200 and changed.content == data
        assert get(front + url, headers={"If-None-Match": etag}).status_code == 304
        # Django judges If-Match / If-Unmodified-Since; nginx must not judge them again.
        matched = get(front + url, headers={"If-Match": etag})
        assert matched.status_code == 200 and matched.content == data
        unmodified = get(front + url, headers={"If-Unmodified-Since": dated})
        assert unmodified.status_code == 200 and unmodified.content == data
        assert get(front + url, headers={"If-Match": '"other"'}).status_code == 412
        assert get(front + url, headers={"Range": f"bytes={len(data)}-"}).status_code == 416
        head = httpx.head(front + url, cookies=cookies)
        assert head.status_code == 200 and head.headers["Content-Length"] == str(len(data))

        # Active content keeps its protections through nginx.
        html = get(front + f"/cds/f/{page.pk}/p.html")
        assert html.headers["Content-Disposition"].startswith("attachment")
        assert "sandbox" in html.headers["Content-Security-Policy"]
        assert html.headers["X-Content-Type-Options"] == "nosniff"

        # A spanned file that is not unpacked is streamed by Django through nginx.
        streamed = get(front + f"/cds/f/{spanned.pk}/x", headers={"Range": "bytes=60000-70000"})
        assert streamed.status_code == 206 and streamed.content == spanned_data[60000:70001]
        assert "X-Accel-Redirect" not in streamed.headers

    deadline = time.monotonic() + 15
    while AccessRecord.objects.filter(via="nginx").count() < 6 and time.monotonic() < deadline:
        time.sleep(0.1)
    offloads = AccessRecord.objects.filter(via="nginx", file_id=whole.pk)
    assert {(r.status, r.bytes_sent) for r in offloads} >= {(200, len(data)), (206, 1000)}
