"""Live gallery updates: new files reach open gallery pages over a websocket.

JuneFS sends ``file_recorded`` after a new file is committed; we pass a
small description of it to the Channels group of its folder. Browsers join
the groups of the folders they may read (checked once, when they connect).
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import JsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.dispatch import receiver
from django.urls import reverse

from authware import access
from junefs.models import Channel, File
from junefs.signals import file_recorded
from sequenzia import links
from sequenzia.models import HiddenFolder

MESSAGE_TYPE = "file.recorded"


def group_name(channel_id: int) -> str:
    return f"gallery-folder-{channel_id}"


def describe(file: File) -> dict[str, Any]:
    return {
        "type": "file",
        "id": file.pk,
        "name": file.name,
        "kind": file.kind,
        "folder": file.channel_id,
        "color": file.color_hex,
        "width": file.width,
        "height": file.height,
        "thumbnail": links.thumbnail_url(file) if file.preview == File.Preview.READY else "",
        "url": reverse("file", args=[file.pk]),
    }


@receiver(file_recorded, dispatch_uid="sequenzia.live.announce")
def announce(sender: Any, file: File, **kwargs: Any) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(
        group_name(file.channel_id), {"type": MESSAGE_TYPE, "file": describe(file)}
    )


class GalleryConsumer(JsonWebsocketConsumer):  # type: ignore[misc]
    """``/ws/gallery/?folders=1,2``: pushes each new file in those (readable) folders."""

    groups_joined: list[str]

    def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            self.close(code=4401)
            return
        self.accept()
        for channel_id in self._folders(user):
            name = group_name(channel_id)
            async_to_sync(self.channel_layer.group_add)(name, self.channel_name)
            self.groups_joined.append(name)
        self.send_json({"type": "hello", "folders": len(self.groups_joined)})

    def _folders(self, user: Any) -> list[int]:
        readable = access.channel_ids_for_user(user)
        query = self.scope.get("query_string", b"").decode()
        asked: set[int] = set()
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            if key == "folders":
                asked |= {int(v) for v in value.replace("%2C", ",").split(",") if v.isdigit()}
        rows = Channel.objects.values_list("id", "nsfw")
        if asked:
            ids = [cid for cid, _ in rows if cid in asked]
        else:
            hidden = set(
                HiddenFolder.objects.filter(user=user).values_list("channel_id", flat=True)
            )
            ids = [cid for cid, nsfw in rows if not nsfw and cid not in hidden]
        return [cid for cid in ids if readable is None or cid in readable]

    def disconnect(self, code: int) -> None:
        for name in getattr(self, "groups_joined", []):
            async_to_sync(self.channel_layer.group_discard)(name, self.channel_name)

    def file_recorded(self, event: dict[str, Any]) -> None:
        self.send_json(event["file"])
