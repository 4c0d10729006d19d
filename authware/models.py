"""The user model. Custom from the first migration so later fields are cheap."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who logs in. ``rank`` orders what they may do site-wide."""

    class Rank(models.IntegerChoices):
        VIEWER = 10, "viewer"
        JANITOR = 20, "janitor"
        MODERATOR = 30, "moderator"
        ADMIN = 40, "admin"

    rank = models.PositiveSmallIntegerField(choices=Rank.choices, default=Rank.VIEWER)
    discord_id = models.BigIntegerField(null=True, blank=True, unique=True)

    def has_rank(self, rank: int) -> bool:
        """True when the user is at least ``rank`` (superusers are admins)."""
        return self.is_superuser or self.rank >= rank
