"""AuthWare in the admin: users and ranks, groups with grants and Discord roles, tokens."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest

from authware.access import bump_access_version
from authware.models import AccessVersion, DiscordRoleLink, Grant, Token, User
from authware.tokens import revoke_token


class UserGrantInline(admin.TabularInline):
    model = Grant
    fk_name = "user"
    fields = ("channel", "perm", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("channel",)
    extra = 0


class TokenInline(admin.TabularInline):
    model = Token
    fields = ("name", "kind", "prefix", "can_write", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = ("prefix", "last_used_at")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # tokens are issued from the account page, which shows them once


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "email",
        "rank",
        "discord_id",
        "is_staff",
        "is_active",
        "last_login",
    )
    list_filter = ("rank", "is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "email", "discord_id")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Sequenzia", {"fields": ("rank", "discord_id", "favourites_public")}),
    )
    inlines = [UserGrantInline, TokenInline]
    actions = ["make_viewer", "make_janitor", "make_moderator", "make_admin"]

    def _rank(self, request: HttpRequest, queryset: QuerySet[User], rank: int) -> None:
        changed = queryset.update(rank=rank)
        bump_access_version()  # update() sends no signals
        self.message_user(request, f"{changed} user(s) are now {User.Rank(rank).label}.")

    @admin.action(description="Set rank: viewer")
    def make_viewer(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._rank(request, queryset, User.Rank.VIEWER)

    @admin.action(description="Set rank: janitor")
    def make_janitor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._rank(request, queryset, User.Rank.JANITOR)

    @admin.action(description="Set rank: moderator")
    def make_moderator(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._rank(request, queryset, User.Rank.MODERATOR)

    @admin.action(description="Set rank: admin")
    def make_admin(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._rank(request, queryset, User.Rank.ADMIN)


class GroupGrantInline(admin.TabularInline):
    model = Grant
    fk_name = "group"
    fields = ("channel", "perm", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("channel",)
    extra = 0


class DiscordRoleInline(admin.TabularInline):
    model = DiscordRoleLink
    fields = ("guild_id", "role_id", "note")
    extra = 0


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    list_display = ("name", "member_count")
    inlines = [GroupGrantInline, DiscordRoleInline]

    @admin.display(description="members")
    def member_count(self, obj: Group) -> int:
        return obj.user_set.count()


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ("channel", "perm", "user", "group", "created_at")
    list_filter = ("perm", "channel__server", "group")
    search_fields = ("channel__name", "user__username", "group__name")
    autocomplete_fields = ("channel", "user", "group")
    list_select_related = ("channel", "user", "group")


@admin.register(DiscordRoleLink)
class DiscordRoleLinkAdmin(admin.ModelAdmin):
    list_display = ("role_id", "note", "guild_id", "group")
    list_filter = ("guild_id", "group")
    search_fields = ("=role_id", "note", "group__name")


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "name",
        "kind",
        "user",
        "can_write",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("kind", "can_write", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("prefix", "name", "user__username")
    readonly_fields = ("prefix", "token_hash", "created_at", "last_used_at")
    autocomplete_fields = ("user",)
    filter_horizontal = ("channels",)
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued from the account page, which shows the secret once

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        for token in queryset:
            revoke_token(token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).", messages.SUCCESS)


@admin.register(AccessVersion)
class AccessVersionAdmin(admin.ModelAdmin):
    """Read-only: shows when access last changed (each change picks a new value)."""

    list_display = ("id", "value")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
