"""nginx offload: hand a cached object to nginx with ``X-Accel-Redirect``.

With ``CDS_ACCEL_REDIRECT`` set (the internal location that maps onto the
store, see ``deploy/nginx/sequenzia.conf``), Django still decides everything
(access, block list, 304, 416, the headers) and then lets nginx copy the
bytes of an object that sits whole in the store. nginx applies the Range
itself, against the ETag and Last-Modified Django sent (the internal location
copies them onto the response).

nginx cannot check a sha256, so Django checks the object before handing it
over, and remembers that check for ``CDS_ACCEL_VERIFY_SECONDS`` keyed by the
file's inode, size and mtime: any write to the object forces a new check.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache

from cds import stats
from cds.io import TOUCH_EVERY, hash_range, touch
from cds.objects import Servable
from junefs.store import ContentStore

log = logging.getLogger(__name__)


def enabled() -> bool:
    return bool(settings.CDS_ACCEL_REDIRECT)


def _verified_key(sha256: str, stat: os.stat_result) -> str:
    return f"cds:verified:{sha256}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}"


def offload_uri(servable: Servable, store: ContentStore) -> str | None:
    """The internal URI nginx should serve, or None to stream through Django.

    Blocking (stat, maybe a full hash): run on the IO pool.
    """
    relative = offload_path(servable, store)
    return None if relative is None else settings.CDS_ACCEL_REDIRECT + quote(relative)


def offload_path(servable: Servable, store: ContentStore) -> str | None:
    """The object's path in the store (``ab/cd/abcd….ext``) if nginx may send it, else None.

    Only a whole, verified object qualifies (see the module docstring).
    Blocking (stat, maybe a full hash): run on the IO pool.
    """
    path = store.find(servable.sha256)
    if path is None:
        return None
    try:
        stat = path.stat()
        if time.time() - stat.st_mtime > TOUCH_EVERY:
            touch(path)
            stat = path.stat()
    except FileNotFoundError:
        return None
    if stat.st_size != servable.size:
        return None
    key = _verified_key(servable.sha256, stat)
    ttl = settings.CDS_ACCEL_VERIFY_SECONDS
    if not ttl or not cache.get(key):
        if not _hash_matches(path, servable.sha256, servable.size):
            path.unlink(missing_ok=True)
            stats.count("cache_corrupt")
            log.warning("cached object %s failed its sha256 check; dropped", path.name)
            return None
        if ttl:
            cache.set(key, True, ttl)
    return store.relative(path)


def _hash_matches(path: Path, sha256: str, size: int) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        return hash_range(fd, 0, size) == sha256
    finally:
        os.close(fd)
