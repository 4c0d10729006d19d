"""A copy that fails its sha256 is never served; no good copy anywhere means damaged."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest

from cds import stats
from cds.views.respond import StreamAborted
from junefs.backends import get_backend
from junefs.backends.local import LocalBackend
from junefs.errors import BackendError
from junefs.models import File, Part
from junefs.store import get_store, hash_path
from tests.cds.helpers import KiB, body, file_url, stored_file
from tests.factories import random_bytes


def flip_byte(path: Path, offset: int = 100) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        value = handle.read(1)[0]
        handle.seek(offset)
        handle.write(bytes([value ^ 0x01]))


def backend_path(part: Part) -> Path:
    backend = get_backend(part.backend)
    if isinstance(backend, LocalBackend):
        return backend.path(part.locator)
    return Path(backend.storage.path(part.key))  # type: ignore[attr-defined]


@pytest.fixture
def spanned(settings, folder):  # type: ignore[no-untyped-def]
    data = random_bytes(256 * KiB, seed=7)
    return stored_file(settings, folder, data, part_size=64 * KiB), data


def test_a_flipped_byte_in_a_cached_part_is_refetched_not_served(
    any_backend, spanned, admin_client
):
    file, data = spanned
    assert body(admin_client.get(file_url(file))) == data  # every part now cached
    part = file.parts.get(index=1)
    cached = get_store().find(part.sha256)
    flip_byte(cached)
    before = stats.snapshot()
    response = admin_client.get(file_url(file), HTTP_RANGE=f"bytes={part.offset}-")
    assert response.status_code == 206
    assert body(response) == data[part.offset :]
    after = stats.snapshot()
    assert after["cache_corrupt"] - before["cache_corrupt"] == 1
    assert after["backend_fetches"] - before["backend_fetches"] == 1  # only that part
    assert hash_path(get_store().find(part.sha256)) == part.sha256  # good copy kept


def test_a_corrupt_unpacked_file_falls_back_to_its_parts(settings, folder, admin_client):
    data = random_bytes(200 * KiB, seed=8)
    file = stored_file(settings, folder, data, part_size=64 * KiB, cached=True)
    whole = get_store().find(file.sha256)
    flip_byte(whole, offset=150 * KiB)
    response = admin_client.get(file_url(file))
    assert body(response) == data
    assert get_store().find(file.sha256) is None  # the bad whole was dropped
    assert stats.snapshot()["cache_corrupt"] == 1


def test_corrupt_everywhere_marks_the_file_damaged_with_a_clear_error(
    any_backend, spanned, admin_client, caplog
):
    file, _ = spanned
    bad = file.parts.get(index=2)
    flip_byte(backend_path(bad))
    caplog.set_level(logging.WARNING)
    response = admin_client.get(file_url(file), HTTP_RANGE=f"bytes={bad.offset + 10}-")
    assert response.status_code == 502
    text = response.content.decode()
    assert f"file {file.pk} is damaged" in text and "part 2" in text
    assert response["Cache-Control"] == "no-store"
    file.refresh_from_db()
    assert file.state == File.State.DAMAGED
    assert "part 2" in file.state_note
    assert not get_store().exists(bad.sha256)  # the bad copy was never kept
    counters = stats.snapshot()
    assert counters["integrity_failures"] == 1 and counters["damaged_files"] == 1
    assert counters["backend_bad_copies"] == 2  # tried twice
    assert any("marked damaged" in r.getMessage() for r in caplog.records)


def test_a_bad_part_later_in_the_file_cuts_the_stream(spanned, admin_client):
    """The first parts were sent already: the response is cut, never completed wrongly."""
    file, _ = spanned
    flip_byte(backend_path(file.parts.get(index=3)))
    response = admin_client.get(file_url(file))
    assert response.status_code == 200  # parts 0-2 are good
    with pytest.raises(StreamAborted, match="part 3"):
        body(response)
    file.refresh_from_db()
    assert file.state == File.State.DAMAGED


def test_a_missing_backend_object_is_damage_too(spanned, admin_client):
    file, _ = spanned
    backend_path(file.parts.get(index=0)).unlink()
    response = admin_client.get(file_url(file))
    assert response.status_code == 502
    file.refresh_from_db()
    assert file.state == File.State.DAMAGED


def test_an_unreachable_backend_is_an_outage_not_damage(spanned, admin_client, monkeypatch):
    file, _ = spanned

    def down(self, locator):  # type: ignore[no-untyped-def]
        raise BackendError("connection refused")

    monkeypatch.setattr(LocalBackend, "open", down)
    response = admin_client.get(file_url(file))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    file.refresh_from_db()
    assert file.state == File.State.COMPLETE
    assert stats.snapshot()["unavailable"] == 1


def test_damaged_files_are_not_fetched_again_for_a_while(settings, spanned, admin_client):
    settings.CDS_DAMAGED_RETRY_SECONDS = 60
    file, _ = spanned
    flip_byte(backend_path(file.parts.get(index=0)))
    assert admin_client.get(file_url(file)).status_code == 502
    fetches = stats.snapshot()["backend_bad_copies"]
    assert admin_client.get(file_url(file)).status_code == 502
    assert stats.snapshot()["backend_bad_copies"] == fetches  # no new fetch
    from cds.integrity import clear_damaged_flag

    clear_damaged_flag(file.pk)


def test_a_refused_download_url_is_renewed_before_anything_is_called_damaged(
    spanned, admin_client, monkeypatch
):
    """Signed URLs (Discord) can be refused before their expiry: renew once, then judge."""
    from datetime import timedelta

    from django.utils import timezone

    import cds.fetch
    from junefs.errors import ObjectMissing

    file, data = spanned
    Part.objects.filter(file=file).update(
        message_id=123,
        url="https://cdn.example/stale",
        url_expires_at=timezone.now() + timedelta(hours=1),
    )
    local = get_backend("local")

    class SignedUrlBackend(LocalBackend):
        def __init__(self) -> None:
            self.store, self.url = local.store, ""
            self.refreshed = 0

        async def stream(self, locator, *, chunk_size=1 << 20):  # type: ignore[no-untyped-def,override]
            if locator.url.endswith("/stale"):
                raise ObjectMissing("404 from the CDN")
            async for chunk in super().stream(locator, chunk_size=chunk_size):
                yield chunk

        def refresh(self, locators):  # type: ignore[no-untyped-def,override]
            self.refreshed += 1
            return [loc.with_url("https://cdn.example/fresh", None) for loc in locators]

    backend = SignedUrlBackend()
    monkeypatch.setattr(cds.fetch, "get_backend", lambda name: backend)
    assert body(admin_client.get(file_url(file))) == data
    file.refresh_from_db()
    assert file.state == File.State.COMPLETE
    assert backend.refreshed == file.part_count
    assert set(file.parts.values_list("url", flat=True)) == {"https://cdn.example/fresh"}


async def test_a_fetch_never_keeps_an_unchecked_copy_already_in_the_store(tmp_path):
    """The store keeps an existing object on a duplicate write; a fetch must replace it."""
    from cds.fetch import copy_into_store
    from junefs.store import ContentStore

    store = ContentStore(tmp_path / "store")
    good = random_bytes(100 * KiB, seed=70)
    sha256 = hashlib.sha256(good).hexdigest()
    bad = store.path_for(sha256, "part")
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"x" + good[1:])  # a corrupt copy under the good name

    async def chunks():  # type: ignore[no-untyped-def]
        yield good

    entry = await copy_into_store(chunks(), store, sha256=sha256, size=len(good), ext="part")
    assert entry.path.read_bytes() == good
