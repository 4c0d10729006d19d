"""What the content server records: the block list, the access audit, share links, renditions.

The bytes themselves live in JuneFS (the store and the backends); CDS keeps
only the rules about serving them, the record of what it served, and which
resized renditions it made (their bytes are objects in the local store).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from junefs.models import File

sha256_validator = RegexValidator(r"^[0-9a-f]{64}$", "64 lowercase hexadecimal digits.")


class BlockedHash(models.Model):
    """Bytes that must not be served, whoever asks and by whatever path."""

    class Status(models.IntegerChoices):
        FORBIDDEN = 403, "403 Forbidden"
        NOT_FOUND = 404, "404 Not Found (as if it did not exist)"
        LEGAL = 451, "451 Unavailable For Legal Reasons"

    sha256 = models.CharField(max_length=64, unique=True, validators=[sha256_validator])
    status = models.PositiveSmallIntegerField(choices=Status.choices, default=Status.FORBIDDEN)
    reason = models.CharField(
        max_length=500, help_text="Shown with 403 and 451 answers; kept for the record with 404."
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "blocked hash"

    def __str__(self) -> str:
        return f"{self.sha256[:16]}… ({self.status})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.sha256 = self.sha256.strip().lower()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean_fields(self, exclude: object = None) -> None:
        self.sha256 = self.sha256.strip().lower()  # pasted hashes are often upper case
        super().clean_fields(exclude=exclude)  # type: ignore[arg-type]


class AccessRecord(models.Model):
    """One request for bytes: who, what, how much, and how it ended."""

    class Kind(models.TextChoices):
        FILE = "file", "file"
        THUMBNAIL = "thumbnail", "thumbnail"
        HASH = "hash", "by hash"
        SHARE = "share", "share link"
        PEER = "peer", "peer node"
        RENDITION = "rendition", "rendition"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    credential = models.CharField(
        max_length=100,
        blank=True,
        help_text="How the requester was known: user, device token, share link, peer node.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.PositiveSmallIntegerField()
    bytes_sent = models.PositiveBigIntegerField(default=0)
    range_start = models.PositiveBigIntegerField(null=True, blank=True)
    range_end = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Last byte asked for (inclusive), as in Content-Range."
    )
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    via = models.CharField(
        max_length=10,
        blank=True,
        help_text="django (streamed here), nginx (X-Accel-Redirect) or nginx-log (the fast "
        "path: nginx answered, the record is from its log).",
    )
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    # NULL for records Django wrote (NULLs never collide under UNIQUE); set for
    # those read from nginx's log, so a line read twice is one record.
    request_id = models.CharField(
        max_length=32,
        null=True,
        blank=True,
        unique=True,
        help_text="nginx's request id, for requests read from its log (the fast path).",
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["status", "-at"], name="cds_access_status")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.file_id or self.sha256[:12]}"

    @property
    def range_text(self) -> str:
        if self.range_start is None:
            return ""
        return f"{self.range_start}-{'' if self.range_end is None else self.range_end}"


class NginxLogPosition(models.Model):
    """How far the audit has read an nginx access log (the fast path's, see cds.nginxlog)."""

    path = models.CharField(max_length=500, unique=True)
    inode = models.PositiveBigIntegerField(default=0)
    offset = models.PositiveBigIntegerField(default=0)
    head = models.CharField(
        max_length=64, blank=True, help_text="sha256 of the file's first line (tells truncation)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.path} at {self.offset}"


class ShareLinkQuerySet(models.QuerySet["ShareLink"]):
    def live(self) -> ShareLinkQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ShareLink(models.Model):
    """A signed, expiring link to one file that works without a login."""

    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="share_links")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    uses = models.PositiveIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"share link {self.pk} to file {self.file_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @staticmethod
    def default_lifetime() -> timedelta:
        return timedelta(days=min(7, settings.CDS_SHARE_MAX_DAYS))


class Rendition(models.Model):
    """A resized copy of an image file, made once and kept in the local store.

    Its bytes are an object of their own in the store (``<sha256>.webp`` or
    ``.jpg``), regenerable from the source, so the cache may evict them: a
    row whose object is gone is made again on the next request. Renditions
    belong to the source's bytes and rotation, not to one file row: files
    with the same sha256 and rotation share them (``source`` is the file it
    was first made for). See :mod:`cds.imaging` for what the box means.
    """

    class Format(models.TextChoices):
        WEBP = "webp", "WebP"
        JPG = "jpg", "JPEG"

    source = models.ForeignKey(File, on_delete=models.CASCADE, related_name="renditions")
    source_sha256 = models.CharField(max_length=64, validators=[sha256_validator])
    rotation = models.PositiveSmallIntegerField(
        default=0, help_text="The file's extra clockwise rotation it was made with (degrees)."
    )
    box_width = models.PositiveSmallIntegerField(help_text="The (bucketed) box it covers.")
    box_height = models.PositiveSmallIntegerField()
    format = models.CharField(max_length=4, choices=Format.choices)
    sha256 = models.CharField(
        max_length=64,
        db_index=True,
        validators=[sha256_validator],
        help_text="The rendition's own (its ETag).",
    )
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_sha256", "rotation", "box_width", "box_height", "format"],
                name="rendition_unique_box",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_sha256[:12]}… {self.box_width}x{self.box_height}.{self.format}"
