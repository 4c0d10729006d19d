"""Screens, remotes and mirrors over one websocket, ``/ws/ads/`` (Channels).

Every socket first says who it is, in its first message:

* a **screen** — ``{"type": "hello", "role": "screen", "token": "sqd_…"}`` for a
  paired TV (browsers cannot put a token in a websocket's headers, so it
  comes in the first message, never in the URL), or ``"display": id`` with
  the owner's session. It joins its display's group, receives remote
  commands, and reports ``{"type": "showing", "file": id, "paused": bool}``
  each time it puts an image on the screen. A screen that follows another
  also joins that display's mirror group, and is sent each image the other
  shows, described for its own size and signed for its own token.
* a **remote** — ``{"type": "hello", "role": "remote", "display": id}`` with
  the owner's session. It receives what the screen shows (``status``); its
  commands go through :func:`send_command` (also behind the HTTP endpoint).

Any other first message closes the socket; until its hello it receives nothing.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import JsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.http import Http404

from authware import access
from authware.models import Token
from authware.tokens import authenticate_token
from junefs.models import File
from sequenzia import links
from sequenzia.ads.fit import clamp_screen
from sequenzia.ads.items import describe
from sequenzia.ads.models import Display
from sequenzia.ads.pool import request_as
from sequenzia.ads.selection import report_showing

ACTIONS = ("next", "prev", "pause", "play", "info", "show")


def display_group(display_id: int) -> str:
    return f"ads-display-{display_id}"


def mirror_group(display_id: int) -> str:
    return f"ads-mirror-{display_id}"


def remote_group(display_id: int) -> str:
    return f"ads-remote-{display_id}"


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)


def send_command(display: Display, action: str, file_id: int | None = None) -> None:
    """Tell the display's screen(s) to go on, go back, pause, play, show info or a file."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    _send(display_group(display.pk), {"type": "ads.command", "action": action, "file": file_id})


def screen_item(display: Display, token: Token | None, file_id: int) -> dict[str, Any] | None:
    """``file_id`` described for this display's screen, if its requester may read it."""
    user = token.user if token is not None else display.owner
    request = request_as(user, token)
    try:
        file = access.get_file_for(request, file_id)
    except Http404:
        return None
    if file.kind != File.Kind.IMAGE:
        return None
    profile = display.profile
    return describe(
        request,
        file,
        fit_preference=profile.fit,
        screen=clamp_screen(display.screen_width, display.screen_height),
        qr=profile.show_qr,
    )


class ScreenConsumer(JsonWebsocketConsumer):  # type: ignore[misc]
    display_id: int | None
    token_id: int | None
    role: str
    groups_joined: list[str]

    def connect(self) -> None:
        self.display_id = self.token_id = None
        self.role = ""
        self.groups_joined = []
        self.accept()

    def disconnect(self, code: int) -> None:
        for name in getattr(self, "groups_joined", []):
            async_to_sync(self.channel_layer.group_discard)(name, self.channel_name)

    def _join(self, group: str) -> None:
        async_to_sync(self.channel_layer.group_add)(group, self.channel_name)
        self.groups_joined.append(group)

    # --- from the socket -------------------------------------------------------------

    def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            self.close(code=4400)
            return
        kind = content.get("type")
        if not self.role:
            if kind == "hello":
                self._hello(content)
            else:
                self.close(code=4401)
            return
        if kind == "showing" and self.role == "screen":
            self._showing(content)
        elif kind == "ping":
            self.send_json({"type": "pong"})

    def _hello(self, content: dict[str, Any]) -> None:
        role = content.get("role")
        display = self._display_for(content)
        # Remotes are people, signed in; a token is a screen.
        if (
            display is None
            or role not in ("screen", "remote")
            or (role == "remote" and self.token_id is not None)
        ):
            self.send_json({"type": "error", "detail": "unknown display or not allowed"})
            self.close(code=4403)
            return
        self.role, self.display_id = role, display.pk
        if role == "screen":
            self._join(display_group(display.pk))
            if display.follow_id is not None:
                self._join(mirror_group(display.follow_id))
        else:
            self._join(remote_group(display.pk))
        self.send_json({"type": "ready", "role": role, "display": display.pk})

    def _display_for(self, content: dict[str, Any]) -> Display | None:
        raw = content.get("token")
        if isinstance(raw, str) and raw:
            token = authenticate_token(raw)
            if token is None or token.kind != Token.Kind.DEVICE:
                return None
            self.token_id = token.pk
            return Display.objects.filter(token=token).first()
        user = self.scope.get("user")
        display_id = content.get("display")
        if user is None or not user.is_authenticated or not isinstance(display_id, int):
            return None
        return Display.objects.filter(pk=display_id, owner_id=user.pk).first()

    def _token(self) -> Token | None:
        if self.token_id is None:
            return None
        token = Token.objects.select_related("user").filter(pk=self.token_id).first()
        if token is None or not token.is_active() or not token.user.is_active:
            self.close(code=4401)  # revoked while connected
            return None
        return token

    def _display(self) -> Display | None:
        if self.display_id is None:
            return None
        return Display.objects.select_related("profile", "owner").filter(pk=self.display_id).first()

    def _showing(self, content: dict[str, Any]) -> None:
        file_id = content.get("file")
        display = self._display()
        if display is None or not isinstance(file_id, int):
            return
        token = self._token()
        if self.token_id is not None and token is None:
            return
        user = token.user if token is not None else display.owner
        file = report_showing(request_as(user, token), display, file_id)
        if file is None:
            return  # a screen can only report what it may read
        paused = bool(content.get("paused"))
        _send(mirror_group(display.pk), {"type": "ads.mirror", "file": file.pk})
        _send(
            remote_group(display.pk),
            {
                "type": "ads.status",
                "file": {
                    "id": file.pk,
                    "name": file.name,
                    "thumbnail": links.thumbnail_url(file),
                    "page": f"/f/{file.pk}/",
                },
                "paused": paused,
            },
        )

    # --- from the channel layer ------------------------------------------------------

    def ads_command(self, event: dict[str, Any]) -> None:
        if self.role != "screen":
            return
        message: dict[str, Any] = {"type": "command", "action": event["action"]}
        if event["action"] == "show":
            display = self._display()
            token = self._token()
            if display is None or (self.token_id is not None and token is None):
                return
            item = screen_item(display, token, event.get("file") or 0)
            if item is None:
                return
            message["item"] = item
        self.send_json(message)

    def ads_mirror(self, event: dict[str, Any]) -> None:
        display = self._display()
        token = self._token()
        if (
            self.role != "screen"
            or display is None
            or (self.token_id is not None and token is None)
        ):
            return
        item = screen_item(display, token, event["file"])
        if item is not None:
            self.send_json({"type": "mirror", "item": item})

    def ads_status(self, event: dict[str, Any]) -> None:
        if self.role == "remote":
            self.send_json({"type": "status", "file": event["file"], "paused": event["paused"]})
