"""Channels and their messages.

https://discord.com/developers/docs/resources/channel (get/modify/delete channel) and
https://discord.com/developers/docs/resources/message (messages, history, bulk delete).
"""

from __future__ import annotations

from aiohttp import web

from .errors import json_response
from .payloads import channel_payload
from .services import bot_of, int_arg, services_of
from .uploads import read_message_input
from .wire import read_json


async def get_channel(request: web.Request) -> web.Response:
    world = services_of(request).world
    return json_response(
        channel_payload(world.channel_for(int_arg(request, "channel_id"), bot_of(request).user_id))
    )


async def edit_channel(request: web.Request) -> web.Response:
    world = services_of(request).world
    channel = world.channel_for(int_arg(request, "channel_id"), bot_of(request).user_id)
    body = await read_json(request)
    changes = body if isinstance(body, dict) else {}
    return json_response(channel_payload(world.update_channel(channel.id, changes)))


async def delete_channel(request: web.Request) -> web.Response:
    world = services_of(request).world
    channel = world.channel_for(int_arg(request, "channel_id"), bot_of(request).user_id)
    return json_response(channel_payload(world.delete_channel(channel.id)))


async def trigger_typing(request: web.Request) -> web.Response:
    world = services_of(request).world
    world.channel_for(int_arg(request, "channel_id"), bot_of(request).user_id)
    return web.Response(status=204)


async def list_messages(request: web.Request) -> web.Response:
    services = services_of(request)
    bot = bot_of(request)
    channel = services.world.channel_for(int_arg(request, "channel_id"), bot.user_id)
    viewer = services.world.users[bot.user_id]
    messages = services.messages.history(channel, dict(request.query))
    return json_response([services.messages.payload(m, viewer) for m in messages])


async def get_message(request: web.Request) -> web.Response:
    services = services_of(request)
    bot = bot_of(request)
    channel = services.world.channel_for(int_arg(request, "channel_id"), bot.user_id)
    message = services.messages.get(channel, int_arg(request, "message_id"))
    return json_response(services.messages.payload(message, services.world.users[bot.user_id]))


async def create_message(request: web.Request) -> web.Response:
    services = services_of(request)
    bot = bot_of(request)
    channel = services.world.channel_for(int_arg(request, "channel_id"), bot.user_id)
    guild = services.world.guilds[channel.guild_id]
    body, size = await read_message_input(
        request, guild.limits.effective_request_bytes(guild.premium_tier)
    )
    services.counters.request_bytes += size
    before = set(services.world.attachments)
    message = services.messages.create(channel, bot.user_id, body)
    services.counters.bytes_uploaded += sum(
        a.size for a in message.attachments if a.id not in before
    )
    viewer = services.world.users[bot.user_id]
    return json_response(services.messages.payload(message, viewer, include_nonce=True))


async def edit_message(request: web.Request) -> web.Response:
    services = services_of(request)
    bot = bot_of(request)
    channel = services.world.channel_for(int_arg(request, "channel_id"), bot.user_id)
    guild = services.world.guilds[channel.guild_id]
    body, size = await read_message_input(
        request, guild.limits.effective_request_bytes(guild.premium_tier)
    )
    services.counters.request_bytes += size
    before = set(services.world.attachments)
    message = services.messages.edit(channel, int_arg(request, "message_id"), bot.user_id, body)
    services.counters.bytes_uploaded += sum(
        a.size for a in message.attachments if a.id not in before
    )
    return json_response(services.messages.payload(message, services.world.users[bot.user_id]))


async def delete_message(request: web.Request) -> web.Response:
    services = services_of(request)
    channel = services.world.channel_for(int_arg(request, "channel_id"), bot_of(request).user_id)
    services.messages.delete(channel, int_arg(request, "message_id"))
    return web.Response(status=204)


async def bulk_delete(request: web.Request) -> web.Response:
    services = services_of(request)
    channel = services.world.channel_for(int_arg(request, "channel_id"), bot_of(request).user_id)
    services.messages.bulk_delete(channel, await read_json(request))
    return web.Response(status=204)


def add_channel_routes(api: web.UrlDispatcher, prefix: str) -> None:
    channel = prefix + "/channels/{channel_id:\\d+}"
    api.add_get(channel, get_channel)
    api.add_patch(channel, edit_channel)
    api.add_delete(channel, delete_channel)
    api.add_post(channel + "/typing", trigger_typing)
    api.add_get(channel + "/messages", list_messages)
    api.add_post(channel + "/messages", create_message)
    api.add_post(channel + "/messages/bulk-delete", bulk_delete)
    message = channel + "/messages/{message_id:\\d+}"
    api.add_get(message, get_message)
    api.add_patch(message, edit_message)
    api.add_delete(message, delete_message)
