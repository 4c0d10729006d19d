"""Mirror members' Discord roles into groups, like the original AuthWare.

A :class:`~authware.models.DiscordRoleLink` ties a role of a guild to a
group. For each guild, a member is put in exactly the linked groups whose
roles they hold; groups not linked to that guild are never touched. Roles
arrive two ways: fetched through the bot's REST API when the member logs in
with Discord (a task, so a slow Discord never slows a login), and pushed by
the Discord I/O client on ``GUILD_MEMBER_UPDATE`` (:func:`apply_member_update`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import httpx
from celery import shared_task
from django.conf import settings
from django.db import transaction

from authware.models import DiscordRoleLink, User

log = logging.getLogger(__name__)


def mirror_roles(user: User, guild_id: int, role_ids: Iterable[int]) -> tuple[int, int]:
    """Put ``user`` in the groups linked to ``role_ids`` of ``guild_id``; (added, removed)."""
    roles = {int(r) for r in role_ids}
    links = DiscordRoleLink.objects.filter(guild_id=guild_id)
    linked = {link.group_id for link in links}
    wanted = {link.group_id for link in links if link.role_id in roles}
    with transaction.atomic():
        current = set(user.groups.filter(id__in=linked).values_list("id", flat=True))
        add, remove = wanted - current, current - wanted
        if add:
            user.groups.add(*add)
        if remove:
            user.groups.remove(*remove)
    return len(add), len(remove)


def apply_member_update(guild_id: int, discord_user_id: int, role_ids: Iterable[int]) -> bool:
    """Handle a GUILD_MEMBER_UPDATE; False when no user has that Discord id."""
    user = User.objects.filter(discord_id=discord_user_id).first()
    if user is None:
        return False
    mirror_roles(user, guild_id, role_ids)
    return True


def fetch_member_roles(guild_id: int, discord_user_id: int) -> list[int] | None:
    """The member's role ids through the bot's REST API; None when not a member."""
    response = httpx.get(
        f"{settings.DISCORD_API_BASE}/guilds/{guild_id}/members/{discord_user_id}",
        headers={"Authorization": f"Bot {settings.DISCORD_TOKEN}"},
        timeout=10,
    )
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return [int(r) for r in response.json().get("roles", [])]


@shared_task(name="authware.sync_discord_roles", autoretry_for=(httpx.HTTPError,), max_retries=3)
def sync_discord_roles_task(user_id: int) -> dict[str, object]:
    """Mirror a user's roles in every guild that has linked roles. Safe to run twice."""
    user = User.objects.filter(pk=user_id, discord_id__isnull=False).first()
    if user is None or not settings.DISCORD_TOKEN:
        return {"user": user_id, "synced": 0}
    guilds = set(DiscordRoleLink.objects.values_list("guild_id", flat=True))
    synced = 0
    for guild_id in sorted(guilds):
        assert user.discord_id is not None
        roles = fetch_member_roles(guild_id, user.discord_id)
        mirror_roles(user, guild_id, roles or [])
        synced += 1
    return {"user": user_id, "synced": synced}
