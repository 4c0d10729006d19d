"""Parts fetched over HTTP (the local backend served by a web server): only what a range needs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings

from junefs.backends import get_backend
from tests.cds.helpers import KiB, body, file_url, stored_file
from tests.factories import random_bytes


class CountingHandler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served_backend(settings) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """The local backend's folder on an HTTP server; yields the paths asked for."""
    folder = django_settings.JUNEFS_LOCAL_BACKEND_DIR
    folder.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(CountingHandler, directory=str(folder)))
    server.paths = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.JUNEFS_LOCAL_BACKEND_URL = f"http://127.0.0.1:{server.server_address[1]}"
    get_backend.cache_clear()
    try:
        yield server.paths  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        get_backend.cache_clear()


def test_a_range_fetches_only_the_parts_it_covers(settings, folder, admin_client, served_backend):
    data = random_bytes(10 * 64 * KiB, seed=50)
    file = stored_file(settings, folder, data, part_size=64 * KiB)
    parts = list(file.parts.order_by("index"))
    start = parts[4].offset + 60 * KiB  # the last 4 KiB of part 4 and the first of part 5
    response = admin_client.get(file_url(file), HTTP_RANGE=f"bytes={start}-{start + 8 * KiB - 1}")
    assert response.status_code == 206
    assert body(response) == data[start : start + 8 * KiB]
    fetched = sorted(path.rsplit("/", 1)[-1].split(".")[0] for path in served_backend)
    assert fetched == sorted([parts[4].sha256, parts[5].sha256])


def test_missing_over_http_is_damage(settings, folder, admin_client, served_backend):
    file = stored_file(settings, folder, random_bytes(100 * KiB, seed=51), part_size=64 * KiB)
    get_backend("local").path(file.parts.first().locator).unlink()
    assert admin_client.get(file_url(file)).status_code == 502
