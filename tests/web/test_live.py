"""Live updates: a new file reaches open gallery pages of people who may read its folder."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from sequenzia.routing import websocket_urlpatterns
from tests.factories import ingest_bytes, jpeg_bytes
from tests.web.conftest import World, build_world

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user, path: str) -> WebsocketCommunicator:  # type: ignore[no-untyped-def]
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user
    return communicator


async def test_new_files_reach_readers_only() -> None:
    world: World = await sync_to_async(build_world)()
    shared = world.folders["shared"]
    alice = await connect(world.alice, f"/ws/gallery/?folders={shared.pk}")
    charlie = await connect(world.charlie, f"/ws/gallery/?folders={shared.pk}")
    bob_all = await connect(world.bob, "/ws/gallery/")
    for communicator in (alice, charlie, bob_all):
        connected, _ = await communicator.connect()
        assert connected
    assert (await alice.receive_json_from())["folders"] == 1
    assert (await charlie.receive_json_from())["folders"] == 0
    assert (await bob_all.receive_json_from())["folders"] == 3  # shared, uploads, inbox (no NSFW)

    result = await sync_to_async(ingest_bytes)(
        jpeg_bytes(64, 48, seed=77), shared, "live.jpg", upload="none"
    )
    message = await alice.receive_json_from(timeout=5)
    assert message["type"] == "file" and message["id"] == result.file.pk
    assert message["name"] == "live.jpg" and message["url"] == f"/f/{result.file.pk}/"
    assert message["thumbnail"] == f"/cds/t/{result.file.pk}.webp"
    assert (await bob_all.receive_json_from(timeout=5))["id"] == result.file.pk
    assert await charlie.receive_nothing(timeout=0.3)
    for communicator in (alice, charlie, bob_all):
        await communicator.disconnect()


async def test_anonymous_sockets_are_closed() -> None:
    from django.contrib.auth.models import AnonymousUser

    communicator = await connect(AnonymousUser(), "/ws/gallery/")
    connected, code = await communicator.connect()
    assert not connected and code == 4401
