"""The local content-addressed store.

Objects are named by their sha256 and an extension, under two nested folders
taken from the hash: ``ab/cd/abcd….jpg``. A write goes to a temporary file in
the same filesystem, is hashed as it is written, and is renamed into place
only once the hash is known (and matches, when the caller knows it), so a
crash never leaves a partial object under a real name. Identical content is
stored once: a second write of the same bytes just drops its temp file.

The store holds staged uploads and the CDS unpacked cache. Ranges of hashes
can be moved to another disk or host, since the name says where an object is.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from junefs.errors import IngestRejected, IntegrityError, ObjectMissing

CHUNK_SIZE = 1024 * 1024
OBJECT_MODE = 0o640
#: Buffers per writev call (the POSIX minimum of IOV_MAX).
IOV_MAX = 16


class Readable(Protocol):
    """Anything with ``read(n) -> bytes`` (files, sockets, slices)."""

    def read(self, n: int = -1, /) -> bytes: ...


_SHA256 = re.compile(r"[0-9a-f]{64}")
_EXTENSION = re.compile(r"[a-z0-9]{1,10}")


def check_sha256(sha256: str) -> str:
    """Return ``sha256`` if it is 64 lowercase hex digits, else raise ValueError."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return sha256


def clean_extension(ext: str) -> str:
    ext = ext.lower().lstrip(".")
    return ext if _EXTENSION.fullmatch(ext) else ""


@dataclass(frozen=True)
class StoredEntry:
    sha256: str
    size: int
    path: Path
    created: bool  # False when identical content was already stored


class StoreWriter:
    """A write in progress. Use through :meth:`ContentStore.writer`."""

    def __init__(self, store: ContentStore, max_size: int | None) -> None:
        self.store = store
        self.max_size = max_size
        self.size = 0
        self._hash = hashlib.sha256()
        fd, name = tempfile.mkstemp(dir=store.tmp_dir, prefix="w-", suffix=".tmp")
        self._fd = fd
        self.temp_path = Path(name)
        self._closed = False

    def write(self, data: bytes | memoryview) -> None:
        self.size += len(data)
        if self.max_size is not None and self.size > self.max_size:
            raise IngestRejected(f"larger than the limit of {self.max_size} bytes")
        self._hash.update(data)
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def write_chunks(self, chunks: Sequence[bytes | memoryview]) -> None:
        """Write several buffers at once (hashed one by one, written with one writev).

        For a stream that arrives in pieces: no join copy. Blocking; hashlib and
        the write release the GIL, so run it on a worker thread.
        """
        total = sum(len(chunk) for chunk in chunks)
        if self.max_size is not None and self.size + total > self.max_size:
            raise IngestRejected(f"larger than the limit of {self.max_size} bytes")
        self.size += total
        for chunk in chunks:
            self._hash.update(chunk)
        views = [memoryview(chunk) for chunk in chunks]
        while views:
            written = os.writev(self._fd, views[:IOV_MAX])
            while views and written >= len(views[0]):
                written -= len(views[0])
                views.pop(0)
            if written:
                views[0] = views[0][written:]

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def commit(
        self, ext: str = "", expected_sha256: str | None = None, *, durable: bool = True
    ) -> StoredEntry:
        """Flush, check the hash, and rename into place.

        ``durable=False`` skips the fsync, for cache copies that are re-hashed
        before every use anyway (a copy torn by a crash is simply fetched again).
        """
        digest = self.sha256
        if expected_sha256 is not None and digest != expected_sha256:
            self.abort()
            raise IntegrityError(f"content hashes to {digest}, expected {expected_sha256}")
        # Group-readable, so a web server in the group can send objects
        # itself (CDS's nginx offload); mkstemp creates them owner-only.
        os.fchmod(self._fd, OBJECT_MODE)
        if durable:
            os.fsync(self._fd)
        os.close(self._fd)
        self._closed = True
        existing = self.store.find(digest)
        if existing is not None:
            self.temp_path.unlink(missing_ok=True)
            return StoredEntry(digest, self.size, existing, created=False)
        target = self.store.path_for(digest, ext)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.temp_path, target)
        return StoredEntry(digest, self.size, target, created=True)

    def abort(self) -> None:
        if not self._closed:
            os.close(self._fd)
            self._closed = True
        self.temp_path.unlink(missing_ok=True)


class ContentStore:
    """Objects on local disk, named by sha256."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / ".tmp"
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    # --- naming ----------------------------------------------------------
    def folder_for(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4]

    def path_for(self, sha256: str, ext: str = "") -> Path:
        ext = clean_extension(ext)
        return self.folder_for(sha256) / (f"{sha256}.{ext}" if ext else sha256)

    def find(self, sha256: str) -> Path | None:
        """The path of the object with this hash, whatever its extension."""
        folder = self.folder_for(sha256)
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name == sha256 or entry.name.startswith(sha256 + "."):
                        return Path(entry.path)
        except FileNotFoundError:
            return None
        return None

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def resolve_key(self, key: str) -> Path:
        """The path for a relative key, refusing anything outside the store."""
        parts = key.split("/")
        if len(parts) != 3 or parts[0] != parts[2][:2] or parts[1] != parts[2][2:4]:
            raise ObjectMissing(f"not a store key: {key!r}")
        check_sha256(parts[2].partition(".")[0])
        return self.root / parts[0] / parts[1] / parts[2]

    # --- reading ---------------------------------------------------------
    def exists(self, sha256: str) -> bool:
        return self.find(sha256) is not None

    def open(self, sha256: str) -> BinaryIO:
        path = self.find(sha256)
        if path is None:
            raise ObjectMissing(f"object {sha256} is not in the store")
        return path.open("rb")

    def verify(self, sha256: str) -> bool:
        """Re-hash an object; False (and the object is dropped) when it is corrupt."""
        path = self.find(sha256)
        if path is None:
            return False
        if hash_path(path) == sha256:
            return True
        path.unlink(missing_ok=True)
        return False

    def touch(self, sha256: str) -> None:
        """Mark an object as just used (the cache evicts by last use)."""
        path = self.find(sha256)
        if path is not None:
            now = time.time()
            os.utime(path, (now, now))

    # --- writing ---------------------------------------------------------
    def writer(self, max_size: int | None = None) -> StoreWriter:
        return StoreWriter(self, max_size)

    def put_stream(
        self,
        stream: Readable,
        *,
        ext: str = "",
        expected_sha256: str | None = None,
        max_size: int | None = None,
        observer: Callable[[memoryview], None] | None = None,
    ) -> StoredEntry:
        """Copy ``stream`` into the store, hashing it on the way."""
        writer = self.writer(max_size)
        try:
            buffer = bytearray(CHUNK_SIZE)
            view = memoryview(buffer)
            while True:
                readinto = getattr(stream, "readinto", None)
                n = readinto(view) if readinto is not None else _read_into(stream, view)
                if not n:
                    break
                chunk = view[:n]
                writer.write(chunk)
                if observer is not None:
                    observer(chunk)
            return writer.commit(ext, expected_sha256)
        except BaseException:
            writer.abort()
            raise

    def put_bytes(self, data: bytes, *, ext: str = "") -> StoredEntry:
        writer = self.writer()
        try:
            writer.write(data)
            return writer.commit(ext)
        except BaseException:
            writer.abort()
            raise

    def delete(self, sha256: str) -> bool:
        path = self.find(sha256)
        if path is None:
            return False
        path.unlink(missing_ok=True)
        return True

    # --- housekeeping ----------------------------------------------------
    def iter_objects(self) -> Iterator[Path]:
        for first in sorted(self.root.iterdir()):
            if first.name.startswith(".") or not first.is_dir():
                continue
            for second in sorted(first.iterdir()):
                if second.is_dir():
                    yield from sorted(second.iterdir())

    def remove_stale_temps(self, older_than: float = 24 * 3600) -> int:
        """Delete temp files left by writes that crashed; returns how many."""
        cutoff = time.time() - older_than
        removed = 0
        for temp in self.tmp_dir.iterdir():
            try:
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def _read_into(stream: Readable, view: memoryview) -> int:
    data = stream.read(len(view))
    view[: len(data)] = data
    return len(data)


def hash_path(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def get_store() -> ContentStore:
    """The store configured in settings (JUNEFS_STORE_DIR)."""
    from django.conf import settings

    return ContentStore(settings.JUNEFS_STORE_DIR)
