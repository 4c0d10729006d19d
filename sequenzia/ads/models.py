"""ADS/DWS records: what a screen shows (profile), the screens (displays), pairing.

A profile's pool is a gallery query (the same string the gallery puts in its
URL), read with the profile owner's access. A display walks that pool on the
``File.shuffle`` circle (see :mod:`sequenzia.ads.selection`): a
:class:`DisplayRound` remembers where the current round started and where the
display is; a round ends when the circle comes back to its start (every image
shown once) or, with ``repeat_days``, when it is that old. Night mode's dark
images have a round of their own, so the day's round is not disturbed.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from authware.models import Token
from junefs.models import File

#: Shortest interval a person can choose in the profile form (tests set less in the DB).
MIN_INTERVAL_MS = 2000


class DisplayProfile(models.Model):
    """What a screen shows and how. Owned by one user; read with their access."""

    class Transition(models.TextChoices):
        CUT = "cut", "cut"
        CROSSFADE = "crossfade", "crossfade"

    class Fit(models.TextChoices):
        AUTO = "auto", "automatic (cover when the shapes are close, else contain)"
        CONTAIN = "contain", "contain (whole image, bars)"
        COVER = "cover", "cover (fill the screen, crop)"

    class Night(models.TextChoices):
        OFF = "off", "off"
        DARK = "dark", "prefer dark images"
        DIM = "dim", "dim the screen"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="display_profiles"
    )
    name = models.CharField(max_length=60)
    query = models.CharField(
        max_length=2000,
        blank=True,
        help_text="A gallery query string (folders, filters, search), as in the gallery's URL.",
    )
    interval_ms = models.PositiveIntegerField(default=15000)
    transition = models.CharField(
        max_length=10, choices=Transition.choices, default=Transition.CROSSFADE
    )
    fit = models.CharField(max_length=8, choices=Fit.choices, default=Fit.AUTO)
    show_clock = models.BooleanField(default=True)
    show_date = models.BooleanField(default=False)
    show_caption = models.BooleanField("show file name and folder", default=False)
    show_qr = models.BooleanField("show a QR code to the file page", default=False)
    night_mode = models.CharField(max_length=4, choices=Night.choices, default=Night.OFF)
    night_start = models.TimeField(default=dt.time(22, 0))
    night_end = models.TimeField(default=dt.time(7, 0))
    dim_percent = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(0), MaxValueValidator(95)]
    )
    avoid_repeats = models.BooleanField(
        default=True, help_text="Show every image once before any comes back."
    )
    repeat_days = models.PositiveIntegerField(
        default=0, help_text="Also start a new round after this many days (0: only when all shown)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["owner", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="ads_profile_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.owner})"


class Display(models.Model):
    """One screen showing one profile: a paired TV (``token``) or a signed-in browser."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="displays"
    )
    profile = models.ForeignKey(DisplayProfile, on_delete=models.CASCADE, related_name="displays")
    name = models.CharField(max_length=60)
    token = models.OneToOneField(
        Token,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="display",
        help_text="The device token of a paired screen (read-only, this profile only).",
    )
    follow = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followers",
        help_text="Mirror this display: show what it shows.",
    )
    api_token = models.ForeignKey(
        Token,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="wallpaper_displays",
        help_text="A wallpaper client (DWS) asking with this API token: its own history.",
    )
    current = models.ForeignKey(
        File, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: The access version the token's folder list was last computed for.
    scope_version = models.BigIntegerField(null=True, blank=True, editable=False)
    screen_width = models.PositiveIntegerField(null=True, blank=True)
    screen_height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["owner", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["api_token", "profile"], name="ads_display_unique_wallpaper_client"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.profile.name}"

    @property
    def active(self) -> bool:
        """A paired screen is active while its token is; a browser display always is."""
        return self.token is None or self.token.is_active()


class DisplayRound(models.Model):
    """Where a display is in its walk round the pool's shuffle circle (one per lane)."""

    class Lane(models.TextChoices):
        ALL = "all", "every image of the pool"
        DARK = "dark", "dark images (night mode)"

    display = models.ForeignKey(Display, on_delete=models.CASCADE, related_name="rounds")
    lane = models.CharField(max_length=4, choices=Lane.choices, default=Lane.ALL)
    #: The point of the circle where this round began.
    start = models.BigIntegerField()
    #: The round passed the top of the circle and goes on from 0 up to ``start``.
    wrapped = models.BooleanField(default=False)
    #: The last file shown (its shuffle key and id); None before the first.
    cursor_shuffle = models.BigIntegerField(null=True, blank=True)
    cursor_id = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    shown = models.PositiveIntegerField(default=0, help_text="Images shown in this round.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["display", "lane"], name="ads_round_unique_lane"),
        ]

    def __str__(self) -> str:
        return f"display {self.display_id} {self.lane}: {self.shown} shown"


class DisplayHistory(models.Model):
    """What a display showed, newest last (for Back, and for DWS clients). Kept short."""

    display = models.ForeignKey(Display, on_delete=models.CASCADE, related_name="history")
    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="+")
    shown_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["display", "-id"], name="ads_history_display")]

    def __str__(self) -> str:
        return f"{self.display_id}: {self.file_id} at {self.shown_at:%Y-%m-%d %H:%M}"


class Pairing(models.Model):
    """A TV asking to be paired: it shows ``code``; a signed-in person approves it.

    The TV holds a random secret (only its hash is here) and polls with it;
    once approved it receives a device token, issued at that moment, so no
    plain token is ever stored.
    """

    code = models.CharField(max_length=8, db_index=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    profile = models.ForeignKey(
        DisplayProfile, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    display_name = models.CharField(max_length=60, blank=True)
    display = models.ForeignKey(
        Display, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"pairing {self.code}"
