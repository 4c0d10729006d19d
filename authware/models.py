"""AuthWare's models: users, per-folder grants, Discord role links, tokens.

Ranks order what a user may do site-wide (janitor < moderator < admin);
grants say which folders (JuneFS channels) a user or a group may read, write
into or manage. Tokens let scripts (API tokens) and screens (device tokens)
act for a user without a session; only a hash of each token is stored.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.db.models import Q
from django.utils import timezone

PERM_LEVELS = {"read": 1, "write": 2, "manage": 3}


class User(AbstractUser):
    """A person who logs in. ``rank`` orders what they may do site-wide."""

    class Rank(models.IntegerChoices):
        VIEWER = 10, "viewer"
        JANITOR = 20, "janitor"
        MODERATOR = 30, "moderator"
        ADMIN = 40, "admin"

    rank = models.PositiveSmallIntegerField(choices=Rank.choices, default=Rank.VIEWER)
    discord_id = models.BigIntegerField(null=True, blank=True, unique=True)
    favourites_public = models.BooleanField(
        default=False, help_text="Let other signed-in users see this user's favourites."
    )

    def has_rank(self, rank: int) -> bool:
        """True when the user is at least ``rank`` (superusers are admins)."""
        return self.is_superuser or self.rank >= rank

    @property
    def is_admin(self) -> bool:
        return self.has_rank(self.Rank.ADMIN)


class Grant(models.Model):
    """Permission on one folder, to one user or one group.

    Levels include the ones below: ``manage`` ⊃ ``write`` ⊃ ``read``.
    """

    class Perm(models.TextChoices):
        READ = "read", "read"
        WRITE = "write", "write (upload)"
        MANAGE = "manage", "manage (move, rename, delete)"

    channel = models.ForeignKey("junefs.Channel", on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grants",
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    perm = models.CharField(max_length=6, choices=Perm.choices, default=Perm.READ)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False, group__isnull=True))
                | (Q(user__isnull=True, group__isnull=False)),
                name="grant_user_xor_group",
            ),
            models.UniqueConstraint(fields=["channel", "user"], name="grant_unique_user"),
            models.UniqueConstraint(fields=["channel", "group"], name="grant_unique_group"),
        ]
        indexes = [models.Index(fields=["user"], name="grant_user")]

    def __str__(self) -> str:
        who = f"user {self.user}" if self.user_id else f"group {self.group}"
        return f"{self.perm} on {self.channel} to {who}"


class DiscordRoleLink(models.Model):
    """Members holding this Discord role in this guild belong to ``group``."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="discord_roles")
    guild_id = models.BigIntegerField()
    role_id = models.BigIntegerField()
    note = models.CharField(max_length=100, blank=True, help_text="The role's name, for people.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "role_id"], name="discord_role_unique"),
        ]
        indexes = [models.Index(fields=["guild_id", "role_id"], name="discord_role_lookup")]

    def __str__(self) -> str:
        return f"role {self.role_id} → {self.group}"


def hash_token(raw: str) -> str:
    """Tokens carry 256 random bits, so one round of SHA-256 is the right hash."""
    return hashlib.sha256(raw.encode()).hexdigest()


class Token(models.Model):
    """An API token (scripts) or a device token (screens), acting for ``user``."""

    class Kind(models.TextChoices):
        API = "api", "API token"
        DEVICE = "device", "device token"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.API)
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    can_write = models.BooleanField(
        default=False, help_text="Off: read-only. Device tokens are always read-only."
    )
    channels = models.ManyToManyField(
        "junefs.Channel",
        blank=True,
        related_name="+",
        help_text="Limit the token to these folders (empty: every folder the user can read).",
    )
    folders_only = models.BooleanField(
        default=False,
        help_text="Only the listed folders, even when none are listed (a screen paired "
        "to a display profile gets its profile's folders).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.prefix}… ({self.name})"

    @property
    def writable(self) -> bool:
        return self.can_write and self.kind == self.Kind.API

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


class AccessVersion(models.Model):
    """One row whose ``value`` changes whenever anything access depends on changes.

    Grants, group memberships, Discord role links, folders and users bump it
    (see :mod:`authware.signals`); :mod:`authware.access` keys its per-user
    cache on it, so a changed grant is seen by every process on its next
    request, with one tiny query per request instead of several.
    """

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"access version {self.value}"
