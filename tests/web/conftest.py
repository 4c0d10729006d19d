"""Fixed people and folders for the web tests, in the style of healthchecks' BaseTestCase.

* alice — the owner: admin rank, staff, superuser.
* bob — a member: reads "shared" through the group "members", manages
  "uploads" and may write into "inbox" through his own grants.
* charlie — signed in, but no grants at all: an outsider.

Folders: photos (alice only), shared, uploads, inbox, secret (alice only)
and nsfw (NSFW, bob reads it through the group).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from authware.models import Grant, Token, User
from authware.tokens import issue_token
from junefs.models import Channel, File
from tests.factories import ingest_bytes, jpeg_bytes, make_channel, png_bytes


@dataclass
class World:
    alice: User
    bob: User
    charlie: User
    folders: dict[str, Channel]
    files: dict[str, File]
    tokens: dict[str, str] = field(default_factory=dict)
    token_rows: dict[str, Token] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def add_file(folder: Channel, name: str, seed: int = 0, **kw: Any) -> File:
    data = jpeg_bytes(48 + seed % 7, 32 + seed % 5, seed=seed, quality=70)
    return ingest_bytes(data, folder, name, upload="none", **kw).file


def build_world() -> World:
    alice = User.objects.create_user(
        "alice", "alice@example.org", "password-alice", rank=User.Rank.ADMIN
    )
    alice.is_staff = alice.is_superuser = True
    alice.save()
    bob = User.objects.create_user("bob", "bob@example.org", "password-bob")
    bob.favourites_public = True
    bob.save()
    charlie = User.objects.create_user("charlie", "charlie@example.org", "password-charlie")
    folders = {
        "photos": make_channel("photos", class_name="Media", category="Pictures"),
        "shared": make_channel("shared", class_name="Media", category="Pictures"),
        "uploads": make_channel("uploads", category="Inbox"),
        "inbox": make_channel("inbox", category="Inbox"),
        "secret": make_channel("secret", category="Private"),
        "nsfw": make_channel("nsfw", nsfw=True),
    }
    members = Group.objects.create(name="members")
    bob.groups.add(members)
    Grant.objects.create(channel=folders["shared"], group=members, perm="read")
    Grant.objects.create(channel=folders["nsfw"], group=members, perm="read")
    Grant.objects.create(channel=folders["uploads"], user=bob, perm="manage")
    Grant.objects.create(channel=folders["inbox"], user=bob, perm="write")
    files = {
        "photo": add_file(folders["photos"], "sunset-beach.jpg", 1),
        "shared": add_file(folders["shared"], "shared-cat.jpg", 2),
        "shared2": add_file(folders["shared"], "shared-dog.jpg", 3),
        "upload": add_file(folders["uploads"], "upload-one.jpg", 4),
        "upload2": add_file(folders["uploads"], "upload-two.jpg", 5),
        "upload3": add_file(folders["uploads"], "upload-three.jpg", 6),
        "secret": add_file(folders["secret"], "secret-plan.jpg", 7),
        "nsfw": add_file(folders["nsfw"], "nsfw-thing.jpg", 8),
        "png": ingest_bytes(png_bytes(), folders["shared"], "icon.png", upload="none").file,
    }
    world = World(alice, bob, charlie, folders, files)
    for key, kind, write in (
        ("api", "api", False),
        ("api_write", "api", True),
        ("device", "device", False),
    ):
        row, raw = issue_token(bob, key, kind=kind, can_write=write)
        world.tokens[key] = raw
        world.token_rows[key] = row
    return world


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:  # type: ignore[no-untyped-def]
    """Real hashing costs a second per user; the tests are about access, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db: None) -> World:
    return build_world()


PRINCIPALS = ("alice", "bob", "charlie", "anon", "token", "device")


def client_for(world: World, who: str) -> Client:
    """A test client acting as one of the fixed principals."""
    if who in ("alice", "bob", "charlie"):
        client = Client()
        client.force_login(getattr(world, who))
        return client
    if who == "token":
        return Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['api']}")
    if who == "token_write":
        return Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['api_write']}")
    if who == "device":
        return Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['device']}")
    return Client()
