"""Guilds, their channels, roles and members.

https://discord.com/developers/docs/resources/guild (get guild, get/create channels,
modify channel positions, get member, list members, roles).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .errors import DiscordError, FormErrors, json_response
from .models import GUILD_TEXT
from .payloads import channel_payload, guild_payload, member_payload, role_payload
from .services import bot_of, int_arg, services_of
from .state import INTENT_GUILD_MEMBERS
from .wire import read_json


async def get_guild(request: web.Request) -> web.Response:
    services = services_of(request)
    guild = services.world.guild_for(int_arg(request, "guild_id"), bot_of(request).user_id)
    with_counts = request.query.get("with_counts", "").lower() in ("true", "1")
    return json_response(guild_payload(guild, with_counts=with_counts))


async def get_channels(request: web.Request) -> web.Response:
    world = services_of(request).world
    guild = world.guild_for(int_arg(request, "guild_id"), bot_of(request).user_id)
    return json_response([channel_payload(world.channels[i]) for i in guild.channel_ids])


async def create_channel(request: web.Request) -> web.Response:
    world = services_of(request).world
    guild = world.guild_for(int_arg(request, "guild_id"), bot_of(request).user_id)
    body = await read_json(request)
    if not isinstance(body, dict):
        body = {}
    channel = world.create_channel(
        guild.id,
        body.get("name"),
        type=body.get("type", GUILD_TEXT),
        parent_id=body.get("parent_id"),
        topic=body.get("topic"),
        position=body.get("position"),
        nsfw=bool(body.get("nsfw", False)),
    )
    return json_response(channel_payload(channel), status=201)


async def move_channels(request: web.Request) -> web.Response:
    world = services_of(request).world
    guild = world.guild_for(int_arg(request, "guild_id"), bot_of(request).user_id)
    body = await read_json(request)
    errors = FormErrors()
    moves: list[tuple[int, dict[str, Any]]] = []
    for i, item in enumerate(body if isinstance(body, list) else []):
        channel_id = _int(item.get("id") if isinstance(item, dict) else None)
        if channel_id not in guild.channel_ids:
            errors.add([i, "id"], "CHANNEL_NOT_IN_GUILD", "Unknown channel in this guild.")
            continue
        moves.append((channel_id, {k: item[k] for k in ("position", "parent_id") if k in item}))
    errors.raise_if_any()
    for channel_id, changes in moves:
        world.update_channel(channel_id, changes)
    return web.Response(status=204)


async def get_member(request: web.Request) -> web.Response:
    world = services_of(request).world
    guild = world.guild_for(int_arg(request, "guild_id"), bot_of(request).user_id)
    member = world.member(guild.id, int_arg(request, "user_id"))
    return json_response(member_payload(member, world.users[member.user_id]))


async def list_members(request: web.Request) -> web.Response:
    """Needs the GUILD_MEMBERS privileged intent enabled for the app (403 50001 otherwise)."""
    world = services_of(request).world
    bot = bot_of(request)
    guild = world.guild_for(int_arg(request, "guild_id"), bot.user_id)
    if not bot.privileged_intents & INTENT_GUILD_MEMBERS:
        raise DiscordError.of(50001)
    errors = FormErrors()
    limit = _int(request.query.get("limit", "1"))
    if limit is None or not 1 <= limit <= 1000:
        errors.add(["limit"], "NUMBER_TYPE_MAX", "int value should be between 1 and 1000.")
    after = _int(request.query.get("after", "0"))
    if after is None:
        errors.add(["after"], "NUMBER_TYPE_COERCE", "Value is not snowflake.")
    errors.raise_if_any()
    assert limit is not None and after is not None
    members = sorted(
        (m for m in guild.members.values() if m.user_id > after), key=lambda m: m.user_id
    )[:limit]
    return json_response([member_payload(m, world.users[m.user_id]) for m in members])


async def edit_member(request: web.Request) -> web.Response:
    world = services_of(request).world
    guild = world.guild_for(int_arg(request, "guild_id"), bot_of(request).user_id)
    user_id = int_arg(request, "user_id")
    body = await read_json(request)
    member = world.member(guild.id, user_id)
    if isinstance(body, dict) and "roles" in body:
        member = world.set_member_roles(guild.id, user_id, [int(r) for r in body["roles"]])
    return json_response(member_payload(member, world.users[user_id]))


async def change_member_role(request: web.Request) -> web.Response:
    world = services_of(request).world
    guild = world.guild_for(int_arg(request, "guild_id"), bot_of(request).user_id)
    member = world.member(guild.id, int_arg(request, "user_id"))
    role_id = int_arg(request, "role_id")
    if role_id not in guild.roles:
        raise DiscordError.of(10011)
    if request.method == "DELETE":
        roles = [r for r in member.roles if r != role_id]
    else:
        roles = [*member.roles, role_id]
    world.set_member_roles(guild.id, member.user_id, roles)
    return web.Response(status=204)


async def get_roles(request: web.Request) -> web.Response:
    world = services_of(request).world
    guild = world.guild_for(int_arg(request, "guild_id"), bot_of(request).user_id)
    return json_response([role_payload(r) for r in guild.roles.values()])


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def add_guild_routes(api: web.UrlDispatcher, prefix: str) -> None:
    guild = prefix + "/guilds/{guild_id:\\d+}"
    api.add_get(guild, get_guild)
    api.add_get(guild + "/channels", get_channels)
    api.add_post(guild + "/channels", create_channel)
    api.add_patch(guild + "/channels", move_channels)
    api.add_get(guild + "/members", list_members)
    api.add_get(guild + "/members/{user_id:\\d+}", get_member)
    api.add_patch(guild + "/members/{user_id:\\d+}", edit_member)
    api.add_put(guild + "/members/{user_id:\\d+}/roles/{role_id:\\d+}", change_member_role)
    api.add_delete(guild + "/members/{user_id:\\d+}/roles/{role_id:\\d+}", change_member_role)
    api.add_get(guild + "/roles", get_roles)
