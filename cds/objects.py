"""What CDS serves, described once: a :class:`Servable` made of :class:`Segment` s.

A servable is one representation with one ETag (its sha256): a file, a
thumbnail, a rendition, or (for peers) any object by hash. Its segments are
the pieces a backend keeps and a sha256 can check: a file's parts, or the
whole object. Each segment also says where its bytes sit inside the whole
file, so a cached unpacked file can stand in for any of its parts.

Everything here reads the database and is synchronous; the async views call
it through ``sync_to_async`` once per request, and nothing after that touches
the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from cds.imaging import FORMATS
from cds.models import AccessRecord, Rendition
from junefs.backends import Locator
from junefs.models import File, Part, Thumbnail
from junefs.store import ContentStore, check_sha256


@dataclass(frozen=True)
class Segment:
    """``size`` bytes at ``offset`` of the servable, that hash to ``sha256``."""

    index: int
    offset: int
    size: int
    sha256: str
    #: The whole object that holds these bytes at ``whole_offset`` (itself
    #: for an unspanned object), which the store may have unpacked.
    whole_sha256: str
    whole_offset: int
    #: Where the backend keeps the segment; None when it never got it.
    locator: Locator | None = None
    part_id: int | None = None
    #: Extension for the object when the store keeps it on its own.
    ext: str = "part"
    #: The locator is read only if the backend is needed (see :func:`part_locator`).
    file_id: int | None = None
    locator_pending: bool = False


@dataclass(frozen=True)
class Servable:
    kind: str
    sha256: str
    size: int
    mime: str
    name: str
    ext: str
    last_modified: datetime
    segments: tuple[Segment, ...]
    file_id: int | None = None
    #: Other hashes that name these bytes (a thumbnail's or rendition's file) for the block list.
    related_hashes: tuple[str, ...] = ()
    state: str = File.State.COMPLETE
    #: Answer from the local store only (requests from peer nodes).
    store_only: bool = False

    @property
    def spanned(self) -> bool:
        return len(self.segments) > 1

    @property
    def block_hashes(self) -> tuple[str, ...]:
        return (self.sha256, *self.related_hashes)


class NotServable(Exception):
    """The index does not describe bytes that can be served (missing parts)."""


def _locator(obj: Part | Thumbnail) -> Locator | None:
    return obj.locator if obj.confirmed else None


def file_servable(file: File) -> Servable:
    """A file, from its parts.

    An unspanned file's one part is the whole file (same bytes, same hash),
    so its row is read only when the bytes must come from the backend: most
    requests (cached images, previews) then cost one query less.
    """
    segments: tuple[Segment, ...]
    if file.part_count == 1:
        segments = (
            Segment(
                index=0,
                offset=0,
                size=file.size,
                sha256=file.sha256,
                whole_sha256=file.sha256,
                whole_offset=0,
                ext=file.extension,
                file_id=file.pk,
                locator_pending=True,
            ),
        )
    else:
        parts = list(Part.objects.filter(file=file).order_by("index"))
        if len(parts) != file.part_count or sum(p.size for p in parts) != file.size:
            raise NotServable(
                f"file {file.pk} has {len(parts)} of {file.part_count} parts recorded"
            )
        segments = tuple(
            Segment(
                index=p.index,
                offset=p.offset,
                size=p.size,
                sha256=p.sha256,
                whole_sha256=file.sha256,
                whole_offset=p.offset,
                locator=_locator(p),
                part_id=p.pk,
            )
            for p in parts
        )
    return Servable(
        kind=AccessRecord.Kind.FILE,
        sha256=file.sha256,
        size=file.size,
        mime=file.mime,
        name=file.name,
        ext=file.extension,
        last_modified=file.uploaded_at,
        segments=segments,
        file_id=file.pk,
        state=file.state,
    )


def part_locator(file_id: int, index: int) -> tuple[Locator | None, int | None]:
    """The locator (None if never confirmed) and row id of a file's part."""
    part = Part.objects.filter(file_id=file_id, index=index).first()
    if part is None:
        return None, None
    return _locator(part), part.pk


def thumbnail_servable(file: File) -> Servable | None:
    """A file's preview image, or None when it has none."""
    thumb = Thumbnail.objects.filter(file=file).first()
    if thumb is None:
        return None
    segment = Segment(
        index=0,
        offset=0,
        size=thumb.size,
        sha256=thumb.sha256,
        whole_sha256=thumb.sha256,
        whole_offset=0,
        locator=_locator(thumb),
        ext="webp",
    )
    stem = file.name.rsplit(".", 1)[0] if "." in file.name else file.name
    return Servable(
        kind=AccessRecord.Kind.THUMBNAIL,
        sha256=thumb.sha256,
        size=thumb.size,
        mime=thumb.mime,
        name=f"{stem}.webp",
        ext="webp",
        last_modified=thumb.confirmed_at or file.uploaded_at,
        segments=(segment,),
        file_id=file.pk,
        related_hashes=(file.sha256,),
        state=file.state,
    )


def rendition_servable(source: Servable, rendition: Rendition) -> Servable:
    """A rendition of a file (``source``, as :func:`file_servable` describes it).

    Its one segment is the rendition's own object in the store; no backend
    holds it (a missing one is made again, see :mod:`cds.renditions`).
    """
    segment = Segment(
        index=0,
        offset=0,
        size=rendition.size,
        sha256=rendition.sha256,
        whole_sha256=rendition.sha256,
        whole_offset=0,
        ext=rendition.format,
    )
    stem = source.name.rsplit(".", 1)[0] if "." in source.name else source.name
    box = f"{rendition.box_width}x{rendition.box_height}"
    return Servable(
        kind=AccessRecord.Kind.RENDITION,
        sha256=rendition.sha256,
        size=rendition.size,
        mime=FORMATS[rendition.format].mime,
        name=f"{stem}-{box}.{rendition.format}",
        ext=rendition.format,
        last_modified=rendition.created_at,
        segments=(segment,),
        file_id=source.file_id,
        related_hashes=(source.sha256,),
        state=source.state,
    )


def object_servable(sha256: str, store: ContentStore) -> Servable | None:
    """Any object by hash, for a peer node: from this node's store only.

    The store may hold it as an object of its own, or (for a part) inside
    the unpacked whole file. Returns None when neither is here.
    """
    check_sha256(sha256)
    related: set[str] = set()
    owner = File.objects.filter(sha256=sha256).order_by("id").first()
    part = Part.objects.filter(sha256=sha256).select_related("file").order_by("id").first()
    thumb = Thumbnail.objects.filter(sha256=sha256).select_related("file").first()
    for row in (part, thumb):
        if row is not None:
            related.add(row.file.sha256)
    related.update(Rendition.objects.filter(sha256=sha256).values_list("source_sha256", flat=True))
    path = store.find(sha256)
    if path is not None:
        size = path.stat().st_size
        whole_sha, whole_offset = sha256, 0
    elif part is not None and part.file.sha256 != sha256 and store.exists(part.file.sha256):
        size = part.size
        whole_sha, whole_offset = part.file.sha256, part.offset
    else:
        return None
    mime = owner.mime if owner else "application/octet-stream"
    segment = Segment(0, 0, size, sha256, whole_sha, whole_offset)
    return Servable(
        kind=AccessRecord.Kind.PEER,
        sha256=sha256,
        size=size,
        mime=mime,
        name=sha256,
        ext="",
        last_modified=owner.uploaded_at if owner else timezone.now(),
        segments=(segment,),
        file_id=owner.pk if owner else None,
        related_hashes=tuple(related - {sha256}),
        store_only=True,
    )
