"""``/_emulator/`` HTTP endpoints: the state, fault and counter API for a subprocess emulator.

``POST /_emulator/call/{operation}`` runs a function of ``operations.py`` with the JSON body
as keyword arguments (ids may be strings; files as ``[{"filename", "data_b64"}]``;
``created_at`` as ISO 8601). ``POST /_emulator/faults/{kind}`` calls the ``FaultPlan``
method of that name. ``GET /_emulator/counters`` and ``GET /_emulator/world`` read.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from typing import Any

from aiohttp import web

from . import operations
from .errors import DiscordError, json_response
from .models import Attachment, Channel, Guild, Member, Message, Role, User
from .payloads import channel_payload, role_payload, user_payload
from .services import Services, services_of
from .wire import read_json

OPERATIONS = {
    name: getattr(operations, name)
    for name in (
        "create_user",
        "token_for",
        "create_guild",
        "add_member",
        "remove_member",
        "create_role",
        "delete_role",
        "set_member_roles",
        "create_channel",
        "update_channel",
        "delete_channel",
        "post_message",
        "delete_message",
        "list_messages",
        "attachment_urls",
        "set_limits",
        "set_premium_tier",
        "set_bucket",
        "set_global_limit",
        "set_invalid_request_limit",
        "configure",
        "advance_clock",
        "counters",
        "reset_counters",
        "sessions",
        "force_disconnect",
        "send_reconnect",
        "invalidate_session",
        "request_heartbeat",
        "bucket_names",
    )
}
FAULTS = {
    "latency",
    "server_errors",
    "drop_connections",
    "rate_limit_storm",
    "cdn_truncate",
    "cdn_corrupt",
    "cdn_drop",
    "clear",
}
ID_FIELDS = {
    "guild_id",
    "channel_id",
    "message_id",
    "user_id",
    "owner_id",
    "author_id",
    "parent_id",
    "role_id",
    "attachment_id",
}


def to_json(value: Any) -> Any:
    if isinstance(value, User):
        return user_payload(value)
    if isinstance(value, Channel):
        return channel_payload(value)
    if isinstance(value, Role):
        return role_payload(value)
    if isinstance(value, Guild):
        return {"id": str(value.id), "name": value.name, "premium_tier": value.premium_tier}
    if isinstance(value, Member):
        return {"user_id": str(value.user_id), "roles": [str(r) for r in value.roles]}
    if isinstance(value, Attachment):
        return {"id": str(value.id), "filename": value.filename, "size": value.size}
    if isinstance(value, Message):
        return {
            "id": str(value.id),
            "channel_id": str(value.channel_id),
            "author_id": str(value.author_id),
            "content": value.content,
            "attachments": [to_json(a) for a in value.attachments],
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def _arguments(body: dict[str, Any]) -> dict[str, Any]:
    arguments = dict(body)
    for key in ID_FIELDS & arguments.keys():
        if arguments[key] is not None:
            arguments[key] = int(arguments[key])
    for key in ("member_ids", "role_ids"):
        if key in arguments:
            arguments[key] = [int(v) for v in arguments[key]]
    if "files" in arguments:
        arguments["files"] = [
            (f["filename"], base64.b64decode(f["data_b64"])) for f in arguments["files"]
        ]
    if isinstance(arguments.get("created_at"), str):
        arguments["created_at"] = dt.datetime.fromisoformat(arguments["created_at"])
    return arguments


async def call_operation(request: web.Request) -> web.Response:
    services = services_of(request)
    operation = OPERATIONS.get(request.match_info["operation"])
    if operation is None:
        return json_response(
            {"error": f"unknown operation; known: {sorted(OPERATIONS)}"}, status=404
        )
    try:
        body = await read_json(request)
        result = operation(services, **_arguments(body if isinstance(body, dict) else {}))
    except DiscordError as error:
        return json_response({"error": error.body()}, status=400)
    except (KeyError, ValueError, TypeError) as error:
        return json_response({"error": str(error)}, status=400)
    return json_response({"result": to_json(result)})


async def add_fault(request: web.Request) -> web.Response:
    services = services_of(request)
    kind = request.match_info["kind"]
    if kind not in FAULTS:
        return json_response({"error": f"unknown fault; known: {sorted(FAULTS)}"}, status=404)
    try:
        body = await read_json(request)
        rule = getattr(services.faults, kind)(**(body if isinstance(body, dict) else {}))
    except DiscordError as error:
        return json_response({"error": error.body()}, status=400)
    except (ValueError, TypeError) as error:
        return json_response({"error": str(error)}, status=400)
    return json_response({"result": to_json(rule)})


async def get_counters(request: web.Request) -> web.Response:
    return json_response(operations.counters(services_of(request)))


async def get_world(request: web.Request) -> web.Response:
    services: Services = services_of(request)
    return json_response(
        {"base_url": services.base_url, "default": to_json(services.default_world)}
    )


def add_control_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/_emulator/call/{operation}", call_operation)
    router.add_post("/_emulator/faults/{kind}", add_fault)
    router.add_get("/_emulator/counters", get_counters)
    router.add_get("/_emulator/world", get_world)
