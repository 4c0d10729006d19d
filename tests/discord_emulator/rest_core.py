"""Users, the gateway URL and the application: what ``Client.login`` asks for first.

https://discord.com/developers/docs/resources/user#get-current-user,
https://discord.com/developers/docs/events/gateway#get-gateway-bot,
https://discord.com/developers/docs/resources/application#get-current-application.
"""

from __future__ import annotations

from aiohttp import web

from .errors import json_response
from .payloads import current_user_payload, user_payload
from .services import bot_of, int_arg, services_of


async def get_current_user(request: web.Request) -> web.Response:
    services = services_of(request)
    return json_response(current_user_payload(services.world.user(bot_of(request).user_id)))


async def get_user(request: web.Request) -> web.Response:
    services = services_of(request)
    return json_response(user_payload(services.world.user(int_arg(request, "user_id"))))


def gateway_url(request: web.Request) -> str:
    return services_of(request).base_url.replace("http://", "ws://", 1)


async def get_gateway(request: web.Request) -> web.Response:
    return json_response({"url": gateway_url(request)})


async def get_gateway_bot(request: web.Request) -> web.Response:
    services = services_of(request)
    started = services.counters.gateway["identify"]
    return json_response(
        {
            "url": gateway_url(request),
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": max(0, 1000 - started),
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        }
    )


async def get_application(request: web.Request) -> web.Response:
    services = services_of(request)
    bot = bot_of(request)
    user = services.world.user(bot.user_id)
    owner = next((u for u in services.world.users.values() if not u.bot), user)
    return json_response(
        {
            "id": str(user.id),
            "name": user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot": user_payload(user),
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": user_payload(owner),
            "team": None,
            "flags": bot.application_flags,
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": sum(
                1 for g in services.world.guilds.values() if user.id in g.members
            ),
        }
    )


def add_core_routes(api: web.UrlDispatcher, prefix: str) -> None:
    api.add_get(prefix + "/users/@me", get_current_user)
    api.add_get(prefix + "/users/{user_id:\\d+}", get_user)
    api.add_get(prefix + "/gateway", get_gateway)
    api.add_get(prefix + "/gateway/bot", get_gateway_bot)
    api.add_get(prefix + "/oauth2/applications/@me", get_application)
