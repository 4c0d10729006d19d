"""CDS under a real ASGI server: concurrency, single-flight fetches, and peer load."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from cds.models import AccessRecord
from junefs.models import File
from junefs.store import ContentStore
from tests.cds.helpers import KiB, stored_file
from tests.cds.servers import bad_peer, cds_server
from tests.factories import random_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
MiB = 1024 * KiB
NODE_TOKEN = "node-secret-for-tests"


@pytest.fixture
def cookies(client, admin_user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A staff session the servers accept (sessions live in the shared database)."""
    client.force_login(admin_user)
    return {"sessionid": client.cookies["sessionid"].value}


def counters(base: str) -> dict[str, int]:
    response = httpx.get(f"{base}/cds/health", timeout=10)
    assert response.status_code == 200
    return response.json()["counters"]  # type: ignore[no-any-return]


def wait_for_audit(count: int, **filters: object) -> list[AccessRecord]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        records = list(AccessRecord.objects.filter(**filters))
        if len(records) >= count:
            return records
        time.sleep(0.1)
    raise AssertionError(f"the audit has {len(records)} of {count} records")


def test_fifty_concurrent_requests_fetch_each_part_once(
    any_backend, settings, folder, cookies, output_dir
):
    data = random_bytes(2 * MiB)
    file = stored_file(settings, folder, data, part_size=256 * KiB)
    assert file.part_count == 8
    url = f"/cds/f/{file.pk}/{file.name}"

    async def fifty(base: str) -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=60)
        async with httpx.AsyncClient(
            base_url=base, cookies=cookies, timeout=60, limits=limits
        ) as http:
            return await asyncio.gather(*(http.get(url) for _ in range(50)))

    with cds_server(output_dir / "server.log") as base:
        responses = asyncio.run(fifty(base))
        assert [r.status_code for r in responses] == [200] * 50
        assert all(r.content == data for r in responses)
        seen = counters(base)
    assert seen["backend_fetches"] == file.part_count  # one fetch per part, not 50
    records = wait_for_audit(50, file_id=file.pk)
    assert {(r.status, r.bytes_sent, r.credential) for r in records} == {
        (200, len(data), "user:admin")
    }


def test_peer_load_between_two_nodes(settings, folder, cookies, output_dir, tmp_path):
    data = random_bytes(600 * KiB, seed=1)
    held = stored_file(settings, folder, data, part_size=256 * KiB, cached=True)
    nowhere = stored_file(settings, folder, random_bytes(100 * KiB, seed=2), part_size=256 * KiB)
    store_b = ContentStore(tmp_path / "store-b")
    node = {"CDS_NODE_TOKEN": NODE_TOKEN}
    with (
        bad_peer() as (bad_url, bad),
        cds_server(output_dir / "a.log", CDS_NODE_NAME="a", **node) as node_a,
        cds_server(
            output_dir / "b.log",
            CDS_NODE_NAME="b",
            CDS_PEERS=f"{bad_url},{node_a}",
            # B's backend is empty: whatever it serves comes from a peer.
            JUNEFS_STORE_DIR=str(store_b.root),
            JUNEFS_LOCAL_BACKEND_DIR=str(tmp_path / "objects-b"),
            **node,
        ) as node_b,
    ):
        response = httpx.get(f"{node_b}/cds/f/{held.pk}/x", cookies=cookies, timeout=30)
        assert response.status_code == 200
        assert response.content == data
        # Node A had the whole file; B asked for each part by hash, after the
        # bad peer's copy of each was rejected, and keeps what it verified.
        assert bad.hits == held.part_count
        assert all(store_b.exists(p.sha256) for p in held.parts.all())
        seen = counters(node_b)
        assert seen["peer_bad_copies"] == held.part_count
        assert seen["peer_fetches"] == held.part_count

        # Peers answer node requests from their store only, and only to nodes.
        part_hash = held.parts.first().sha256
        assert httpx.get(f"{node_a}/cds/h/{part_hash}").status_code == 404
        wrong = {"Authorization": "CDS-Node nope"}
        assert httpx.get(f"{node_a}/cds/h/{part_hash}", headers=wrong).status_code == 404
        good = {"Authorization": f"CDS-Node {NODE_TOKEN}"}
        assert httpx.get(f"{node_a}/cds/h/{part_hash}", headers=good).status_code == 200
        assert httpx.get(f"{node_a}/cds/h/{nowhere.sha256}", headers=good).status_code == 404

        # Only a bad copy anywhere: refused, the file is marked damaged.
        failed = httpx.get(f"{node_b}/cds/f/{nowhere.pk}/x", cookies=cookies, timeout=30)
        assert failed.status_code == 502
        assert "damaged" in failed.text
    nowhere.refresh_from_db()
    assert nowhere.state == File.State.DAMAGED
    # What A sent B is in A's audit, under B's name.
    wait_for_audit(held.part_count, kind="peer", status=200, credential="node:b")


def test_a_client_that_leaves_early_is_audited_and_the_server_carries_on(
    settings, folder, cookies, output_dir
):
    data = random_bytes(32 * MiB)
    file = stored_file(settings, folder, data, part_size=4 * MiB)
    url = f"/cds/f/{file.pk}/{file.name}"
    with cds_server(output_dir / "server.log") as base:
        with httpx.stream("GET", base + url, cookies=cookies, timeout=30) as response:
            assert response.status_code == 200
            next(response.iter_raw(64 * KiB))  # one chunk, then hang up
        (record,) = wait_for_audit(1, file_id=file.pk)
        assert record.status == 200
        assert record.bytes_sent < len(data)
        assert record.error == "the client went away"
        again = httpx.get(base + url, cookies=cookies, timeout=30)
        assert again.content == data


def test_a_graceful_stop_writes_the_buffered_audit(settings, folder, cookies, output_dir):
    """SIGTERM under uvicorn skips atexit; the ASGI lifespan's shutdown writes the audit."""
    file = stored_file(settings, folder, random_bytes(64 * KiB))
    with cds_server(output_dir / "server.log", CDS_AUDIT_FLUSH_SECONDS="3600") as base:
        for _ in range(3):
            response = httpx.get(f"{base}/cds/f/{file.pk}/x", cookies=cookies, timeout=30)
            assert response.status_code == 200
        time.sleep(0.5)
        assert not AccessRecord.objects.filter(file_id=file.pk).exists()  # still buffered
    # cds_server stopped it with SIGTERM and waited for it to exit.
    records = AccessRecord.objects.filter(file_id=file.pk)
    assert records.count() == 3 and {r.status for r in records} == {200}
