"""ADS/DWS records in the admin: profiles, displays (with their rounds), pairings, history."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from authware.tokens import revoke_token
from sequenzia.ads.models import Display, DisplayHistory, DisplayProfile, DisplayRound, Pairing


@admin.register(DisplayProfile)
class DisplayProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "query", "interval_ms", "transition", "fit", "night_mode")
    list_filter = ("transition", "fit", "night_mode", "avoid_repeats")
    search_fields = ("name", "query", "owner__username")
    raw_id_fields = ("owner",)


class DisplayRoundInline(admin.TabularInline):
    model = DisplayRound
    fields = ("lane", "start", "wrapped", "cursor_shuffle", "cursor_id", "shown", "started_at")
    readonly_fields = fields
    extra = 0
    can_delete = True


@admin.register(Display)
class DisplayAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "profile", "token", "api_token", "follow", "last_seen_at")
    list_filter = ("last_seen_at",)
    search_fields = ("name", "owner__username", "profile__name")
    raw_id_fields = ("owner", "profile", "token", "api_token", "follow", "current")
    readonly_fields = ("scope_version", "created_at", "last_seen_at")
    inlines = [DisplayRoundInline]
    actions = ["unpair", "restart_rounds"]

    @admin.action(description="Unpair (revoke the screen's token)")
    def unpair(self, request: HttpRequest, queryset: QuerySet[Display]) -> None:
        count = 0
        for display in queryset.select_related("token"):
            if display.token is not None and display.token.revoked_at is None:
                revoke_token(display.token)
                count += 1
        self.message_user(request, f"Unpaired {count} display(s).")

    @admin.action(description="Start new rounds (every image may come again)")
    def restart_rounds(self, request: HttpRequest, queryset: QuerySet[Display]) -> None:
        deleted, _ = DisplayRound.objects.filter(display__in=queryset).delete()
        self.message_user(request, f"Reset {deleted} round(s).")


@admin.register(Pairing)
class PairingAdmin(admin.ModelAdmin):
    list_display = ("code", "created_at", "expires_at", "approved_by", "display", "claimed_at")
    list_filter = ("approved_at", "claimed_at")
    search_fields = ("code", "approved_by__username")
    readonly_fields = ("secret_hash", "created_at")
    raw_id_fields = ("approved_by", "profile", "display")


@admin.register(DisplayHistory)
class DisplayHistoryAdmin(admin.ModelAdmin):
    list_display = ("display", "file", "shown_at")
    list_filter = ("shown_at",)
    search_fields = ("display__name", "file__name")
    raw_id_fields = ("display", "file")
