"""The unpacked cache: unpacking, autofetch for kept folders, LRU eviction under a cap."""

from __future__ import annotations

import os
import time

from cds import stats
from cds.cache import autofetch_kept_channels, cache_whole_file, evict_unpacked_cache
from cds.tasks import evict_unpacked_cache_task
from junefs.models import File
from junefs.store import get_store, hash_path
from tests.cds.helpers import KiB, body, file_url, stored_file
from tests.factories import ingest_bytes, jpeg_bytes, make_channel, random_bytes


def store_bytes() -> int:
    return sum(p.stat().st_size for p in get_store().iter_objects())


def age(sha256: str, seconds: float) -> None:
    """Pretend the object was last used ``seconds`` ago."""
    path = get_store().find(sha256)
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_unpacking_joins_parts_into_the_whole_file(any_backend, settings, folder, admin_client):
    data = random_bytes(300 * KiB, seed=11)
    file = stored_file(settings, folder, data, part_size=64 * KiB)
    store = get_store()
    body(admin_client.get(file_url(file)))  # reads every part into the cache
    assert cache_whole_file(file.pk) == "cached"
    assert hash_path(store.find(file.sha256)) == file.sha256
    assert not any(store.exists(p.sha256) for p in file.parts.all())  # parts dropped
    assert cache_whole_file(file.pk) == "already cached"
    # Ranges now come out of the whole file, each slice checked against its part's hash.
    response = admin_client.get(file_url(file), HTTP_RANGE="bytes=70000-140000")
    assert body(response) == data[70000:140001]
    assert stats.snapshot()["backend_fetches"] == file.part_count  # none since the first read


def test_unpacking_fetches_what_is_not_cached(settings, folder):
    data = random_bytes(150 * KiB, seed=12)
    file = stored_file(settings, folder, data, part_size=64 * KiB)
    assert cache_whole_file(file.pk) == "cached"
    assert get_store().exists(file.sha256)


def test_autofetch_keeps_kept_folders_cached(settings, db):
    kept = make_channel("kept", keep_cached=True)
    other = make_channel("other")
    settings.JUNEFS_MAX_PART_SIZE = 16 * KiB
    photo = ingest_bytes(jpeg_bytes(300, 200, seed=2), kept, "a.jpg").file
    plain = stored_file(settings, other, random_bytes(40 * KiB, seed=3))
    store = get_store()
    for sha256 in (photo.sha256, photo.thumbnail.sha256):
        store.delete(sha256)
    report = autofetch_kept_channels()
    assert report.cached == 1 and report.failed == 0
    assert store.exists(photo.sha256) and store.exists(photo.thumbnail.sha256)
    assert not store.exists(plain.sha256)


def test_eviction_keeps_the_cache_under_its_cap_least_recently_used_first(
    settings, folder, admin_client
):
    files = []
    for seed in range(6):
        data = random_bytes(40 * KiB, seed=20 + seed)
        files.append(stored_file(settings, folder, data, part_size=64 * KiB, cached=True))
    for rank, file in enumerate(files):  # files[0] is the least recently used
        age(file.sha256, 3600 * (len(files) - rank))
    assert store_bytes() == 6 * 40 * KiB
    report = evict_unpacked_cache(max_bytes=100 * KiB, max_age=0)
    assert store_bytes() <= 100 * KiB
    assert report.evicted == 4
    kept = [f for f in files if get_store().exists(f.sha256)]
    assert kept == files[-2:]
    assert stats.snapshot()["evicted_objects"] == 4
    # A request makes an evicted file recently used again (and brings it back).
    assert body(admin_client.get(file_url(files[0]))) == random_bytes(40 * KiB, seed=20)


def test_eviction_by_age_and_what_it_never_evicts(settings, folder, db):
    kept_folder = make_channel("kept", keep_cached=True)
    old = stored_file(settings, folder, random_bytes(10 * KiB, seed=30), cached=True)
    fresh = stored_file(settings, folder, random_bytes(10 * KiB, seed=31), cached=True)
    pinned = stored_file(settings, kept_folder, random_bytes(10 * KiB, seed=32), cached=True)
    damaged = stored_file(settings, folder, random_bytes(10 * KiB, seed=33), cached=True)
    File.objects.filter(pk=damaged.pk).update(state=File.State.DAMAGED)
    staged = ingest_bytes(random_bytes(10 * KiB, seed=34), folder, "s.bin", upload="none").file
    assert staged.state == File.State.PENDING
    for file in (old, pinned, damaged, staged):
        age(file.sha256, 90 * 86400)
    settings.CDS_CACHE_MAX_BYTES = 10**9
    settings.CDS_CACHE_MAX_AGE = 30 * 86400
    result = evict_unpacked_cache_task()
    store = get_store()
    assert result["evicted"] == 1 and result["protected"] == 3
    assert not store.exists(old.sha256)
    for survivor in (fresh, pinned, damaged, staged):
        assert store.exists(survivor.sha256)
    # Even a cap of zero never drops bytes that have no other copy.
    evict_unpacked_cache(max_bytes=0, max_age=0)
    assert not store.exists(fresh.sha256)
    assert store.exists(staged.sha256) and store.exists(damaged.sha256)


def test_a_full_read_of_a_spanned_file_queues_its_unpacking(
    settings, folder, admin_client, monkeypatch
):
    from cds.tasks import unpack_file_task

    settings.CDS_UNPACK_SPANNED = True
    queued: list[int] = []
    monkeypatch.setattr(unpack_file_task, "delay", queued.append)
    file = stored_file(settings, folder, random_bytes(150 * KiB, seed=60), part_size=64 * KiB)
    body(admin_client.get(file_url(file), HTTP_RANGE="bytes=0-99"))
    assert queued == []  # a range is not a read-through
    body(admin_client.get(file_url(file)))
    assert queued == [file.pk]
