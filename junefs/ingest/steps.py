"""The steps of ingest, in order. Each has one job and a ``run(ctx) -> bool``.

A step raises :class:`~junefs.errors.IngestRejected` to refuse the input, or
returns ``False`` to end the run early with what is already there (a
duplicate).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from junefs import media
from junefs.errors import IngestRejected
from junefs.ingest.types import PILLOW_NATIVE, IngestContext, Step
from junefs.models import File, Part, Thumbnail
from junefs.names import clean_name
from junefs.sniff import SNIFF_BYTES, sniff
from junefs.spanning import SpanHasher


class Receive:
    """Copy the stream into the store, hashing the whole and each part in one pass."""

    name = "receive"

    def run(self, ctx: IngestContext) -> bool:
        limit = settings.JUNEFS_MAX_FILE_SIZE or None
        hasher = SpanHasher(ctx.part_size)
        writer = ctx.store.writer(max_size=limit)
        head = bytearray()
        try:
            while chunk := ctx.request.stream.read(1024 * 1024):
                writer.write(chunk)
                hasher.update(chunk)
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
            if writer.size == 0:
                raise IngestRejected("the file is empty (0 bytes)")
            ctx.sniffed = sniff(bytes(head))
            ctx.staged = writer.commit(ext=ctx.sniffed.ext)
        except IngestRejected as exc:
            writer.abort()
            if limit and writer.size > limit:
                raise IngestRejected(
                    f"the file is larger than the limit of {limit} bytes (JUNEFS_MAX_FILE_SIZE)"
                ) from None
            raise exc from None
        except BaseException:
            writer.abort()
            raise
        if ctx.staged.created:
            ctx.created_objects.append(ctx.staged.sha256)
        ctx.plan = hasher.finish()
        return True


class CleanName:
    """A safe name whose extension matches the content."""

    name = "clean-name"

    def run(self, ctx: IngestContext) -> bool:
        ctx.name = clean_name(ctx.request.name, ctx.sniffed)
        return True


class FindDuplicate:
    """Same bytes in the same folder: keep the one we have. Elsewhere: reuse its parts."""

    name = "find-duplicate"

    def run(self, ctx: IngestContext) -> bool:
        assert ctx.staged is not None
        unusable = (File.State.DAMAGED, File.State.MISSING)
        same_bytes = list(File.objects.filter(sha256=ctx.staged.sha256).order_by("id")[:50])
        for file in same_bytes:
            if file.channel_id == ctx.request.channel.pk:
                ctx.existing = file
                return False
        ctx.sibling = next((f for f in same_bytes if f.state not in unusable), None)
        return True


class Probe:
    """Dimensions, orientation, colour, darkness, perceptual hash and thumbnail."""

    name = "probe"

    def run(self, ctx: IngestContext) -> bool:
        assert ctx.staged is not None and ctx.sniffed is not None
        if ctx.sibling is not None and ctx.sibling.preview != File.Preview.FAILED:
            return True  # the same bytes were probed already; RecordFile copies the facts
        if ctx.sniffed.kind == "image" and not ctx.sniffed.active:
            self._image(ctx)
        elif ctx.sniffed.kind == "video":
            self._video(ctx)
        else:
            ctx.preview, ctx.preview_note = File.Preview.NONE, f"no preview for {ctx.sniffed.mime}"
        return True

    def _image(self, ctx: IngestContext) -> None:
        assert ctx.staged is not None and ctx.sniffed is not None
        try:
            ctx.facts = media.probe_image(ctx.staged.path)
        except IngestRejected:
            if ctx.sniffed.mime in PILLOW_NATIVE:
                raise
            ctx.preview = File.Preview.NONE
            ctx.preview_note = f"no decoder for {ctx.sniffed.mime}"
            return
        ctx.preview = File.Preview.READY
        ctx.dimensions = (ctx.facts.width, ctx.facts.height)

    def _video(self, ctx: IngestContext) -> None:
        assert ctx.staged is not None
        probe = media.probe_video(ctx.staged.path)
        ctx.duration = probe.duration
        ctx.dimensions = (probe.width, probe.height)
        ctx.facts = probe.facts
        if probe.facts is not None:
            ctx.preview = File.Preview.READY
        elif not probe.available:
            ctx.preview, ctx.preview_note = File.Preview.UNAVAILABLE, probe.note
        else:
            ctx.preview, ctx.preview_note = File.Preview.FAILED, probe.note


class StoreThumbnail:
    """Keep the thumbnail in the store until it is uploaded with the parts."""

    name = "store-thumbnail"

    def run(self, ctx: IngestContext) -> bool:
        if ctx.facts is not None:
            ctx.thumbnail = ctx.store.put_bytes(ctx.facts.thumbnail.data, ext="webp")
            if ctx.thumbnail.created:
                ctx.created_objects.append(ctx.thumbnail.sha256)
        return True


class RecordFile:
    """Write the File, its Parts and Thumbnail in one transaction."""

    name = "record"

    def run(self, ctx: IngestContext) -> bool:
        assert ctx.staged is not None and ctx.plan is not None and ctx.sniffed is not None
        request = ctx.request
        try:
            with transaction.atomic():
                file = File(
                    channel=request.channel,
                    name=ctx.name,
                    original_name=request.name[:255],
                    description=request.description,
                    size=ctx.staged.size,
                    sha256=ctx.staged.sha256,
                    mime=ctx.sniffed.mime,
                    kind=ctx.sniffed.kind,
                    backend=ctx.backend.name,
                    part_size=ctx.plan.part_size,
                    part_count=len(ctx.plan.parts),
                    created_at=request.created_at or timezone.now(),
                    uploader=request.uploader,
                    preview=ctx.preview,
                    preview_note=ctx.preview_note[:255],
                    duration=ctx.duration,
                    width=ctx.dimensions[0],
                    height=ctx.dimensions[1],
                )
                if ctx.facts is not None:
                    apply_facts(file, ctx.facts)
                if ctx.sibling is not None and ctx.facts is None:
                    copy_facts(ctx.sibling, file)
                file.save()
                self._record_parts(ctx, file)
                self._record_thumbnail(ctx, file)
        except IntegrityError:
            # Another ingest of the same bytes into the same folder won the race.
            existing = File.objects.filter(
                channel=request.channel, sha256=ctx.staged.sha256
            ).first()
            if existing is None:
                raise
            ctx.existing = existing
            return False
        ctx.file = file
        ctx.created_objects.clear()  # recorded: nothing to clean up any more
        return True

    def _record_parts(self, ctx: IngestContext, file: File) -> None:
        assert ctx.plan is not None
        reusable = {}
        sibling = ctx.sibling
        if sibling is not None and sibling.backend == file.backend:
            donors = sibling.parts.exclude(backend="")
            if sibling.discord_message_id is not None:
                # A mirrored attachment belongs to whoever posted it: never share it.
                donors = donors.exclude(message_id=sibling.discord_message_id)
            reusable = {(p.index, p.sha256): p for p in donors}
        parts = []
        for spec in ctx.plan.parts:
            part = Part(
                file=file, index=spec.index, offset=spec.offset, size=spec.size, sha256=spec.sha256
            )
            donor = reusable.get((spec.index, spec.sha256))
            if donor is not None:
                for name in Part.LOCATOR_FIELDS:
                    setattr(part, name, getattr(donor, name))
            parts.append(part)
        Part.objects.bulk_create(parts)

    def _record_thumbnail(self, ctx: IngestContext, file: File) -> None:
        if ctx.thumbnail is not None and ctx.facts is not None:
            Thumbnail.objects.create(
                file=file,
                sha256=ctx.thumbnail.sha256,
                size=ctx.thumbnail.size,
                width=ctx.facts.thumbnail.width,
                height=ctx.facts.thumbnail.height,
            )
        elif ctx.sibling is not None and hasattr(ctx.sibling, "thumbnail"):
            donor = ctx.sibling.thumbnail
            thumb = Thumbnail(
                file=file,
                sha256=donor.sha256,
                size=donor.size,
                width=donor.width,
                height=donor.height,
            )
            if donor.backend == file.backend:
                for name in Thumbnail.LOCATOR_FIELDS:
                    setattr(thumb, name, getattr(donor, name))
            thumb.save()


class QueueUpload:
    """Hand the file to the upload task (or upload it here, for the CLI)."""

    name = "queue-upload"

    def run(self, ctx: IngestContext) -> bool:
        assert ctx.file is not None
        file_id = ctx.file.id
        mode = ctx.request.upload
        if mode == "queue":
            from junefs.tasks import upload_file_task

            transaction.on_commit(lambda: upload_file_task.delay(file_id))
        elif mode == "inline":
            from junefs.upload import upload_file

            upload_file(file_id)
            ctx.file.refresh_from_db()
        return True


STEPS: Sequence[Step] = (
    Receive(),
    CleanName(),
    FindDuplicate(),
    Probe(),
    StoreThumbnail(),
    RecordFile(),
    QueueUpload(),
)


#: The File fields probing fills in (copied as a whole between files with the same bytes).
PROBED_FIELDS = (
    "width", "height", "orientation", "duration", "color_r", "color_g", "color_b",
    "is_dark", "phash", "preview", "preview_note",
)  # fmt: skip


def copy_facts(source: File, target: File) -> None:
    """Copy what probing found from a file with the same bytes."""
    for name in PROBED_FIELDS:
        setattr(target, name, getattr(source, name))


def apply_facts(target: File, facts: media.VisualFacts) -> None:
    """Orientation, colour, darkness and perceptual hash from a picture's probe."""
    target.orientation = facts.orientation
    target.color_r, target.color_g, target.color_b = facts.color
    target.is_dark, target.phash = facts.is_dark, facts.phash
