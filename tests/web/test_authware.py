"""AuthWare: access rules, tokens, Discord role mirroring, logins, two-factor for admins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from authware import access
from authware.discord_roles import apply_member_update, mirror_roles, sync_discord_roles_task
from authware.models import DiscordRoleLink, Grant, Token, User, hash_token
from authware.tokens import authenticate_token, issue_token, revoke_token
from tests.web.conftest import World


def req(user: User | None = None, token: Token | None = None):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    request.auth_token = token  # type: ignore[attr-defined]
    return request


def ids(world: World, *names: str) -> set[int]:
    return {world.folders[n].pk for n in names}


def test_access_rules(world: World) -> None:
    assert access.channel_ids_for(req(world.alice)) is None  # admin: everything
    assert access.channel_ids_for(req(world.bob)) == ids(
        world, "shared", "nsfw", "uploads", "inbox"
    )
    assert access.channel_ids_for(req(world.bob), "write") == ids(world, "uploads", "inbox")
    assert access.channel_ids_for(req(world.bob), "manage") == ids(world, "uploads")
    assert access.channel_ids_for(req(world.charlie)) == frozenset()
    assert access.channel_ids_for(req()) == frozenset()
    with pytest.raises(Http404):
        access.get_file_for(req(world.bob), world.files["secret"].pk)
    with pytest.raises(Http404):
        access.get_file_for(req(world.bob), world.files["shared"].pk, "manage")
    with pytest.raises(Http404):
        access.get_channel_for(req(world.charlie), world.folders["shared"].pk)
    with pytest.raises(ValueError, match="unknown permission"):
        access.channel_ids_for(req(world.bob), "delete")  # type: ignore[arg-type]


def test_moderators_manage_what_they_read_and_inactive_users_nothing(world: World) -> None:
    world.bob.rank = User.Rank.MODERATOR
    world.bob.save()
    readable = access.channel_ids_for(req(world.bob))
    assert access.channel_ids_for(req(world.bob), "manage") == readable
    assert access.channel_ids_for(req(world.bob), "write") == ids(world, "uploads", "inbox")
    world.bob.is_active = False
    world.bob.save()
    assert access.channel_ids_for(req(world.bob)) == frozenset()


def test_group_grants_follow_membership(world: World) -> None:
    world.bob.groups.clear()
    assert access.channel_ids_for(req(world.bob)) == ids(world, "uploads", "inbox")


def test_tokens_are_hashed_scoped_and_expire(world: World) -> None:
    token, raw = issue_token(world.bob, "script", channel_ids=[world.folders["shared"].pk])
    assert raw.startswith("sqa_") and len(raw) > 40
    assert token.token_hash == hash_token(raw) and raw not in token.token_hash
    assert Token.objects.filter(token_hash__contains=raw[4:20]).count() == 0
    found = authenticate_token(raw)
    assert found == token and found.last_used_at is not None
    # Limited to one folder, read-only.
    assert access.channel_ids_for(req(token=token)) == ids(world, "shared")
    assert access.channel_ids_for(req(token=token), "write") == frozenset()
    # A token never gives more than its user has.
    other, _ = issue_token(world.bob, "x", channel_ids=[world.folders["secret"].pk])
    assert access.channel_ids_for(req(token=other)) == frozenset()
    # Expired, revoked, inactive user, garbage: refused.
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save()
    assert authenticate_token(raw) is None
    token.expires_at = None
    token.save()
    revoke_token(token)
    assert authenticate_token(raw) is None
    assert authenticate_token("sqa_" + "x" * 43) is None
    assert authenticate_token("nonsense") is None


def test_device_tokens_are_read_only_even_when_asked_for_write(world: World) -> None:
    token, raw = issue_token(world.bob, "tv", kind="device", can_write=True)
    assert raw.startswith("sqd_")
    assert not token.writable
    assert access.channel_ids_for(req(token=token), "write") == frozenset()
    assert access.channel_ids_for(req(token=token)) == ids(
        world, "shared", "nsfw", "uploads", "inbox"
    )


def test_a_bad_bearer_token_is_401_not_anonymous(world: World) -> None:
    response = Client(HTTP_AUTHORIZATION="Bearer sqa_wrong").get(reverse("api:list_files"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['api']}").get(
        reverse("api:list_files")
    )
    assert response.status_code == 200
    names = {item["name"] for item in response.json()["items"]}
    assert "shared-cat.jpg" in names and "secret-plan.jpg" not in names


def test_account_page_shows_a_new_token_once_and_revokes(world: World) -> None:
    client = Client()
    client.force_login(world.bob)
    response = client.post(reverse("token_create"), {"name": "backup", "expires": "30"})
    assert response.status_code == 302
    page = client.get(reverse("account")).content.decode()
    token = Token.objects.get(name="backup")
    raw = page.split('id="new-token" aria-label="New token"')[0].rsplit('value="', 1)[1][:47]
    assert authenticate_token(raw.split('"')[0]) == token
    assert "Copy it now" not in client.get(reverse("account")).content.decode()
    assert token.expires_at is not None
    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_discord_roles_are_mirrored_into_linked_groups(world: World) -> None:
    guild = 1000
    artists = Group.objects.create(name="artists")
    mods = Group.objects.create(name="discord-mods")
    local = Group.objects.get(name="members")  # not linked: never touched
    DiscordRoleLink.objects.create(group=artists, guild_id=guild, role_id=11)
    DiscordRoleLink.objects.create(group=mods, guild_id=guild, role_id=22)
    Grant.objects.create(channel=world.folders["photos"], group=artists, perm="read")
    user = world.charlie
    user.discord_id = 555
    user.save()
    assert mirror_roles(user, guild, [11, 99]) == (1, 0)
    assert set(user.groups.values_list("name", flat=True)) == {"artists"}
    assert access.channel_ids_for(req(user)) == ids(world, "photos")
    # GUILD_MEMBER_UPDATE: role 11 taken away, 22 given.
    assert apply_member_update(guild, 555, ["22"])
    assert set(user.groups.values_list("name", flat=True)) == {"discord-mods"}
    assert not apply_member_update(guild, 123456, [11])
    world.bob.discord_id = 777
    world.bob.save()
    mirror_roles(world.bob, guild, [])
    assert local in world.bob.groups.all()


def test_role_sync_task_uses_the_bots_view_of_the_member(
    world: World, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    settings.DISCORD_TOKEN = "bot-token"
    group = Group.objects.create(name="artists")
    DiscordRoleLink.objects.create(group=group, guild_id=1000, role_id=11)
    world.charlie.discord_id = 555
    world.charlie.save()
    calls = []

    def fake_fetch(guild_id: int, user_id: int) -> list[int]:
        calls.append((guild_id, user_id))
        return [11]

    monkeypatch.setattr("authware.discord_roles.fetch_member_roles", fake_fetch)
    assert sync_discord_roles_task(world.charlie.pk) == {"user": world.charlie.pk, "synced": 1}
    assert calls == [(1000, 555)]
    assert world.charlie.groups.filter(name="artists").exists()


def test_login_page_with_and_without_discord(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    page = Client().get(reverse("account_login")).content.decode()
    assert "Discord" not in page
    settings.SOCIALACCOUNT_PROVIDERS = {
        "discord": {
            "SCOPE": ["identify", "guilds"],
            "APPS": [{"client_id": "123", "secret": "s", "key": ""}],
        }
    }
    page = Client().get(reverse("account_login")).content.decode()
    assert "Discord" in page


def test_password_login_and_rate_limit(world: World) -> None:
    cache.clear()
    client = Client()
    response = client.post(reverse("account_login"), {"login": "bob", "password": "password-bob"})
    assert response.status_code == 302
    assert client.get(reverse("gallery")).status_code == 200
    attacker = Client()
    pages = [
        attacker.post(reverse("account_login"), {"login": "charlie", "password": "nope"})
        for _ in range(6)
    ]
    assert pages[0].status_code == 200  # the form again, with an error
    assert "Too many failed login attempts" not in pages[0].content.decode()
    assert "Too many failed login attempts" in pages[-1].content.decode()  # allauth's limit
    # ...even with the right password now.
    late = attacker.post(
        reverse("account_login"), {"login": "charlie", "password": "password-charlie"}
    )
    assert late.status_code == 200


def test_admin_login_goes_through_allauth(world: World) -> None:
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_admins_must_set_up_two_factor_when_required(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.AUTHWARE_ADMIN_REQUIRE_MFA = True
    alice = Client()
    alice.force_login(world.alice)
    response = alice.get(reverse("gallery"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    setup = alice.get(reverse("mfa_activate_totp"))  # allauth asks for the password again first
    assert setup.status_code == 200 or setup["Location"].startswith("/accounts/")
    assert alice.get("/admin/").status_code == 302
    bob = Client()
    bob.force_login(world.bob)
    assert bob.get(reverse("gallery")).status_code == 200
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=world.alice, type=Authenticator.Type.TOTP, data={})
    assert alice.get(reverse("gallery")).status_code == 200


def test_cached_access_sees_every_change_at_once(world: World) -> None:
    bob = Client()
    bob.force_login(world.bob)
    photo = world.files["photo"]
    assert bob.get(reverse("file", args=[photo.pk])).status_code == 404
    grant = Grant.objects.create(channel=world.folders["photos"], user=world.bob)
    assert bob.get(reverse("file", args=[photo.pk])).status_code == 200
    grant.delete()
    assert bob.get(reverse("file", args=[photo.pk])).status_code == 404
    members = Group.objects.get(name="members")
    Grant.objects.create(channel=world.folders["photos"], group=members)
    assert bob.get(reverse("file", args=[photo.pk])).status_code == 200
    world.bob.groups.remove(members)
    assert bob.get(reverse("file", args=[photo.pk])).status_code == 404
    User.objects.filter(pk=world.bob.pk).update(rank=User.Rank.ADMIN)
    access.bump_access_version()  # what the admin's rank action does after update()
    assert bob.get(reverse("file", args=[photo.pk])).status_code == 200


def test_grants_made_in_bulk_count_too(world: World) -> None:
    """Levels come from ``perm`` when access is computed; bulk_create skips save()."""
    Grant.objects.bulk_create(
        [Grant(channel=world.folders["photos"], user=world.charlie, perm="manage")]
    )
    access.bump_access_version()
    assert access.channel_ids_for(req(world.charlie), "manage") == ids(world, "photos")


def test_guild_member_update_signal_mirrors_roles(world: World) -> None:
    from junefs.signals import discord_member_updated

    group = Group.objects.create(name="artists")
    DiscordRoleLink.objects.create(group=group, guild_id=1000, role_id=11)
    world.charlie.discord_id = 555
    world.charlie.save()
    discord_member_updated.send(sender=None, guild_id=1000, user_id=555, role_ids=["11"])
    assert world.charlie.groups.filter(name="artists").exists()
    discord_member_updated.send(sender=None, guild_id=1000, user_id=555, role_ids=[])
    assert not world.charlie.groups.filter(name="artists").exists()
