"""Changes to stored files: delete, move, rename.

Each keeps the index and the backend in step. The index changes first, in a
transaction; backend objects are removed after, so a failure can leave
unreferenced bytes (found and removed later) but never a row pointing at
bytes that are gone.
"""

from __future__ import annotations

import logging

from django.db import transaction

from junefs.backends import Backend, Locator, get_backend
from junefs.errors import JuneFSError
from junefs.models import Channel, File, Part, Thumbnail
from junefs.names import clean_name
from junefs.store import get_store

log = logging.getLogger(__name__)


def _shared(model: type[Part] | type[Thumbnail], locator: Locator, file: File) -> bool:
    """True when another file's row points at the same backend object."""
    return (
        model.objects.filter(
            backend=locator.backend,
            key=locator.key,
            message_id=locator.message_id,
            attachment_id=locator.attachment_id,
        )
        .exclude(file=file)
        .exists()
    )


def delete_file(file: File, *, backend: Backend | None = None) -> list[str]:
    """Delete a file and the bytes no other file shares. Returns problems met."""
    backend = backend or get_backend(file.backend)
    doomed: list[Locator] = []
    for part in file.parts.exclude(backend=""):
        if not _shared(Part, part.locator, file):
            doomed.append(part.locator)
    thumb = Thumbnail.objects.filter(file=file).exclude(backend="").first()
    if thumb is not None and not _shared(Thumbnail, thumb.locator, file):
        doomed.append(thumb.locator)
    sha256 = file.sha256
    thumb_sha = thumb.sha256 if thumb is not None else None
    problems: list[str] = []
    try:
        backend.unpublish(file)
    except JuneFSError as exc:
        problems.append(f"could not remove the published message: {exc}")
    with transaction.atomic():
        file.delete()
    for locator in doomed:
        try:
            backend.delete(locator)
        except (JuneFSError, OSError) as exc:
            problems.append(f"could not delete {locator}: {exc}")
    store = get_store()
    if not File.objects.filter(sha256=sha256).exists():
        store.delete(sha256)
    if thumb_sha and not Thumbnail.objects.filter(sha256=thumb_sha).exists():
        store.delete(thumb_sha)
    for problem in problems:
        log.warning("deleting file %s: %s", sha256, problem)
    return problems


def move_file(file: File, channel: Channel) -> File:
    """Move a file to another folder (its parts stay where they are)."""
    if file.channel_id == channel.pk:
        return file
    if File.objects.filter(channel=channel, sha256=file.sha256).exists():
        raise JuneFSError(f"{channel.name} already holds a file with these bytes")
    old_channel = file.channel
    file.channel = channel
    file.save(update_fields=["channel", "updated_at"])
    get_backend(file.backend).republish(file, old_channel)
    return file


def rename_file(file: File, new_name: str) -> File:
    """Give a file a new (cleaned) name."""
    name = clean_name(new_name)
    if not name:
        raise JuneFSError("the new name is empty")
    file.name = name
    file.save(update_fields=["name", "updated_at"])
    get_backend(file.backend).republish(file, file.channel)
    return file
