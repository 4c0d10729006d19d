"""Celery tasks for CDS. Thin: they take ids, call a service, return a summary."""

from __future__ import annotations

import dataclasses

from celery import shared_task


@shared_task(name="cds.evict_unpacked_cache")
def evict_unpacked_cache_task() -> dict[str, int]:
    """Keep the store under CDS_CACHE_MAX_BYTES / CDS_CACHE_MAX_AGE (beat)."""
    from cds.cache import evict_unpacked_cache

    return dataclasses.asdict(evict_unpacked_cache())


@shared_task(name="cds.unpack_file", autoretry_for=(OSError,), retry_backoff=10, max_retries=3)
def unpack_file_task(file_id: int) -> dict[str, object]:
    """Join a read-through spanned file into the store. Safe to run twice."""
    from cds.cache import cache_whole_file

    return {"file": file_id, "outcome": cache_whole_file(file_id)}


@shared_task(name="cds.autofetch_kept_channels")
def autofetch_kept_channels_task() -> dict[str, object]:
    """Keep the files of keep_cached folders in the store (beat)."""
    from cds.cache import autofetch_kept_channels

    report = autofetch_kept_channels()
    return {"cached": report.cached, "failed": report.failed, "problems": report.problems[:20]}


@shared_task(name="cds.prune_access_audit")
def prune_access_audit_task() -> dict[str, int]:
    """Delete access records older than CDS_AUDIT_RETENTION_DAYS (beat)."""
    from cds.audit import prune_access_records

    return {"deleted": prune_access_records()}


@shared_task(name="cds.ingest_nginx_audit_log")
def ingest_nginx_audit_log_task() -> dict[str, int]:
    """Read the fast path's nginx log into the access audit (beat; safe to run twice)."""
    from cds.nginxlog import ingest_nginx_audit_log

    return dataclasses.asdict(ingest_nginx_audit_log())
