"""The local backend: parts as content-addressed files on disk (the embedded default).

With ``JUNEFS_LOCAL_BACKEND_URL`` set, reads go over HTTP to that base URL
(the folder served by a web server, e.g. on a storage host) while writes still
go to ``JUNEFS_LOCAL_BACKEND_DIR``. The CDS benchmark uses it to fetch parts
over loopback like a remote backend.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from django.conf import settings

from junefs.backends.base import Backend, Locator, MiB, Readable, Target
from junefs.backends.httpread import open_url, stream_url
from junefs.errors import IntegrityError, ObjectMissing
from junefs.store import ContentStore


class LocalBackend(Backend):
    name = "local"
    default_part_size = 64 * MiB

    def __init__(self, root: Path | str | None = None, url: str | None = None) -> None:
        self.store = ContentStore(root or settings.JUNEFS_LOCAL_BACKEND_DIR)
        self.url = (settings.JUNEFS_LOCAL_BACKEND_URL if url is None else url).rstrip("/")

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

    def url_for(self, locator: Locator) -> str:
        path = self.path(locator)  # refuses keys that leave the root
        return f"{self.url}/{quote(self.store.relative(path))}"

    def open(self, locator: Locator) -> BinaryIO:
        if self.url:
            return open_url(self.url_for(locator))
        try:
            return self.path(locator).open("rb")
        except FileNotFoundError:
            raise ObjectMissing(f"{locator.key} is not in the local backend") from None

    async def stream(self, locator: Locator, *, chunk_size: int = MiB) -> AsyncIterator[bytes]:
        source: AsyncGenerator[bytes, None]
        if self.url:
            source = stream_url(self.url_for(locator), chunk_size=chunk_size)
        else:
            source = super().stream(locator, chunk_size=chunk_size)  # type: ignore[assignment]
        async with contextlib.aclosing(source) as chunks:
            async for chunk in chunks:
                yield chunk

    def delete(self, locator: Locator) -> None:
        self.path(locator).unlink(missing_ok=True)

    def exists(self, locator: Locator) -> bool:
        return self.path(locator).is_file()
