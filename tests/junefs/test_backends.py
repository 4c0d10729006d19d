"""Every backend honours the same contract: local, storages (filesystem), storages (S3)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from junefs.backends import Backend, Target, get_backend, part_size_for
from junefs.backends.base import Locator
from junefs.backends.local import LocalBackend
from junefs.backends.storages import StoragesBackend
from junefs.errors import IntegrityError, ObjectMissing


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server (moto's) on loopback; boto3 speaks HTTP to it."""
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def make_s3_backend(endpoint: str) -> StoragesBackend:
    import boto3
    from storages.backends.s3 import S3Storage

    bucket = "sequenzia-test"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=bucket)
    storage = S3Storage(
        bucket_name=bucket,
        endpoint_url=endpoint,
        region_name="us-east-1",
        access_key="test",
        secret_key="test",
        file_overwrite=False,
    )
    return StoragesBackend(storage)


@pytest.fixture(params=["local", "storages-fs", "storages-s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        return LocalBackend(tmp_path / "local")
    if request.param == "storages-fs":
        from django.core.files.storage import FileSystemStorage

        return StoragesBackend(FileSystemStorage(location=tmp_path / "fs"))
    return make_s3_backend(request.getfixturevalue("s3_endpoint"))


def put(backend: Backend, data: bytes) -> Locator:
    return backend.put(
        io.BytesIO(data),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        name="part.bin",
        target=Target(),
    )


def test_put_open_delete_round_trip(backend: Backend) -> None:
    data = b"\x00\x01binary\xff" * 1000
    locator = put(backend, data)
    assert locator.backend == backend.name
    with backend.open(locator) as stream:
        assert stream.read() == data
    assert backend.exists(locator)
    backend.delete(locator)
    assert not backend.exists(locator)
    with pytest.raises(ObjectMissing):
        backend.open(locator).read()
    backend.delete(locator)  # deleting what is gone is not an error


def test_identical_parts_share_one_object(backend: Backend) -> None:
    first = put(backend, b"same part")
    second = put(backend, b"same part")
    assert first.key == second.key


def test_bytes_that_do_not_match_their_hash_are_refused(backend: Backend) -> None:
    data = b"what we meant to send"
    with pytest.raises(IntegrityError):
        backend.put(
            io.BytesIO(data),
            size=len(data),
            sha256=hashlib.sha256(b"something else").hexdigest(),
            name="x",
            target=Target(),
        )
    # Nothing was kept under the claimed name.
    assert not backend.exists(Locator(backend.name, key=_key_for(backend, data)))


def _key_for(backend: Backend, data: bytes) -> str:
    digest = hashlib.sha256(b"something else").hexdigest()
    if isinstance(backend, StoragesBackend):
        return backend.key_for(digest)
    return f"{digest[:2]}/{digest[2:4]}/{digest}.part"


@pytest.mark.parametrize("key", ["../../../etc/passwd", "parts/../../secret", "/etc/passwd"])
def test_keys_outside_the_backend_are_refused(backend: Backend, key: str) -> None:
    with pytest.raises((ObjectMissing, ValueError)):
        backend.open(Locator(backend.name, key=key))
    with pytest.raises((ObjectMissing, ValueError)):
        backend.delete(Locator(backend.name, key=key))


def test_part_size_setting_overrides_every_backend(settings) -> None:  # type: ignore[no-untyped-def]
    settings.JUNEFS_MAX_PART_SIZE = 0
    local = get_backend("local")
    assert part_size_for(local) == local.default_part_size
    settings.JUNEFS_MAX_PART_SIZE = 1234
    assert part_size_for(local) == 1234
    assert part_size_for(get_backend("storages")) == 1234


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown storage backend 'ftp'"):
        get_backend("ftp")
