"""Everything in front of the REST handlers, in Discord's order.

counters → injected drop → injected latency → Cloudflare ban →
``Authorization: Bot <token>`` (401) → global limit (429 global) →
route bucket (429 user) → injected 429 storm / 5xx → handler →
rate-limit headers and ``Via`` on the answer → invalid-request count
(401/403/429) → injected mid-body drop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from .errors import DiscordError, error_response, http_error, json_response
from .ratelimit import RouteDecision, retry_after_header
from .services import BOT, Services, services_of
from .wire import drain, drop_now, send_then_drop

API_PREFIX = "/api/v10"
NO_AUTH = {"GET /gateway"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def route_key(request: web.Request) -> str | None:
    """``"POST /channels/{channel_id}/messages"``, as discord.py's ``Route.key``."""
    resource = request.match_info.route.resource
    if resource is None or not resource.canonical.startswith(API_PREFIX):
        return None
    return f"{request.method} {resource.canonical[len(API_PREFIX) :]}".replace(":\\d+", "")


def _major(request: web.Request) -> str:
    info = request.match_info
    return "+".join(info[k] for k in ("channel_id", "guild_id") if k in info)


def rate_limited(
    retry_after: float, *, scope: str, decision: RouteDecision | None = None
) -> web.Response:
    body = {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": scope == "global",
    }
    headers = {"Retry-After": retry_after_header(retry_after), "X-RateLimit-Scope": scope}
    if scope == "global":
        headers["X-RateLimit-Global"] = "true"
    if decision is not None:
        headers.update(decision.headers())
    return json_response(body, status=429, headers=headers)


def cloudflare_ban() -> web.Response:
    """What a banned IP gets: a 429 with no Discord headers and an HTML body."""
    return web.Response(status=429, text="error code: 1015", content_type="text/html")


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/api/"):
        return await handler(request)
    services = services_of(request)
    key = route_key(request)
    services.counters.requests_by_route[key or f"{request.method} (no route)"] += 1
    if key is not None and services.faults.take("drop_before", key):
        services.counters.faults_fired["drop_before"] += 1
        drop_now(request)
        return web.Response(status=500)  # never reaches the client
    response = await _answer(request, handler, services, key)
    if response.status in (401, 403) or (
        response.status == 429 and response.headers.get("Via") is not None
    ):
        services.limiter.record_invalid()
    services.counters.responses_by_status[response.status] += 1
    if not request.content.at_eof():
        await drain(request, 32 * 1024 * 1024)
    if isinstance(response, web.Response) and (services.faults.take("drop_after", key) is not None):
        services.counters.faults_fired["drop_after"] += 1
        return await send_then_drop(request, response)
    return response


async def _answer(
    request: web.Request, handler: Handler, services: Services, key: str | None
) -> web.StreamResponse:
    faults, limiter, counters = services.faults, services.limiter, services.counters
    if rule := faults.take("latency", key):
        await asyncio.sleep(rule.params["seconds"])
    if limiter.is_banned():
        counters.rate_limited["cloudflare"] += 1
        return cloudflare_ban()
    response: web.StreamResponse
    decision: RouteDecision | None = None
    try:
        if key is None or not request.path.startswith(API_PREFIX + "/"):
            raise http_error(
                405
                if request.match_info.http_exception is not None
                and request.match_info.http_exception.status == 405
                else 404
            )
        if key not in NO_AUTH:
            _authenticate(request, services)
        if BOT in request and (wait := limiter.check_global(request[BOT].user_id)):
            counters.rate_limited["global"] += 1
            return _with_via(rate_limited(wait, scope="global"))
        decision = limiter.check_route(key, _major(request))
        if not decision.allowed:
            counters.rate_limited["user"] += 1
            return _with_via(rate_limited(decision.reset_after, scope="user", decision=decision))
        if rule := faults.take("storm", key):
            counters.rate_limited["forced"] += 1
            scope = "global" if rule.params["is_global"] else "user"
            return _with_via(
                rate_limited(
                    rule.params["retry_after"],
                    scope=scope,
                    decision=None if scope == "global" else decision,
                )
            )
        if rule := faults.take("server_error", key):
            counters.faults_fired["server_error"] += 1
            status = faults.rng.choice(rule.params["statuses"])
            response = error_response(http_error(status))
        else:
            response = await handler(request)
    except DiscordError as error:
        response = error_response(error)
    if decision is not None:
        response.headers.update(decision.headers())
    return _with_via(response)


def _authenticate(request: web.Request, services: Services) -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    bot = services.world.bot_for_token(token) if scheme == "Bot" else None
    if bot is None:
        raise http_error(401)
    request[BOT] = bot


def _with_via(response: web.StreamResponse) -> web.StreamResponse:
    response.headers["Via"] = "1.1 google"
    return response
