"""Signal receivers: keep Discord ids and roles in step on login."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.signals import pre_social_login
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver


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
