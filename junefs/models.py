"""JuneFS: the index of everything Sequenzia stores.

A ``Server`` is a Discord guild (or, for the local and storages backends, a
named place); a ``Channel`` is a folder; a ``File`` is one stored item; a
``Part`` is one spanned piece of a file's bytes as a backend holds it; a
``Thumbnail`` is the file's preview image. Parts and thumbnails share the
``StoredObject`` fields: what the bytes are (sha256, size) and where a backend
keeps them (a locator: ids for Discord, a key for the others, plus a cached
URL with its expiry, never trusted on its own).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from junefs.words import MAX_WORD_LENGTH, index_words, joined

if TYPE_CHECKING:
    from junefs.backends.base import Locator


class Server(models.Model):
    """A guild and its system channels (parts, thumbnails, archive)."""

    name = models.CharField(max_length=100, unique=True)
    guild_id = models.BigIntegerField(null=True, blank=True, unique=True)
    parts_channel_ids = models.JSONField(
        default=list, blank=True, help_text="Discord channel ids that receive spanned parts."
    )
    thumbnails_channel_id = models.BigIntegerField(null=True, blank=True)
    archive_channel_id = models.BigIntegerField(null=True, blank=True)
    attachment_limit = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Largest attachment this guild accepts, in bytes (boost tiers raise it). "
        "Empty means the backend's default.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def default(cls) -> Server:
        """The server new folders go to when none is named."""
        server = cls.objects.order_by("id").first()
        if server is None:
            server, _ = cls.objects.get_or_create(name="Sequenzia")
        return server


class Channel(models.Model):
    """A folder. Categories group folders; classes group categories."""

    server = models.ForeignKey(Server, on_delete=models.PROTECT, related_name="channels")
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=100, blank=True)
    class_name = models.CharField("class", max_length=100, blank=True)
    description = models.TextField(blank=True)
    nsfw = models.BooleanField("NSFW", default=False)
    position = models.IntegerField(default=0)
    discord_channel_id = models.BigIntegerField(
        null=True, blank=True, unique=True, help_text="The Discord channel this folder mirrors."
    )
    discord_last_message_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Newest Discord message the mirror applied here; after a restart or a "
        "takeover it reads the history after this one. Empty: not mirrored yet.",
    )
    keep_cached = models.BooleanField(
        default=False, help_text="Keep this folder's files in the local cache (autofetch)."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["class_name", "category", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["server", "name"], name="channel_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


def random_key() -> int:
    """A file's place in the shuffled order (see ``File.shuffle``)."""
    return random.getrandbits(31)


class BinaryCollation:
    """A column of normalised words (see :mod:`junefs.words`), compared code point by
    code point. MariaDB's usual collations would call ``resume`` and ``résumé`` (or
    ``a`` and ``A``) equal; words are normalised already, so the column compares bytes:
    equality, uniqueness, LIKE and prefix ranges mean what Python means."""

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        params: dict[str, Any] = super().db_parameters(connection)  # type: ignore[misc]
        if connection.vendor == "mysql":
            params["collation"] = "utf8mb4_bin"
        elif connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class WordField(BinaryCollation, models.CharField):  # type: ignore[type-arg]
    """One normalised word."""


class WordsField(BinaryCollation, models.TextField):  # type: ignore[type-arg]
    """Normalised words, each with a space before and after (``" sunset beach "``)."""


#: File fields the word index (:class:`FileWord`) copies or is made from.
WORD_SOURCE_FIELDS = frozenset({"name", "description"})
WORD_PLACE_FIELDS = frozenset({"channel", "channel_id", "created_at"})


class FileQuerySet(models.QuerySet["File", "File"]):
    """File rows and their words change together.

    ``save()`` (and so ``create``, the admin, every form), ``bulk_create``,
    ``update`` and ``bulk_update`` keep :class:`FileWord` and
    ``File.search_words`` in step with a file's name, description, folder and
    date; deletes cascade. Only raw SQL must call
    :func:`junefs.word_index.reindex_files` itself.
    """

    def bulk_create(
        self,
        objs: Iterable[Any],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[Any]:
        from junefs.word_index import index_new_files

        objs = list(objs)
        for obj in objs:
            obj.search_words = joined(index_words(obj.name, obj.description))
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(
                objs, batch_size, ignore_conflicts, update_conflicts, update_fields, unique_fields
            )
            index_new_files(list(created), conflicts=ignore_conflicts or update_conflicts)
        return created

    def update(self, **kwargs: Any) -> int:
        if not (WORD_SOURCE_FIELDS | WORD_PLACE_FIELDS) & kwargs.keys():
            return super().update(**kwargs)
        from junefs.word_index import reindex_files

        with transaction.atomic(using=self.db, savepoint=False):
            # Lock the rows first: the UPDATE's own condition still decides (a
            # conditional claim stays a claim), and no other writer slips in between.
            ids = list(self.select_for_update().values_list("pk", flat=True))
            changed = super().update(**kwargs)
            reindex_files(ids)
        return changed

    def bulk_update(
        self, objs: Iterable[Any], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        objs, fields = list(objs), list(fields)
        if not (WORD_SOURCE_FIELDS | WORD_PLACE_FIELDS) & set(fields):
            return super().bulk_update(objs, fields, batch_size)
        from junefs.word_index import reindex_files

        if WORD_SOURCE_FIELDS & set(fields):
            for obj in objs:
                obj.search_words = joined(index_words(obj.name, obj.description))
            fields.append("search_words")

        with transaction.atomic(using=self.db, savepoint=False):
            changed = super().bulk_update(objs, fields, batch_size)
            reindex_files([o.pk for o in objs])
        return changed


FileManager = models.Manager.from_queryset(FileQuerySet)


class File(models.Model):
    """One stored item, in one folder."""

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        #: A Discord attachment the mirror recorded; its bytes are not read yet, so
        #: sha256 is a stand-in (see :func:`unread_sha256`) until the task fills it.
        INDEXING = "indexing", "on Discord, not read yet"
        UPLOADING = "uploading", "uploading"
        COMPLETE = "complete", "complete"
        FAILED = "failed", "failed"
        MISSING = "missing", "missing"
        DAMAGED = "damaged", "damaged"

    class Kind(models.TextChoices):
        IMAGE = "image", "image"
        VIDEO = "video", "video"
        AUDIO = "audio", "audio"
        OTHER = "other", "other"

    class Preview(models.TextChoices):
        READY = "ready", "ready"
        NONE = "none", "no preview for this type"
        UNAVAILABLE = "unavailable", "no preview (tool missing)"
        FAILED = "failed", "preview failed"

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="files")
    name = models.CharField(max_length=255)
    original_name = models.CharField(
        max_length=255, blank=True, help_text="The name as given, before it was made safe."
    )
    description = models.TextField(blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    mime = models.CharField("MIME type", max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    orientation = models.PositiveSmallIntegerField(
        default=1, help_text="EXIF orientation (1-8); width/height are as displayed."
    )
    duration = models.FloatField(null=True, blank=True, help_text="Seconds, for video/audio.")
    color_r = models.PositiveSmallIntegerField(null=True, blank=True)
    color_g = models.PositiveSmallIntegerField(null=True, blank=True)
    color_b = models.PositiveSmallIntegerField(null=True, blank=True)
    is_dark = models.BooleanField(null=True, blank=True)
    phash = models.BigIntegerField(
        null=True, blank=True, help_text="64-bit perceptual hash (signed), for near duplicates."
    )
    preview = models.CharField(max_length=12, choices=Preview.choices, default=Preview.NONE)
    preview_note = models.CharField(max_length=255, blank=True)

    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    state_note = models.TextField(blank=True)
    backend = models.CharField(max_length=20)
    part_size = models.PositiveBigIntegerField()
    part_count = models.PositiveIntegerField()
    discord_message_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    discord_attachment_id = models.BigIntegerField(null=True, blank=True)

    created_at = models.DateTimeField(
        default=timezone.now, help_text="When the content was made or posted (UTC)."
    )
    uploaded_at = models.DateTimeField(default=timezone.now, help_text="When it entered (UTC).")
    updated_at = models.DateTimeField(auto_now=True)
    upload_lease_until = models.DateTimeField(null=True, blank=True)
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    rotation = models.PositiveSmallIntegerField(
        default=0, help_text="Extra clockwise rotation for display (0, 90, 180, 270)."
    )
    shuffle = models.PositiveIntegerField(
        default=random_key,
        help_text="A random key, indexed: random order and random picks without ORDER BY RAND().",
    )
    search_words = WordsField(
        default="",
        db_default="",
        blank=True,
        editable=False,
        help_text="The words of the name and description (junefs.words), space around each: "
        "a search checks a row with LIKE '% word%', as cheap as a substring and as exact as "
        "the word index (FileWord). Kept in step with them by save() and File's queryset.",
    )

    objects = FileManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The same bytes once per folder; other folders share the parts.
            models.UniqueConstraint(fields=["channel", "sha256"], name="file_unique_per_channel"),
            # A Discord attachment is mirrored as one file at most (events may repeat).
            models.UniqueConstraint(
                fields=["discord_attachment_id"], name="file_unique_discord_attachment"
            ),
        ]
        indexes = [
            models.Index(fields=["channel", "-created_at", "-id"], name="file_channel_date"),
            models.Index(fields=["-created_at", "-id"], name="file_date"),
            models.Index(fields=["sha256"], name="file_sha256"),
            models.Index(fields=["state", "updated_at"], name="file_state"),
            models.Index(fields=["channel", "name"], name="file_channel_name"),
            models.Index(fields=["name", "id"], name="file_name"),
            models.Index(fields=["size", "id"], name="file_size"),
            models.Index(fields=["shuffle", "id"], name="file_shuffle"),
            # A screen's walk round one folder's files (sequenzia.ads.selection).
            models.Index(fields=["channel", "shuffle", "id"], name="file_channel_shuffle"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, and keep the file's words (:class:`FileWord`) in step, in one transaction."""
        from junefs.word_index import index_saved_file

        adding = self._state.adding
        fresh = adding and self.pk is None  # a new id: no words can exist yet
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            changed: set[str] | None = set(update_fields)
        elif args or adding:
            changed = None  # everything
        else:
            # Django saves only the loaded fields of a partly loaded instance.
            changed = {f.name for f in self._meta.concrete_fields} - self.get_deferred_fields()
        if changed is None or changed & WORD_SOURCE_FIELDS:
            self.search_words = joined(index_words(self.name, self.description))
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_words"}
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)
            if changed is None or changed & WORD_SOURCE_FIELDS:
                index_saved_file(self, new=fresh)
            elif changed & WORD_PLACE_FIELDS:
                index_saved_file(self, new=False, words=False)

    @property
    def color_hex(self) -> str:
        if self.color_r is None or self.color_g is None or self.color_b is None:
            return ""
        return f"#{self.color_r:02x}{self.color_g:02x}{self.color_b:02x}"

    @property
    def extension(self) -> str:
        _, dot, ext = self.name.rpartition(".")
        return ext.lower() if dot else ""


class FileWord(models.Model):
    """One word of a file's name or description: the search box's index.

    ``channel`` and ``created_at`` are copies of the file's, kept in step
    (:mod:`junefs.word_index`), so that "files with this word, in these
    folders, newest first, after this one" is one range scan of
    ``fileword_word_date`` that stops after a page, whatever the word's
    rarity. Access never rests on the copy: searches filter the file's own
    folder as well.
    """

    word = WordField(max_length=MAX_WORD_LENGTH)
    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="words", db_index=False)
    # A copy, not a relation: no constraint or index of its own (the file's folder is PROTECTed).
    channel = models.ForeignKey(
        Channel, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "word"], name="fileword_file_word"),
        ]
        indexes = [
            # Covers the word search: word, then the date order, and the folder to filter on.
            models.Index(
                fields=["word", "-created_at", "-file", "channel"], name="fileword_word_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.word} in file {self.file_id}"


def unread_sha256(attachment_id: int) -> str:
    """The stand-in sha256 of a mirrored attachment whose bytes are not read yet.

    The attachment id as 64 hex digits: unique per attachment, so the (channel,
    sha256) constraint holds, and never a real digest (that would take 48
    leading zero digits). Only files in state ``indexing`` carry one.
    """
    return f"{attachment_id:064x}"


class StoredObject(models.Model):
    """Bytes a backend holds: what they are, and where (the locator)."""

    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    backend = models.CharField(
        max_length=20, blank=True, help_text="Empty until the backend confirmed the bytes."
    )
    key = models.CharField(max_length=400, blank=True, help_text="Path or key (local, storages).")
    channel_id = models.BigIntegerField(null=True, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    attachment_id = models.BigIntegerField(null=True, blank=True)
    url = models.TextField(blank=True, help_text="Cached download URL; see url_expires_at.")
    url_expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def confirmed(self) -> bool:
        return bool(self.backend)

    @property
    def locator(self) -> Locator:
        from junefs.backends.base import Locator

        return Locator(
            backend=self.backend,
            key=self.key,
            channel_id=self.channel_id,
            message_id=self.message_id,
            attachment_id=self.attachment_id,
            url=self.url,
            url_expires_at=self.url_expires_at,
        )

    def set_locator(self, locator: Locator) -> None:
        self.backend = locator.backend
        self.key = locator.key
        self.channel_id = locator.channel_id
        self.message_id = locator.message_id
        self.attachment_id = locator.attachment_id
        self.url = locator.url
        self.url_expires_at = locator.url_expires_at
        self.confirmed_at = timezone.now()

    LOCATOR_FIELDS = (
        "backend",
        "key",
        "channel_id",
        "message_id",
        "attachment_id",
        "url",
        "url_expires_at",
        "confirmed_at",
    )


class Part(StoredObject):
    """One spanned piece of a file: bytes [offset, offset + size)."""

    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveIntegerField()
    offset = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["file", "index"]
        constraints = [
            models.UniqueConstraint(fields=["file", "index"], name="part_unique_index"),
        ]
        indexes = [models.Index(fields=["sha256"], name="part_sha256")]

    def __str__(self) -> str:
        return f"part {self.index} of file {self.file_id}"


class Thumbnail(StoredObject):
    """The preview image of a file (WebP)."""

    file = models.OneToOneField(File, on_delete=models.CASCADE, related_name="thumbnail")
    mime = models.CharField(max_length=50, default="image/webp")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"thumbnail of file {self.file_id}"


class ProcessLease(models.Model):
    """Who may run a singleton process (the Discord I/O client) until when.

    Taken and renewed with conditional UPDATEs compared against the database's
    clock, so several machines agree on expiry whatever their own clocks say.
    Used when there is no Redis (see ``junefs.discord_io.lease``).
    """

    name = models.CharField(max_length=100, unique=True)
    holder = models.CharField(max_length=200)
    expires_at = models.DateTimeField()
    acquired_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder}"
