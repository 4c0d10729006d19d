from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from authware.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "rank", "is_staff", "is_active", "last_login")
    list_filter = ("rank", "is_staff", "is_superuser", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Sequenzia", {"fields": ("rank", "discord_id")}),
    )
