"""The gallery's records in the admin, and folder grants on the folder's own page."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from authware.models import Grant
from junefs.admin import ChannelAdmin, FileAdmin
from junefs.models import Channel, File
from sequenzia.models import Album, AlbumItem, Favourite, Flag, HiddenFolder, HistoryEntry


class ChannelGrantInline(admin.TabularInline):
    model = Grant
    fields = ("user", "group", "perm", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user", "group")
    extra = 1


class FlagInline(admin.TabularInline):
    model = Flag
    fields = ("reason", "raised_by", "created_at", "resolved_by", "resolved_at")
    readonly_fields = ("raised_by", "created_at")
    extra = 0


# Folders get their grants inline (granting access is the common hand edit);
# files get their flags. Both extend JuneFS's own admin classes.
admin.site.unregister(Channel)
admin.site.unregister(File)


@admin.register(Channel)
class ChannelWithGrantsAdmin(ChannelAdmin):
    inlines = [ChannelGrantInline]


@admin.register(File)
class FileWithFlagsAdmin(FileAdmin):
    inlines = [*FileAdmin.inlines, FlagInline]
    list_display = (*FileAdmin.list_display, "rotation")  # type: ignore[assignment]


class AlbumItemInline(admin.TabularInline):
    model = AlbumItem
    fields = ("file", "position", "added_at")
    raw_id_fields = ("file",)
    extra = 0


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "public", "cover", "updated_at")
    list_filter = ("public",)
    search_fields = ("name", "description", "owner__username")
    raw_id_fields = ("cover",)
    autocomplete_fields = ("owner",)
    inlines = [AlbumItemInline]
    actions = ["make_private"]

    @admin.action(description="Make private")
    def make_private(self, request: HttpRequest, queryset: QuerySet[Album]) -> None:
        self.message_user(request, f"{queryset.update(public=False)} album(s) made private.")


@admin.register(Favourite)
class FavouriteAdmin(admin.ModelAdmin):
    list_display = ("user", "file", "created_at")
    search_fields = ("user__username", "=file__id", "file__name")
    raw_id_fields = ("file",)
    autocomplete_fields = ("user",)
    date_hierarchy = "created_at"


@admin.register(HistoryEntry)
class HistoryEntryAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "query", "file", "at")
    list_filter = ("kind",)
    search_fields = ("user__username", "query")
    raw_id_fields = ("file",)
    autocomplete_fields = ("user",)


@admin.register(HiddenFolder)
class HiddenFolderAdmin(admin.ModelAdmin):
    list_display = ("user", "channel")
    list_filter = ("channel",)
    autocomplete_fields = ("user", "channel")


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ("file", "reason", "raised_by", "created_at", "resolved_by", "resolved_at")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter), "file__channel")
    search_fields = ("reason", "=file__id", "file__name")
    raw_id_fields = ("file",)
    readonly_fields = ("raised_by", "created_at")
    actions = ["resolve"]

    @admin.action(description="Mark resolved")
    def resolve(self, request: HttpRequest, queryset: QuerySet[Flag]) -> None:
        done = queryset.filter(resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=request.user
        )
        self.message_user(request, f"Resolved {done} flag(s).")
