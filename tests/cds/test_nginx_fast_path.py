"""The nginx fast path, with Debian's nginx and the shipped config and snippets.

nginx asks Django once per (credential, URL), then for CDS_NGINX_DECISION_SECONDS
sends cached objects itself and logs each request, which cds.nginxlog reads
into the audit. These tests run it with a 2-second bound.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django.conf import settings as django_settings
from django.test import Client

from authware.models import Grant, User
from cds.models import AccessRecord, BlockedHash
from cds.nginxlog import ingest_nginx_audit_log
from junefs.models import File
from tests.cds.helpers import KiB, stored_file
from tests.cds.servers import cds_server, nginx
from tests.factories import random_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BOUND = 2  # CDS_NGINX_DECISION_SECONDS for these servers
#: The block list's in-process copy is reloaded at least this often when the
#: processes share no cache (cds.blocklist.RELOAD_SECONDS); with Redis, at once.
BLOCKLIST_RELOAD = 10
SAME_HEADERS = (
    "ETag",
    "Last-Modified",
    "Content-Type",
    "Content-Disposition",
    "X-Content-Type-Options",
    "Cache-Control",
)


@dataclass
class Site:
    front: str  # nginx with the fast path
    django: str  # the web process, asked directly (no nginx)
    audit_log: Path


@pytest.fixture
def site(output_dir, tmp_path) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    work = tmp_path / "nginx"
    work.mkdir()
    audit_log = work / "cds-audit.log"
    with (
        cds_server(output_dir / "cds-plain.log") as plain,
        cds_server(
            output_dir / "cds-fast.log",
            CDS_ACCEL_REDIRECT="/_cds_store/",
            CDS_NGINX_DECISION_SECONDS=str(BOUND),
            CDS_NGINX_AUDIT_LOG=str(audit_log),
        ) as fast,
        nginx(
            fast.removeprefix("http://"), django_settings.JUNEFS_STORE_DIR, work, fast_path=True
        ) as front,
    ):
        yield Site(front, plain, audit_log)


def cookies_for(user: User) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


def audit_lines(site: Site) -> int:
    return len(site.audit_log.read_text().splitlines()) if site.audit_log.exists() else 0


def wait_for_lines(site: Site, count: int) -> None:
    """nginx writes the audit log in buffers flushed every second."""
    deadline = time.monotonic() + 10
    while audit_lines(site) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert audit_lines(site) == count


def until(predicate, seconds: float) -> float:  # type: ignore[no-untyped-def]
    """Poll until ``predicate()``; the seconds it took (fails after ``seconds``)."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.fixture
def cached(settings, folder) -> tuple[File, bytes]:  # type: ignore[no-untyped-def]
    data = random_bytes(300 * KiB, seed=41)
    return stored_file(settings, folder, data, part_size=1024 * KiB, cached=True), data


def test_the_same_bytes_and_headers_ranges_and_conditional_requests(
    site: Site, cached, admin_user, settings, folder
):  # type: ignore[no-untyped-def]
    file, data = cached
    page = stored_file(settings, folder, b"<html><script>x()</script>", name="p.html", cached=True)
    get = httpx.Client(cookies=cookies_for(admin_user), timeout=30).get
    url = f"/cds/f/{file.pk}/{file.name}"
    direct = get(site.django + url)
    for _ in range(3):  # the first asks Django, the others reuse its decision
        fast = get(site.front + url)
        assert fast.status_code == 200 and fast.content == data == direct.content
        for name in SAME_HEADERS:
            assert fast.headers[name] == direct.headers[name], name
        assert fast.headers["Content-Length"] == str(len(data))
        assert fast.headers["Accept-Ranges"] == "bytes"
        assert "X-Accel-Redirect" not in fast.headers and "X-CDS-Object" not in fast.headers

    etag, dated = direct.headers["ETag"], direct.headers["Last-Modified"]
    ranged = get(site.front + url, headers={"Range": "bytes=1000-1999"})
    assert ranged.status_code == 206 and ranged.content == data[1000:2000]
    assert ranged.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    tail = get(site.front + url, headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == data[-100:]
    for validator in (etag, dated):
        kept = get(site.front + url, headers={"Range": "bytes=0-9", "If-Range": validator})
        assert kept.status_code == 206 and kept.content == data[:10]
    changed = get(site.front + url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert changed.status_code == 200 and changed.content == data
    several = get(site.front + url, headers={"Range": "bytes=0-9,20-29"})
    assert several.status_code == 200 and several.content == data  # as Django: one range or none
    assert get(site.front + url, headers={"Range": f"bytes={len(data)}-"}).status_code == 416
    head = httpx.head(site.front + url, cookies=cookies_for(admin_user))
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(data))

    # Conditional requests are Django's (the fast path has no sha256 ETag of its own).
    assert get(site.front + url, headers={"If-None-Match": etag}).status_code == 304
    assert get(site.front + url, headers={"If-Modified-Since": dated}).status_code == 304
    assert get(site.front + url, headers={"If-Match": '"other"'}).status_code == 412
    matched = get(site.front + url, headers={"If-Match": etag})
    assert matched.status_code == 200 and matched.content == data

    # Active content keeps its protections.
    html = get(site.front + f"/cds/f/{page.pk}/p.html")
    html = get(site.front + f"/cds/f/{page.pk}/p.html")
    assert html.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert html.headers["X-Content-Type-Options"] == "nosniff"

    # A spanned file not unpacked is streamed by Django through nginx.
    spanned_data = random_bytes(200 * KiB, seed=42)
    spanned = stored_file(settings, folder, spanned_data, part_size=64 * KiB)
    streamed = get(site.front + f"/cds/f/{spanned.pk}/x", headers={"Range": "bytes=60000-70000"})
    assert streamed.status_code == 206 and streamed.content == spanned_data[60000:70001]


def test_no_access_is_a_404_and_a_revoked_grant_ends_within_the_bound(
    site: Site, cached, folder, django_user_model
):  # type: ignore[no-untyped-def]
    file, data = cached
    bob = django_user_model.objects.create_user("bob", password="pw-bob-123456")
    carol = django_user_model.objects.create_user("carol", password="pw-carol-123456")
    grant = Grant.objects.create(channel=folder, user=bob, perm="read")
    url = site.front + f"/cds/f/{file.pk}/{file.name}"
    as_bob = httpx.Client(cookies=cookies_for(bob), timeout=30)
    as_carol = httpx.Client(cookies=cookies_for(carol), timeout=30)
    for _ in range(3):
        assert as_bob.get(url).content == data
        assert as_carol.get(url).status_code == 404
        assert httpx.get(url).status_code == 404  # anonymous
    # Another user's session cannot reuse bob's decision, nor can a forged cookie pair.
    forged = {"Cookie": f"sessionid={as_carol.cookies['sessionid']}; sessionid=x"}
    assert httpx.get(url, headers=forged).status_code == 404

    grant.delete()
    took = until(lambda: as_bob.get(url).status_code == 404, BOUND + 2)
    assert took <= BOUND + 1
    for _ in range(3):
        assert as_bob.get(url).status_code == 404


def test_a_blocked_hash_is_refused_within_the_bound(site: Site, cached, admin_user):  # type: ignore[no-untyped-def]
    file, data = cached
    url = site.front + f"/cds/f/{file.pk}/{file.name}"
    session = httpx.Client(cookies=cookies_for(admin_user), timeout=30)
    assert session.get(url).content == data
    assert session.get(url).content == data
    BlockedHash.objects.create(sha256=file.sha256, status=451, reason="court order 7")
    bound = BOUND + (0 if django_settings.REDIS_URL else BLOCKLIST_RELOAD) + 1
    until(lambda: session.get(url).status_code == 451, bound)
    refused = session.get(url)
    assert refused.status_code == 451 and "court order 7" in refused.text


def test_every_request_is_in_the_audit_once(site: Site, cached, folder, admin_user, settings):  # type: ignore[no-untyped-def]
    file, data = cached
    big = stored_file(settings, folder, random_bytes(32 * 1024 * KiB, seed=43), cached=True)
    url = site.front + f"/cds/f/{file.pk}/{file.name}"
    session = httpx.Client(cookies=cookies_for(admin_user), timeout=30)
    etag = f'"{file.sha256}"'
    assert session.get(url).status_code == 200  # fast path (Django decided)
    assert session.get(url).status_code == 200  # fast path (nginx reused the decision)
    assert session.get(url, headers={"Range": "bytes=10-19"}).status_code == 206
    assert session.head(url).status_code == 200
    assert session.get(url, headers={"If-None-Match": etag}).status_code == 304  # Django
    assert httpx.get(url).status_code == 404  # anonymous: Django
    big_url = site.front + f"/cds/f/{big.pk}/{big.name}"
    with httpx.stream("GET", big_url, cookies=session.cookies) as leaving:  # goes away early
        next(leaving.iter_bytes(1024))
    wait_for_lines(site, 5)

    report = ingest_nginx_audit_log(str(site.audit_log))
    assert (report.lines, report.records, report.skipped) == (5, 5, 0)
    from_nginx = AccessRecord.objects.filter(via="nginx-log").order_by("at", "id")
    assert [(r.status, r.range_start, r.range_end) for r in from_nginx] == [
        (200, None, None),
        (200, None, None),
        (206, 10, 19),
        (200, None, None),
        (200, None, None),
    ]
    assert [r.bytes_sent for r in from_nginx][:4] == [len(data), len(data), 10, 0]
    assert from_nginx[4].bytes_sent < big.size and from_nginx[4].error == "the client went away"
    assert [r.file_id for r in from_nginx] == [file.pk] * 4 + [big.pk]
    for record in from_nginx:
        assert record.user_id == admin_user.pk and record.credential == f"user:{admin_user}"
        assert record.kind == "file"
        assert record.sha256 == (file.sha256 if record.file_id == file.pk else big.sha256)
        assert record.client_ip == "127.0.0.1" and record.user_agent.startswith("python-httpx")
    until(lambda: AccessRecord.objects.exclude(via="nginx-log").count() >= 2, 10)
    time.sleep(0.5)  # anything more would be a double record
    by_django = AccessRecord.objects.exclude(via="nginx-log")
    assert sorted(by_django.values_list("status", flat=True)) == [304, 404]

    # Read again: nothing new. Rotated (renamed, nginx told to reopen) mid-way: each once.
    assert ingest_nginx_audit_log(str(site.audit_log)).records == 0
    assert session.get(url).status_code == 200
    wait_for_lines(site, 6)
    site.audit_log.rename(site.audit_log.with_name("cds-audit.log.1"))
    pid = int((site.audit_log.parent / "nginx.pid").read_text())
    import os
    import signal

    os.kill(pid, signal.SIGUSR1)
    until(lambda: site.audit_log.exists(), 5)
    assert session.get(url).status_code == 200
    assert session.get(url).status_code == 200
    wait_for_lines(site, 2)
    report = ingest_nginx_audit_log(str(site.audit_log))
    assert report.records == 3
    assert AccessRecord.objects.filter(via="nginx-log").count() == 8
    assert AccessRecord.objects.filter(via="nginx-log").values("request_id").distinct().count() == 8
