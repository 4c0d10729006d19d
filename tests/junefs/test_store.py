"""The content-addressed store: naming, atomic writes, dedup, refusals."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from junefs.errors import IntegrityError, ObjectMissing
from junefs.store import ContentStore


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_objects_are_named_by_hash_under_two_nested_folders(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    data = b"hello sequenzia"
    entry = store.put_stream(io.BytesIO(data), ext="txt")
    digest = sha(data)
    assert entry.sha256 == digest
    assert entry.path == tmp_path / digest[:2] / digest[2:4] / f"{digest}.txt"
    assert entry.path.read_bytes() == data
    assert store.find(digest) == entry.path
    assert store.relative(entry.path) == f"{digest[:2]}/{digest[2:4]}/{digest}.txt"


def test_identical_content_is_stored_once(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    first = store.put_stream(io.BytesIO(b"same bytes"), ext="bin")
    second = store.put_stream(io.BytesIO(b"same bytes"), ext="jpg")
    assert first.created and not second.created
    assert second.path == first.path
    assert len(list(store.iter_objects())) == 1
    assert list(store.tmp_dir.iterdir()) == []


def test_expected_hash_mismatch_stores_nothing(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    with pytest.raises(IntegrityError, match="expected"):
        store.put_stream(io.BytesIO(b"abc"), expected_sha256=sha(b"abd"))
    assert list(store.iter_objects()) == []
    assert list(store.tmp_dir.iterdir()) == []


def test_a_failing_stream_leaves_no_object_and_no_temp(tmp_path: Path) -> None:
    class Broken(io.RawIOBase):
        def __init__(self) -> None:
            self.calls = 0

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            self.calls += 1
            if self.calls > 3:
                raise ConnectionResetError("peer went away")
            buffer[:4] = b"data"
            return 4

    store = ContentStore(tmp_path)
    with pytest.raises(ConnectionResetError):
        store.put_stream(Broken())  # type: ignore[arg-type]
    assert list(store.iter_objects()) == []
    assert list(store.tmp_dir.iterdir()) == []


def test_a_process_killed_mid_write_never_leaves_a_partial_object(tmp_path: Path) -> None:
    """SIGKILL a real writer half-way: only an anonymous temp file may remain."""
    script = f"""
import sys, time
sys.path.insert(0, {str(Path.cwd())!r})
from junefs.store import ContentStore
class Slow:
    def read(self, n):
        time.sleep(0.01)
        return b"x" * 65536
store = ContentStore({str(tmp_path)!r})
print("writing", flush=True)
store.put_stream(Slow())
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"writing"
    deadline = time.monotonic() + 10
    store = ContentStore(tmp_path)
    while time.monotonic() < deadline:
        temps = list(store.tmp_dir.iterdir())
        if temps and temps[0].stat().st_size > 0:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(store.iter_objects()) == []  # nothing under a real name
    leftovers = list(store.tmp_dir.iterdir())
    assert leftovers and all(p.name.endswith(".tmp") for p in leftovers)
    assert store.remove_stale_temps(older_than=0) == len(leftovers)
    assert list(store.tmp_dir.iterdir()) == []


def test_max_size_is_enforced_while_streaming(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    with pytest.raises(Exception, match="larger than the limit of 10 bytes"):
        store.put_stream(io.BytesIO(b"x" * 11), max_size=10)
    assert list(store.iter_objects()) == []


@pytest.mark.parametrize(
    "key",
    ["../../etc/passwd", "ab/cd/../../x", "ab/cd/" + "a" * 64, "/etc/passwd", "ab/cd/ef/gh"],
)
def test_keys_outside_the_store_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises((ObjectMissing, ValueError)):
        ContentStore(tmp_path).resolve_key(key)


@pytest.mark.parametrize("bad", ["", "../x", "A" * 64, "g" * 64, "a" * 63])
def test_only_sha256_digests_name_objects(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        ContentStore(tmp_path).path_for(bad)


def test_verify_drops_a_corrupt_object(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    entry = store.put_bytes(b"precious", ext="bin")
    assert store.verify(entry.sha256)
    entry.path.write_bytes(b"precioUs")
    assert not store.verify(entry.sha256)
    assert store.find(entry.sha256) is None
