"""The ADS websocket: screens say hello, remotes' commands reach them, mirrors follow."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from sequenzia.ads.live import send_command
from sequenzia.routing import websocket_urlpatterns
from tests.ads.conftest import ScreenWorld, build_screen_world, pair_display

pytestmark = pytest.mark.django_db(transaction=True)


async def socket(user=None) -> WebsocketCommunicator:  # type: ignore[no-untyped-def]
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/ads/")
    communicator.scope["user"] = user or AnonymousUser()
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def hello(communicator: WebsocketCommunicator, **fields: object) -> dict:  # type: ignore[type-arg]
    await communicator.send_json_to({"type": "hello", **fields})
    return await communicator.receive_json_from(timeout=5)  # type: ignore[no-any-return]


async def test_a_remote_drives_the_screen() -> None:
    screens: ScreenWorld = await sync_to_async(build_screen_world)()
    tv = await socket()
    assert (await hello(tv, role="screen", token=screens.token))["type"] == "ready"
    remote = await socket(screens.world.bob)
    assert (await hello(remote, role="remote", display=screens.display.pk))["role"] == "remote"

    await sync_to_async(send_command)(screens.display, "next")
    assert await tv.receive_json_from(timeout=5) == {"type": "command", "action": "next"}
    image = screens.images[4]
    await sync_to_async(send_command)(screens.display, "show", image.pk)
    shown = await tv.receive_json_from(timeout=5)
    assert shown["action"] == "show" and shown["item"]["id"] == image.pk
    assert "sig=" in shown["item"]["image"]  # signed for the TV's own token
    # "show" of a file the TV may not read is dropped, not sent.
    await sync_to_async(send_command)(screens.display, "show", screens.world.files["secret"].pk)
    assert await tv.receive_nothing(timeout=0.3)

    # The screen reports what it shows; the remote hears it.
    await tv.send_json_to({"type": "showing", "file": image.pk, "paused": True})
    status = await remote.receive_json_from(timeout=5)
    assert status["type"] == "status" and status["file"]["id"] == image.pk and status["paused"]
    for communicator in (tv, remote):
        await communicator.disconnect()


async def test_a_mirrored_screen_follows() -> None:
    screens: ScreenWorld = await sync_to_async(build_screen_world)()
    follower, follower_token = await sync_to_async(pair_display)(
        screens.world.bob, screens.profile, "Kitchen"
    )
    follower.follow = screens.display
    await sync_to_async(follower.save)()
    leader = await socket()
    await hello(leader, role="screen", token=screens.token)
    mirror = await socket()
    await hello(mirror, role="screen", token=follower_token)
    image = screens.images[2]
    await leader.send_json_to({"type": "showing", "file": image.pk})
    message = await mirror.receive_json_from(timeout=5)
    assert message["type"] == "mirror" and message["item"]["id"] == image.pk
    assert follower_token not in message["item"]["image"]  # a signature, never the token
    assert await leader.receive_nothing(timeout=0.2)  # the leader does not mirror itself
    for communicator in (leader, mirror):
        await communicator.disconnect()


async def test_strangers_are_turned_away() -> None:
    screens: ScreenWorld = await sync_to_async(build_screen_world)()
    # A remote must be the owner, signed in; a token cannot be a remote.
    charlie = await socket(screens.world.charlie)
    refused = await hello(charlie, role="remote", display=screens.display.pk)
    assert refused["type"] == "error"
    assert (await charlie.receive_output(timeout=5))["type"] == "websocket.close"
    token_remote = await socket()
    assert (await hello(token_remote, role="remote", token=screens.token))["type"] == "error"
    assert (await token_remote.receive_output(timeout=5))["type"] == "websocket.close"
    # A wrong token, and anything before hello, close the socket.
    wrong = await socket()
    assert (await hello(wrong, role="screen", token="sqd_nope"))["type"] == "error"
    early = await socket()
    await early.send_json_to({"type": "showing", "file": 1})
    assert (await early.receive_output(timeout=5))["code"] == 4401
