"""The gallery's own records: favourites, albums, history, hidden folders, flags."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from junefs.models import Channel, File


class Favourite(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites"
    )
    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "file"], name="favourite_unique"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="favourite_user_date"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ♥ {self.file_id}"


class Album(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    public = models.BooleanField(
        default=False, help_text="Other signed-in users can see it (files they may read)."
    )
    cover = models.ForeignKey(
        File, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name


class AlbumItem(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="items")
    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="album_items")
    position = models.PositiveIntegerField(default=0)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["album", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["album", "file"], name="album_item_unique"),
        ]
        indexes = [models.Index(fields=["album", "position", "id"], name="album_item_order")]

    def __str__(self) -> str:
        return f"{self.file_id} in {self.album_id} at {self.position}"


class HistoryEntry(models.Model):
    """A query a user ran or a file they opened, newest first."""

    class Kind(models.TextChoices):
        QUERY = "query", "query"
        FILE = "file", "file"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="history"
    )
    kind = models.CharField(max_length=5, choices=Kind.choices)
    query = models.CharField(max_length=1000, blank=True, help_text="The URL query string.")
    file = models.ForeignKey(File, null=True, blank=True, on_delete=models.CASCADE)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "history entries"
        indexes = [models.Index(fields=["user", "-at"], name="history_user_at")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.query or self.file_id}"


class HiddenFolder(models.Model):
    """A folder a user chose not to see in their sidebar and gallery."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hidden_folders"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="hidden_folder_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} hides {self.channel}"

    @staticmethod
    def ids_for(user_id: int, version: int) -> frozenset[int]:
        """The folders ``user_id`` hid, cached per access version (hiding bumps it)."""
        from authware import access

        return access.versioned(
            f"sequenzia:hidden:{user_id}:{version}",
            lambda: frozenset(
                HiddenFolder.objects.filter(user_id=user_id).values_list("channel_id", flat=True)
            ),
        )


class Flag(models.Model):
    """A report that a file needs a moderator (janitors and up raise and review them)."""

    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="flags")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"flag on {self.file_id}: {self.reason[:40]}"
