"""Display profiles: the form people edit them with, and the first one everyone gets."""

from __future__ import annotations

from typing import Any

from django import forms

from authware.models import User
from sequenzia.ads.models import MIN_INTERVAL_MS, Display, DisplayProfile, DisplayRound
from sequenzia.ads.pool import parse_profile_query, sync_token_scope
from sequenzia.ads.selection import reset_rounds
from sequenzia.query import QueryError


def default_profile(user: User) -> DisplayProfile:
    """A first profile: every image the user can read (NSFW folders hidden), crossfading."""
    profile, _ = DisplayProfile.objects.get_or_create(owner=user, name="Everything")
    return profile


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    interval_seconds = forms.IntegerField(
        min_value=MIN_INTERVAL_MS // 1000,
        max_value=24 * 3600,
        initial=15,
        help_text="Seconds each image stays on the screen.",
    )

    class Meta:
        model = DisplayProfile
        fields = [
            "name",
            "query",
            "transition",
            "fit",
            "show_clock",
            "show_date",
            "show_caption",
            "show_qr",
            "night_mode",
            "night_start",
            "night_end",
            "dim_percent",
            "avoid_repeats",
            "repeat_days",
        ]
        widgets = {
            "query": forms.TextInput(
                attrs={"placeholder": "e.g. folder=3&orient=landscape&q=sunset -people"}
            ),
            "night_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "night_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        labels = {"query": "Images (a gallery query)"}

    def __init__(self, *args: Any, owner: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
        if self.instance.pk:
            self.fields["interval_seconds"].initial = max(1, self.instance.interval_ms // 1000)

    def clean_query(self) -> str:
        text: str = self.cleaned_data.get("query", "").strip()
        if "?" in text:
            text = text.split("?", 1)[1]  # a whole gallery URL pasted in
        try:
            parse_profile_query(text)
        except QueryError as problem:
            raise forms.ValidationError(str(problem)) from None
        return text

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        clash = DisplayProfile.objects.filter(owner=self.owner, name=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("You already have a profile with this name.")
        return name

    def save(self, commit: bool = True) -> DisplayProfile:
        profile: DisplayProfile = super().save(commit=False)
        profile.owner = self.owner
        profile.interval_ms = self.cleaned_data["interval_seconds"] * 1000
        if commit:
            changed_pool = "query" in self.changed_data or "night_mode" in self.changed_data
            profile.save()
            if changed_pool:
                reset_rounds(profile)
            for display in Display.objects.filter(profile=profile).select_related(
                "token", "profile", "follow__profile"
            ):
                sync_token_scope(display)
            for follower in Display.objects.filter(follow__profile=profile).select_related(
                "token", "profile", "follow__profile"
            ):
                sync_token_scope(follower)
        return profile


class DisplayForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Display
        fields = ["name", "profile", "follow"]
        labels = {"follow": "Mirror another display"}

    def __init__(self, *args: Any, owner: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = DisplayProfile.objects.filter(owner=owner)  # type: ignore[attr-defined]
        others = Display.objects.filter(owner=owner, api_token__isnull=True)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk).exclude(follow=self.instance)
        self.fields["follow"].queryset = others  # type: ignore[attr-defined]
        self.fields["follow"].required = False

    def save(self, commit: bool = True) -> Display:
        display: Display = super().save(commit=commit)
        if commit:
            if "profile" in self.changed_data:
                DisplayRound.objects.filter(display=display).delete()
            sync_token_scope(display)
        return display
