"""JuneFS in the admin: folders, files, parts, with verify and re-upload actions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat

from junefs.models import Channel, File, Part, Server, Thumbnail
from junefs.tasks import upload_file_task, verify_file_task

HASH_AND_LOCATOR = (
    "sha256",
    "size",
    "backend",
    "key",
    "channel_id",
    "message_id",
    "attachment_id",
    "url",
    "url_expires_at",
    "confirmed_at",
)


@admin.register(Server)
class ServerAdmin(admin.ModelAdmin):
    list_display = ("name", "guild_id", "thumbnails_channel_id", "attachment_limit", "created_at")
    search_fields = ("name", "guild_id")


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "server",
        "class_name",
        "category",
        "nsfw",
        "keep_cached",
        "discord_channel_id",
        "position",
    )
    list_filter = ("server", "nsfw", "keep_cached", "class_name", "category")
    list_editable = ("position",)
    search_fields = ("name", "description", "discord_channel_id")


class PartInline(admin.TabularInline):
    model = Part
    extra = 0
    can_delete = False
    fields = ("index", "offset", "size", "sha256", "backend", "key", "message_id", "confirmed_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(File)
class FileAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "name",
        "channel",
        "kind",
        "human_size",
        "part_count",
        "state",
        "created_at",
        "uploaded_at",
    )
    list_filter = ("state", "kind", "backend", "preview", "channel__server", "channel")
    search_fields = ("name", "original_name", "description", "sha256", "=id")
    date_hierarchy = "created_at"
    list_select_related = ("channel",)
    readonly_fields = (
        "sha256",
        "size",
        "mime",
        "part_size",
        "part_count",
        "backend",
        "phash",
        "uploaded_at",
        "updated_at",
        "upload_lease_until",
    )
    raw_id_fields = ("uploader",)
    inlines = [PartInline]
    actions = ["verify", "requeue_upload"]

    @admin.display(description="size", ordering="size")
    def human_size(self, obj: File) -> str:
        return filesizeformat(obj.size)

    @admin.action(description="Verify every part (in the worker)")
    def verify(self, request: HttpRequest, queryset: QuerySet[File]) -> None:
        ids = list(queryset.values_list("id", flat=True))
        for file_id in ids:
            verify_file_task.delay(file_id)
        self.message_user(request, f"Queued verification of {len(ids)} file(s).")

    @admin.action(description="Re-queue upload of missing parts")
    def requeue_upload(self, request: HttpRequest, queryset: QuerySet[File]) -> None:
        # Mirrored Discord attachments are never uploaded: their bytes are the attachment.
        stuck = queryset.exclude(state=File.State.COMPLETE).exclude(
            discord_attachment_id__isnull=False
        )
        ids = list(stuck.values_list("id", flat=True))
        stuck.filter(state=File.State.UPLOADING).update(upload_lease_until=None)
        stuck.exclude(state=File.State.UPLOADING).update(state=File.State.PENDING)
        for file_id in ids:
            upload_file_task.delay(file_id)
        skipped = queryset.count() - len(ids)
        level = messages.WARNING if skipped else messages.INFO
        self.message_user(
            request,
            f"Queued {len(ids)} upload(s); {skipped} complete or mirrored from Discord.",
            level,
        )


@admin.register(Part)
class PartAdmin(admin.ModelAdmin):
    list_display = ("file", "index", "size", "backend", "message_id", "confirmed_at")
    list_filter = ("backend",)
    search_fields = ("sha256", "=file__id", "=message_id")
    raw_id_fields = ("file",)
    readonly_fields = (*HASH_AND_LOCATOR, "index", "offset")


@admin.register(Thumbnail)
class ThumbnailAdmin(admin.ModelAdmin):
    list_display = ("file", "width", "height", "size", "backend", "confirmed_at")
    raw_id_fields = ("file",)
    readonly_fields = HASH_AND_LOCATOR
