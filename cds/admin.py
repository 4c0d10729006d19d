"""CDS in the admin: the block list, the access audit, share links and renditions."""

from __future__ import annotations

import csv

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.html import format_html

from authware.models import User
from cds import blocklist, stats
from cds.models import AccessRecord, BlockedHash, Rendition, ShareLink
from cds.sharing import url_for
from junefs.store import get_store


class _Echo:
    def write(self, value: str) -> str:
        return value


@admin.register(BlockedHash)
class BlockedHashAdmin(admin.ModelAdmin):
    list_display = ("sha256", "status", "reason", "matching_files", "created_at", "created_by")
    list_filter = ("status", "created_at")
    search_fields = ("sha256", "reason")
    readonly_fields = ("created_at", "created_by")
    date_hierarchy = "created_at"
    actions = ["make_451", "make_403", "make_404"]

    @admin.display(description="files with these bytes")
    def matching_files(self, obj: BlockedHash) -> int:
        from junefs.models import File

        return File.objects.filter(sha256=obj.sha256).count()

    def save_model(
        self, request: HttpRequest, obj: BlockedHash, form: object, change: bool
    ) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def _set_status(
        self, request: HttpRequest, queryset: QuerySet[BlockedHash], status: int
    ) -> None:
        changed = queryset.update(status=status)
        blocklist.changed()
        self.message_user(
            request, f"{changed} entr{'y' if changed == 1 else 'ies'} now answer {status}."
        )

    @admin.action(description="Answer 451 (legal reasons)")
    def make_451(self, request: HttpRequest, queryset: QuerySet[BlockedHash]) -> None:
        self._set_status(request, queryset, BlockedHash.Status.LEGAL)

    @admin.action(description="Answer 403 (forbidden)")
    def make_403(self, request: HttpRequest, queryset: QuerySet[BlockedHash]) -> None:
        self._set_status(request, queryset, BlockedHash.Status.FORBIDDEN)

    @admin.action(description="Answer 404 (as if missing)")
    def make_404(self, request: HttpRequest, queryset: QuerySet[BlockedHash]) -> None:
        self._set_status(request, queryset, BlockedHash.Status.NOT_FOUND)


@admin.register(AccessRecord)
class AccessRecordAdmin(admin.ModelAdmin):
    list_display = (
        "at",
        "kind",
        "status",
        "file_id",
        "short_sha256",
        "requester",
        "human_bytes",
        "range_text",
        "client_ip",
        "via",
        "duration_ms",
        "error",
    )
    list_filter = ("status", "kind", "via", "at")
    search_fields = ("sha256", "=file_id", "credential", "user__username", "client_ip", "error")
    date_hierarchy = "at"
    list_select_related = ("user",)
    actions = ["export_csv", "block_hashes"]
    show_full_result_count = False  # the audit grows large; skip the second COUNT(*)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):  # type: ignore[no-untyped-def,type-arg]
        context = {"cds_counters": stats.snapshot(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    @admin.display(description="sha256", ordering="sha256")
    def short_sha256(self, obj: AccessRecord) -> str:
        return obj.sha256[:16]

    @admin.display(description="who", ordering="credential")
    def requester(self, obj: AccessRecord) -> str:
        return obj.credential

    @admin.display(description="bytes", ordering="bytes_sent")
    def human_bytes(self, obj: AccessRecord) -> str:
        return filesizeformat(obj.bytes_sent)

    @admin.display(description="range")
    def range_text(self, obj: AccessRecord) -> str:
        return obj.range_text

    @admin.action(description="Export selected records as CSV")
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[AccessRecord]
    ) -> StreamingHttpResponse:
        fields = [
            "at",
            "kind",
            "status",
            "file_id",
            "sha256",
            "credential",
            "bytes_sent",
            "range_start",
            "range_end",
            "client_ip",
            "via",
            "duration_ms",
            "error",
        ]
        writer = csv.writer(_Echo())
        rows = (writer.writerow([getattr(r, f) for f in fields]) for r in queryset.iterator())
        response = StreamingHttpResponse(
            (line for line in [writer.writerow(fields), *rows]), content_type="text/csv"
        )
        response["Content-Disposition"] = 'attachment; filename="cds-access.csv"'
        return response

    @admin.action(description="Block the hashes of the selected records (403)")
    def block_hashes(self, request: HttpRequest, queryset: QuerySet[AccessRecord]) -> None:
        hashes = set(queryset.exclude(sha256="").values_list("sha256", flat=True))
        user = request.user if isinstance(request.user, User) else None
        created = 0
        for sha256 in hashes:
            _, made = BlockedHash.objects.get_or_create(
                sha256=sha256,
                defaults={"reason": "blocked from the access audit", "created_by": user},
            )
            created += made
        self.message_user(
            request, f"Blocked {created} hash(es); edit their reason and status in the block list."
        )


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "file",
        "state",
        "expires_at",
        "uses",
        "last_used_at",
        "created_by",
        "created_at",
        "note",
    )
    list_filter = ("revoked_at", "expires_at", "created_at")
    search_fields = ("=id", "=file__id", "file__name", "note", "created_by__username")
    raw_id_fields = ("file",)
    readonly_fields = ("link", "uses", "last_used_at", "created_at", "created_by", "revoked_at")
    list_select_related = ("file", "created_by")
    actions = ["revoke_links"]

    @admin.display(description="state")
    def state(self, obj: ShareLink) -> str:
        if obj.revoked_at is not None:
            return "revoked"
        return "live" if obj.expires_at > timezone.now() else "expired"

    @admin.display(description="link")
    def link(self, obj: ShareLink) -> str:
        if obj.pk is None:
            return "(saved links show their URL here)"
        url = url_for(obj)
        return format_html('<a href="{}">{}</a>', url, url)

    def get_readonly_fields(self, request: HttpRequest, obj: ShareLink | None = None):  # type: ignore[no-untyped-def]
        # The expiry is signed into the link: changing it would break the URL given out.
        fixed = ("file", "expires_at") if obj is not None else ()
        return (*self.readonly_fields, *fixed)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, str | list[str]]:
        expires = timezone.now() + ShareLink.default_lifetime()
        return {"expires_at": expires}  # type: ignore[dict-item] # the widget takes a datetime

    def save_model(self, request: HttpRequest, obj: ShareLink, form: object, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
            obj.expires_at = obj.expires_at.replace(microsecond=0)  # signed in whole seconds
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke the selected links")
    def revoke_links(self, request: HttpRequest, queryset: QuerySet[ShareLink]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} link(s).", messages.INFO)


@admin.register(Rendition)
class RenditionAdmin(admin.ModelAdmin):
    """Renditions are made by CDS on demand: nothing to add or edit, only to look at or drop."""

    list_display = (
        "id",
        "source",
        "box",
        "format",
        "dimensions",
        "human_size",
        "short_sha256",
        "cached",
        "created_at",
    )
    list_filter = ("format", "rotation", "created_at")
    search_fields = ("=sha256", "=source_sha256", "=source__id", "source__name")
    readonly_fields = (
        "source",
        "source_sha256",
        "rotation",
        "box_width",
        "box_height",
        "format",
        "sha256",
        "size",
        "width",
        "height",
        "created_at",
        "cached",
    )
    raw_id_fields = ("source",)
    list_select_related = ("source",)
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="box", ordering="box_width")
    def box(self, obj: Rendition) -> str:
        return f"{obj.box_width}x{obj.box_height}"

    @admin.display(description="size (px)")
    def dimensions(self, obj: Rendition) -> str:
        return f"{obj.width}x{obj.height}"

    @admin.display(description="bytes", ordering="size")
    def human_size(self, obj: Rendition) -> str:
        return filesizeformat(obj.size)

    @admin.display(description="sha256", ordering="sha256")
    def short_sha256(self, obj: Rendition) -> str:
        return obj.sha256[:16]

    @admin.display(description="in the store", boolean=True)
    def cached(self, obj: Rendition) -> bool:
        return get_store().exists(obj.sha256)
