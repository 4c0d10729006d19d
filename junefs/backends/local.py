"""The local backend: parts as content-addressed files on disk (the embedded default)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from junefs.backends.base import Backend, Locator, MiB, Readable, Target
from junefs.errors import IntegrityError, ObjectMissing
from junefs.store import ContentStore


class LocalBackend(Backend):
    name = "local"
    default_part_size = 64 * MiB

    def __init__(self, root: Path | str | None = None) -> None:
        self.store = ContentStore(root or settings.JUNEFS_LOCAL_BACKEND_DIR)

    def put(
        self, stream: Readable, *, size: int, sha256: str, name: str, target: Target
    ) -> Locator:
        entry = self.store.put_stream(stream, ext="part", expected_sha256=sha256, max_size=size)
        if entry.size != size:
            raise IntegrityError(f"wrote {entry.size} bytes, expected {size}")
        return Locator(backend=self.name, key=self.store.relative(entry.path))

    def path(self, locator: Locator) -> Path:
        """The file behind a locator; refuses keys that leave the backend's root."""
        return self.store.resolve_key(locator.key)

    def open(self, locator: Locator) -> BinaryIO:
        try:
            return self.path(locator).open("rb")
        except FileNotFoundError:
            raise ObjectMissing(f"{locator.key} is not in the local backend") from None

    def delete(self, locator: Locator) -> None:
        self.path(locator).unlink(missing_ok=True)

    def exists(self, locator: Locator) -> bool:
        return self.path(locator).is_file()
