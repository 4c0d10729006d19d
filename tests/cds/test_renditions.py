"""Renditions: images resized to cover a screen, made once, cached, served like any CDS object."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import threading

import pytest
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.test import Client
from django.utils.http import http_date
from PIL import Image

from authware.models import Grant, User
from authware.tokens import issue_token
from cds import stats
from cds.audit import audit_log
from cds.cache import evict_unpacked_cache, protected_hashes
from cds.imaging import bucket_box, rendition_size
from cds.models import AccessRecord, BlockedHash, Rendition
from cds.renditions import ensure_rendition, forget_failure, obtain_rendition, rendition_job
from junefs.models import File
from junefs.store import get_store
from sequenzia.links import rendition_url
from tests.cds.helpers import KiB, body, stored_file
from tests.cds.test_integrity import backend_path, flip_byte
from tests.factories import ingest_bytes, jpeg_bytes, random_bytes

RED, BLUE = (255, 0, 0), (0, 0, 255)


def path_of(file: File, width: int, height: int, fmt: str = "webp") -> str:
    return f"/cds/r/{file.pk}/{width}x{height}.{fmt}"


def picture(response) -> Image.Image:  # type: ignore[no-untyped-def]
    image = Image.open(io.BytesIO(body(response)))
    image.load()
    return image


def renders() -> int:
    return stats.snapshot()["renditions_made"]


def halves_jpeg(width: int, height: int, *, exif_orientation: int | None = None) -> bytes:
    """Stored pixels: the left half red, the right half blue."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width // 2, height))
    exif = Image.Exif()
    if exif_orientation is not None:
        exif[0x0112] = exif_orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def colour_at(image: Image.Image, x: float, y: float) -> str:
    """ "red" or "blue": the stronger channel at a point given in fractions of the size."""
    r, _, b = image.convert("RGB").getpixel((int(image.width * x), int(image.height * y)))  # type: ignore[misc]
    return "red" if r > b else "blue"


@pytest.fixture
def photo(settings, folder) -> File:  # type: ignore[no-untyped-def]
    """A 1600x1200 photo spanned over a few parts, none of them cached."""
    return stored_file(
        settings, folder, jpeg_bytes(1600, 1200, seed=4), name="photo.jpg", part_size=64 * KiB
    )


# --- size ---------------------------------------------------------------------


def test_boxes_are_bucketed_and_bounded():
    assert bucket_box(16, 128) == (128, 128)
    assert bucket_box(129, 1080) == (256, 1152)
    assert bucket_box(1920, 7680) == (1920, 7680)
    for bad in ((15, 100), (100, 7681), (0, 0)):
        with pytest.raises(ValueError, match=r"16\.\.7680"):
            bucket_box(*bad)
    # Covering, never up, and within what the format can encode.
    assert rendition_size((1600, 1200), (384, 256), "webp") == (384, 288)
    assert rendition_size((1600, 1200), (7680, 7680), "webp") == (1600, 1200)
    assert rendition_size((40000, 1000), (7680, 7680), "webp") == (16383, 410)
    assert rendition_size((40000, 1000), (7680, 7680), "jpg") == (40000, 1000)


def test_a_rendition_covers_the_box_and_is_never_upscaled(any_backend, photo, admin_client):
    response = admin_client.get(path_of(photo, 300, 200))  # bucketed to 384x256
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    data = body(response)
    row = Rendition.objects.get()
    assert response["ETag"] == f'"{row.sha256}"' == f'"{hashlib.sha256(data).hexdigest()}"'
    assert response["Content-Length"] == str(len(data)) == str(row.size)
    assert response["Last-Modified"] == http_date(row.created_at.timestamp())
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP" and image.size == (384, 288)  # covers 384x256
    assert (row.box_width, row.box_height, row.width, row.height) == (384, 256, 384, 288)
    assert (row.source_id, row.source_sha256, row.format) == (photo.pk, photo.sha256, "webp")
    assert get_store().find(row.sha256).name == f"{row.sha256}.webp"

    wide = picture(admin_client.get(path_of(photo, 1000, 100)))  # box 1024x128
    assert wide.size == (1024, 768)
    whole = admin_client.get(path_of(photo, 7680, 4000, "jpg"))
    assert whole["Content-Type"] == "image/jpeg"
    image = picture(whole)
    assert image.format == "JPEG" and image.size == (1600, 1200)  # never larger than the source
    assert image.info.get("progressive")


def test_bad_sizes_and_formats(photo, admin_client):
    for path in (path_of(photo, 15, 100), path_of(photo, 100, 7681)):
        response = admin_client.get(path)
        assert response.status_code == 400
        assert "16..7680" in response.content.decode()
    assert admin_client.get(path_of(photo, 100, 100, "png")).status_code == 404
    assert admin_client.post(path_of(photo, 100, 100)).status_code == 405


def test_nearby_sizes_share_one_rendition(photo, admin_client):
    first = admin_client.get(path_of(photo, 1850, 1050))
    second = admin_client.get(path_of(photo, 1920, 1080))
    assert first["ETag"] == second["ETag"]
    assert body(first) == body(second)
    row = Rendition.objects.get()
    assert (row.box_width, row.box_height) == (1920, 1152)
    assert renders() == 1
    # The link everyone builds is the canonical URL of that one rendition.
    assert rendition_url(photo, 1850, 1050) == f"/cds/r/{photo.pk}/1920x1152.webp"
    assert rendition_url(photo, 1920, 1080, "jpg") == f"/cds/r/{photo.pk}/1920x1152.jpg"
    for bad in ((8000, 100, "webp"), (100, 100, "png")):
        with pytest.raises(ValueError):
            rendition_url(photo, *bad)  # type: ignore[arg-type]


# --- orientation ------------------------------------------------------------------


def test_exif_orientation_and_the_files_rotation_are_applied(settings, folder, admin_client):
    # Stored 400x200, left half red; EXIF 6 says "turn a quarter clockwise to view".
    file = ingest_bytes(halves_jpeg(400, 200, exif_orientation=6), folder, "turned.jpg").file
    assert (file.width, file.height) == (200, 400)  # as displayed
    seen = picture(admin_client.get(path_of(file, 64, 64)))  # box 128x128
    assert seen.size == (128, 256)  # scaled down: 200x400 covering 128x128
    assert colour_at(seen, 0.5, 0.2) == "red" and colour_at(seen, 0.5, 0.8) == "blue"

    # A quarter turn more (the gallery's rotate): the red top goes to the right.
    File.objects.filter(pk=file.pk).update(rotation=90, width=400, height=200)
    seen = picture(admin_client.get(path_of(file, 64, 64)))
    assert seen.size == (256, 128)
    assert colour_at(seen, 0.2, 0.5) == "blue" and colour_at(seen, 0.8, 0.5) == "red"
    assert set(Rendition.objects.values_list("rotation", flat=True)) == {0, 90}

    plain = ingest_bytes(halves_jpeg(400, 200), folder, "plain.jpg").file
    File.objects.filter(pk=plain.pk).update(rotation=270, width=200, height=400)
    seen = picture(admin_client.get(path_of(plain, 64, 64, "jpg")))
    assert seen.size == (128, 256)  # a quarter anticlockwise: the red left goes down
    assert colour_at(seen, 0.5, 0.2) == "blue" and colour_at(seen, 0.5, 0.8) == "red"


# --- the cache --------------------------------------------------------------------


def test_the_second_request_is_served_from_the_cache(photo, admin_client):
    first = admin_client.get(path_of(photo, 640, 360))
    data = body(first)
    fetched = stats.snapshot()["backend_fetches"]
    assert renders() == 1 and fetched == photo.part_count
    again = admin_client.get(path_of(photo, 640, 360))
    assert body(again) == data and again["ETag"] == first["ETag"]
    head = admin_client.head(path_of(photo, 640, 360))
    assert head.status_code == 200 and head["Content-Length"] == str(len(data))
    counters = stats.snapshot()
    assert counters["renditions_made"] == 1
    assert counters["backend_fetches"] == fetched  # the source was not read again
    audit_log.flush()
    records = list(AccessRecord.objects.order_by("id"))
    assert [r.kind for r in records] == ["rendition"] * 3
    assert {(r.file_id, r.sha256, r.credential) for r in records} == {
        (photo.pk, Rendition.objects.get().sha256, "user:admin")
    }
    assert [r.bytes_sent for r in records] == [len(data), len(data), 0]


def test_conditional_requests_ranges_and_head(photo, admin_client):
    url = path_of(photo, 512, 512)
    response = admin_client.get(url)
    data, etag = body(response), response["ETag"]
    not_modified = admin_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == etag
    since = admin_client.get(url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
    assert since.status_code == 304
    assert admin_client.get(url, HTTP_IF_MATCH='"other"').status_code == 412
    partial = admin_client.get(url, HTTP_RANGE="bytes=10-99")
    assert partial.status_code == 206 and body(partial) == data[10:100]
    assert partial["Content-Range"] == f"bytes 10-99/{len(data)}"
    assert renders() == 1
    # Even without its object, a 304 needs only the row.
    get_store().delete(Rendition.objects.get().sha256)
    assert admin_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert renders() == 1


@pytest.mark.django_db(transaction=True)
async def test_twenty_concurrent_requests_render_once(settings, folder, admin_user, async_client):
    photo = await sync_to_async(stored_file)(
        settings, folder, jpeg_bytes(1600, 1200, seed=4), name="photo.jpg", part_size=64 * KiB
    )
    await async_client.aforce_login(admin_user)

    async def fetch() -> tuple[int, str, bytes]:
        # A thread of its own for each request's sync code, as under the ASGI server.
        async with ThreadSensitiveContext():
            response = await async_client.get(path_of(photo, 800, 600))
            data = b"".join([chunk async for chunk in response.streaming_content])
        return response.status_code, response["ETag"], data

    results = await asyncio.gather(*(fetch() for _ in range(20)))
    assert {status for status, _, _ in results} == {200}
    assert len({(etag, data) for _, etag, data in results}) == 1
    counters = await sync_to_async(stats.snapshot)()
    assert counters["renditions_made"] == 1
    assert counters["backend_fetches"] == photo.part_count  # the source was read once too
    assert await Rendition.objects.acount() == 1


@pytest.mark.django_db(transaction=True)
def test_separate_processes_render_once_and_agree(settings, folder):
    """Two event loops (as two processes would have) share the store's lock file."""
    photo = stored_file(settings, folder, jpeg_bytes(1200, 900, seed=6), name="p.jpg")
    job = rendition_job(photo, 640, 480)
    rows: list[Rendition] = []
    barrier = threading.Barrier(3)

    def process() -> None:
        barrier.wait()
        row, piece = asyncio.run(obtain_rendition(job))
        piece.close()
        rows.append(row)

    threads = [threading.Thread(target=process) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(rows) == 3 and len({r.sha256 for r in rows}) == 1
    assert renders() == 1
    assert Rendition.objects.count() == 1
    assert list(get_store().root.glob("**/*.webp")) == [get_store().find(rows[0].sha256)]


def test_a_tampered_cached_rendition_is_never_served(photo, admin_client):
    first = admin_client.get(path_of(photo, 640, 480))
    good = body(first)
    row = Rendition.objects.get()
    flip_byte(get_store().find(row.sha256), offset=200)
    again = admin_client.get(path_of(photo, 640, 480))
    assert again.status_code == 200
    assert body(again) == good  # made again, never the flipped copy
    counters = stats.snapshot()
    assert counters["cache_corrupt"] == 1 and counters["renditions_made"] == 2
    assert hashlib.sha256(get_store().find(row.sha256).read_bytes()).hexdigest() == row.sha256


def test_an_evicted_rendition_is_made_again(photo, admin_client):
    data = body(admin_client.get(path_of(photo, 640, 480)))
    row = Rendition.objects.get()
    assert row.sha256 not in protected_hashes([row.sha256])  # regenerable: never kept
    evict_unpacked_cache(max_bytes=0, max_age=0)
    assert not get_store().exists(row.sha256)
    assert Rendition.objects.filter(pk=row.pk).exists()  # the row stays, harmlessly
    again = admin_client.get(path_of(photo, 640, 480))
    assert again.status_code == 200 and body(again) == data
    assert renders() == 2
    assert Rendition.objects.count() == 1 and get_store().exists(row.sha256)


def test_nginx_offload_hands_over_the_rendition_object(settings, photo, admin_client):
    settings.CDS_ACCEL_REDIRECT = "/_cds_store/"
    first = admin_client.get(path_of(photo, 640, 480))  # made, then handed to nginx
    row = Rendition.objects.get()
    key = get_store().relative(get_store().find(row.sha256))
    assert first["X-Accel-Redirect"] == f"/_cds_store/{key}"
    assert first["ETag"] == f'"{row.sha256}"' and first["Content-Type"] == "image/webp"
    assert first.content == b""
    assert (
        admin_client.get(path_of(photo, 640, 480))["X-Accel-Redirect"] == first["X-Accel-Redirect"]
    )
    assert renders() == 1


def test_ensure_rendition_for_workers(photo):
    row = ensure_rendition(photo, 1280, 720, "jpg")
    assert (row.box_width, row.box_height, row.format) == (1280, 768, "jpg")
    assert ensure_rendition(photo, 1200, 700, "jpg") == row
    assert renders() == 1


# --- policy -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 404, 451])
def test_the_block_list_on_the_source_refuses_its_renditions(status, photo, admin_client):
    BlockedHash.objects.create(sha256=photo.sha256, status=status, reason="court order 7")
    for method in (admin_client.get, admin_client.head):
        assert method(path_of(photo, 640, 480)).status_code == status
    assert renders() == 0  # refused before anything was made
    assert stats.snapshot()["blocked"] == 2


def test_blocking_a_rendition_or_its_source_later(photo, admin_client):
    admin_client.get(path_of(photo, 640, 480))
    row = Rendition.objects.get()
    blocked = BlockedHash.objects.create(sha256=row.sha256, status=451, reason="this one")
    response = admin_client.get(path_of(photo, 640, 480))
    assert response.status_code == 451 and "this one" in response.content.decode()
    blocked.delete()
    BlockedHash.objects.create(sha256=photo.sha256, status=403, reason="the original")
    assert admin_client.head(path_of(photo, 640, 480)).status_code == 403
    assert admin_client.get(path_of(photo, 1920, 1080)).status_code == 403


def test_files_the_requester_cannot_read_are_404(photo, client):
    assert client.get(path_of(photo, 640, 480)).status_code == 404  # anonymous
    outsider = User.objects.create_user("outsider", password="x")
    client.force_login(outsider)
    assert client.get(path_of(photo, 640, 480)).status_code == 404
    assert client.get(f"/cds/r/{photo.pk + 999}/640x480.webp").status_code == 404
    assert renders() == 0 and not Rendition.objects.exists()
    audit_log.flush()
    records = set(AccessRecord.objects.values_list("kind", "status", "credential"))
    assert ("rendition", 404, "anonymous") in records
    assert ("rendition", 404, "user:outsider") in records


def test_tokens_work(photo, folder, db):
    reader = User.objects.create_user("tv-owner", password="x")
    Grant.objects.create(channel=folder, user=reader, perm="read")
    for kind in ("api", "device"):
        _, raw = issue_token(reader, f"tv-{kind}", kind=kind)
        response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(path_of(photo, 640, 480))
        assert response.status_code == 200 and picture(response).size == (683, 512)
    wrong = Client(HTTP_AUTHORIZATION="Bearer sqa_wrong").get(path_of(photo, 64, 64))
    assert wrong.status_code == 401
    audit_log.flush()
    assert {"token:tv-api", "token:tv-device"} <= set(
        AccessRecord.objects.values_list("credential", flat=True)
    )


# --- what has no rendition ----------------------------------------------------------


def test_only_images_with_pixels_have_renditions(settings, folder, admin_client):
    other = stored_file(settings, folder, random_bytes(10 * KiB, seed=50))
    video = stored_file(
        settings, folder, b"\x1a\x45\xdf\xa3" + random_bytes(10 * KiB, seed=51), name="v.mkv"
    )
    svg = stored_file(
        settings,
        folder,
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        name="x.svg",
    )
    unread = stored_file(settings, folder, jpeg_bytes(64, 48, seed=52), name="u.jpg")
    File.objects.filter(pk=unread.pk).update(width=None, height=None)
    assert (other.kind, video.kind, svg.kind) == ("other", "video", "image")
    for file in (other, video, svg, unread):
        response = admin_client.get(path_of(file, 640, 480))
        assert response.status_code == 404, file.name
        assert response.content.decode() == "no rendition for this kind of file\n"
        assert response["Content-Type"].startswith("text/plain")
    assert not Rendition.objects.exists()


def test_a_source_that_does_not_decode_is_a_clear_422(settings, folder, admin_client, caplog):
    # Intact bytes (their sha256 checks) that are no image, though recorded as one.
    broken = stored_file(settings, folder, random_bytes(20 * KiB, seed=53), name="b.jpg")
    File.objects.filter(pk=broken.pk).update(kind="image", mime="image/jpeg", width=640, height=480)
    caplog.set_level(logging.WARNING)
    response = admin_client.get(path_of(broken, 640, 480))
    assert response.status_code == 422
    assert f"file {broken.pk} has no rendition" in response.content.decode()
    assert "not a readable image" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert any("no rendition of file" in r.getMessage() for r in caplog.records)
    assert not Rendition.objects.exists()
    store = get_store()
    assert [p.name for p in store.iter_objects()] == [f"{broken.sha256}.{broken.extension}"]
    assert not list(store.tmp_dir.iterdir())  # nothing half-written either
    broken.refresh_from_db()
    assert broken.state == File.State.COMPLETE  # the bytes are fine: not "damaged"
    audit_log.flush()
    record = AccessRecord.objects.get()
    assert (record.kind, record.status) == ("rendition", 422)
    assert record.error.startswith("undecodable:")


def test_a_decompression_bomb_is_refused_and_remembered(settings, photo, admin_client):
    settings.JUNEFS_MAX_IMAGE_PIXELS = 1_000_000  # the photo has 1.92 million
    settings.CDS_DAMAGED_RETRY_SECONDS = 60
    try:
        response = admin_client.get(path_of(photo, 640, 480))
        assert response.status_code == 422
        assert "decompression bomb" in response.content.decode()
        assert admin_client.get(path_of(photo, 1280, 720)).status_code == 422
        assert stats.snapshot()["rendition_failures"] == 1  # not decoded a second time
    finally:
        forget_failure(photo.sha256)
    assert stats.snapshot()["renditions_made"] == 0


def test_a_damaged_source_is_502_and_marked(settings, folder, admin_client):
    file = stored_file(settings, folder, jpeg_bytes(800, 600, seed=8), name="d.jpg")
    flip_byte(backend_path(file.parts.get()), offset=500)
    response = admin_client.get(path_of(file, 640, 480))
    assert response.status_code == 502
    assert f"file {file.pk} is damaged" in response.content.decode()
    file.refresh_from_db()
    assert file.state == File.State.DAMAGED
    assert not Rendition.objects.exists()


# --- the admin -------------------------------------------------------------------------


def test_renditions_in_the_admin(photo, admin_client):
    admin_client.get(path_of(photo, 640, 480))
    row = Rendition.objects.get()
    for url in (
        "/admin/cds/rendition/",
        f"/admin/cds/rendition/?q={row.sha256}",
        f"/admin/cds/rendition/?q={photo.sha256}&format__exact=webp",
        f"/admin/cds/rendition/{row.pk}/change/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert row.sha256[:16].encode() in response.content
    assert admin_client.get("/admin/cds/rendition/add/").status_code == 403
