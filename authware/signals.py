"""Signal receivers: keep Discord ids and roles in step on login."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.signals import pre_social_login
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver

from junefs.signals import discord_member_updated


@receiver(pre_social_login)
def remember_discord_id(sender: Any, request: Any, sociallogin: Any, **kwargs: Any) -> None:
    if sociallogin.account.provider != "discord" or not sociallogin.is_existing:
        return
    user = sociallogin.user
    uid = int(sociallogin.account.uid)
    if user.discord_id != uid:
        user.discord_id = uid
        user.save(update_fields=["discord_id"])


@receiver(user_logged_in)
def queue_role_sync(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if not settings.DISCORD_TOKEN or not getattr(user, "discord_id", None):
        return
    from authware.discord_roles import sync_discord_roles_task

    user_id = user.pk
    transaction.on_commit(lambda: sync_discord_roles_task.delay(user_id))


def bump_on_change(**kwargs: Any) -> None:
    from authware.access import bump_access_version

    bump_access_version()


def connect_access_version() -> None:
    """Bump the access version whenever grants, groups, folders or users change."""
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from authware.models import DiscordRoleLink, Grant, User
    from junefs.models import Channel

    for model in (Grant, DiscordRoleLink, Channel, User, Group):
        uid = f"authware.access_version.{model.__name__}"
        post_save.connect(bump_on_change, sender=model, dispatch_uid=f"{uid}.save", weak=False)
        post_delete.connect(bump_on_change, sender=model, dispatch_uid=f"{uid}.delete", weak=False)
    m2m_changed.connect(
        bump_on_change,
        sender=User.groups.through,
        dispatch_uid="authware.access_version.groups",
        weak=False,
    )


@receiver(discord_member_updated, dispatch_uid="authware.mirror_member_roles")
def mirror_member_roles(
    sender: Any, guild_id: int, user_id: int, role_ids: list[int], **kwargs: Any
) -> None:
    from authware.discord_roles import apply_member_update

    apply_member_update(int(guild_id), int(user_id), role_ids)
