"""The storages backend: parts in any django-storages storage (S3, FileSystem, ...)."""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO

from django.conf import settings
from django.core.files import File as DjangoFile
from django.core.files.storage import Storage
from django.utils.module_loading import import_string

from junefs.backends.base import Backend, Locator, MiB, Readable, Target
from junefs.errors import BackendError, IntegrityError, ObjectMissing
from junefs.store import check_sha256


class _HashingReader(io.RawIOBase):
    """Passes reads through while hashing them and counting bytes."""

    def __init__(self, stream: Readable, limit: int) -> None:
        super().__init__()
        self._stream = stream
        self._limit = limit
        self.size = 0
        self.hash = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        room = self._limit - self.size
        if room <= 0:
            return b""
        data = self._stream.read(room if n is None or n < 0 else min(n, room))
        self.size += len(data)
        self.hash.update(data)
        return data

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True


def storage_from_settings() -> Storage:
    storage_class = import_string(settings.JUNEFS_STORAGES_BACKEND)
    if storage_class.__name__ == "FileSystemStorage":
        storage: Storage = storage_class(location=settings.JUNEFS_STORAGES_LOCATION)
    else:
        storage = storage_class()
    return storage


class StoragesBackend(Backend):
    name = "storages"
    default_part_size = 64 * MiB

    def __init__(self, storage: Storage | None = None) -> None:
        self.storage = storage or storage_from_settings()

    @staticmethod
    def key_for(sha256: str) -> str:
        check_sha256(sha256)
        return f"parts/{sha256[:2]}/{sha256[2:4]}/{sha256}.part"

    def put(
        self, stream: Readable, *, size: int, sha256: str, name: str, target: Target
    ) -> Locator:
        key = self.key_for(sha256)
        try:
            if self.storage.exists(key) and self.storage.size(key) == size:
                return Locator(backend=self.name, key=key)  # content-addressed: already there
            reader = _HashingReader(stream, size)
            saved = self.storage.save(key, DjangoFile(reader, name=key))  # type: ignore[arg-type]
        except OSError as exc:
            raise BackendError(f"storage write failed: {exc}") from exc
        if reader.size != size or reader.hash.hexdigest() != sha256:
            self.storage.delete(saved)
            raise IntegrityError(
                f"sent {reader.size} bytes hashing to {reader.hash.hexdigest()}, "
                f"expected {size} bytes hashing to {sha256}"
            )
        return Locator(backend=self.name, key=saved)

    def _check_key(self, key: str) -> str:
        if not key.startswith("parts/") or ".." in key.split("/"):
            raise ObjectMissing(f"not a storages key: {key!r}")
        return key

    def open(self, locator: Locator) -> BinaryIO:
        key = self._check_key(locator.key)
        try:
            return self.storage.open(key, "rb")  # type: ignore[return-value]
        except FileNotFoundError:
            raise ObjectMissing(f"{key} is not in the storage") from None
        except OSError as exc:
            if not self.storage.exists(key):
                raise ObjectMissing(f"{key} is not in the storage") from None
            raise BackendError(f"storage read failed: {exc}") from exc

    def delete(self, locator: Locator) -> None:
        self.storage.delete(self._check_key(locator.key))

    def exists(self, locator: Locator) -> bool:
        return bool(self.storage.exists(self._check_key(locator.key)))
