"""``GET /cds/health``: whether this node can serve, for load balancers and people."""

from __future__ import annotations

import os

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_http_methods

from cds import stats
from cds.audit import audit_log
from cds.io import run_io
from junefs.store import get_store


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _store_ok() -> bool:
    store = get_store()
    return store.tmp_dir.is_dir() and os.access(store.tmp_dir, os.W_OK)


@require_http_methods(["GET", "HEAD"])
async def health(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and the store is writable, else 503."""
    database = await sync_to_async(_database_ok)()
    store = await run_io(_store_ok)
    counters = await run_io(stats.snapshot)
    ok = database and store
    body = {
        "status": "ok" if ok else "failing",
        "node": settings.CDS_NODE_NAME,
        "checks": {"database": database, "store": store},
        "peers": len(settings.CDS_PEERS),
        "accel": bool(settings.CDS_ACCEL_REDIRECT),
        "fast_path_seconds": settings.CDS_NGINX_DECISION_SECONDS,
        "audit_pending": audit_log.pending(),
        "counters": counters,
    }
    response = JsonResponse(body, status=200 if ok else 503)
    response["Cache-Control"] = "no-store"
    return response
