"""Celery tasks for JuneFS. Thin: they take ids, re-read state, call a service."""

from __future__ import annotations

from celery import shared_task

from junefs.errors import BackendError
from junefs.models import File


@shared_task(
    name="junefs.upload_file",
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
)
def upload_file_task(file_id: int) -> dict[str, object]:
    """Upload what is missing of a file. Safe to run twice."""
    from junefs.upload import upload_file

    summary = upload_file(file_id)
    return {
        "file": file_id,
        "state": summary.state,
        "sent": summary.sent_parts,
        "note": summary.note,
    }


@shared_task(name="junefs.verify_file")
def verify_file_task(file_id: int) -> dict[str, object]:
    """Re-read every part of a file and record whether it is intact."""
    from junefs.reader import verify_file

    file = File.objects.filter(pk=file_id).first()
    if file is None:
        return {"file": file_id, "ok": False, "problems": ["no such file"]}
    report = verify_file(file)
    return {"file": file_id, "ok": report.ok, "problems": report.problems}


@shared_task(name="junefs.resume_uploads")
def resume_uploads_task() -> dict[str, int]:
    """Queue files whose upload never finished (worker died, lease expired)."""
    from django.db.models import Q
    from django.utils import timezone

    stuck = File.objects.filter(
        Q(state=File.State.PENDING)
        | Q(state=File.State.UPLOADING, upload_lease_until__lt=timezone.now())
    ).values_list("id", flat=True)
    count = 0
    for file_id in stuck.iterator():
        upload_file_task.delay(file_id)
        count += 1
    return {"queued": count}


@shared_task(name="junefs.remove_stale_temps")
def remove_stale_temps_task() -> dict[str, int]:
    """Delete temp files that crashed writes left in the store."""
    from junefs.store import get_store

    return {"removed": get_store().remove_stale_temps()}


@shared_task(
    name="junefs.read_mirrored_file",
    autoretry_for=(OSError, BackendError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
)
def read_mirrored_file_task(file_id: int) -> dict[str, object]:
    """Read a mirrored Discord attachment: sha256, type, dimensions, thumbnail."""
    from junefs.discord_io.reading import read_mirrored_file

    summary = read_mirrored_file(file_id)
    return {"file": file_id, "state": summary.state, "note": summary.note}


@shared_task(name="junefs.read_unread_mirrored_files")
def read_unread_mirrored_files_task() -> dict[str, int]:
    """Queue mirrored files still unread after a while (their task was lost)."""
    from datetime import timedelta

    from django.utils import timezone

    stale = File.objects.filter(
        state=File.State.INDEXING, updated_at__lt=timezone.now() - timedelta(minutes=5)
    ).values_list("id", flat=True)
    count = 0
    for file_id in stale.iterator():
        read_mirrored_file_task.delay(file_id)
        count += 1
    return {"queued": count}
