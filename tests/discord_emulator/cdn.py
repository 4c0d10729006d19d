"""The CDN: signed, expiring attachment URLs, served with Range and HEAD support.

Discord's attachment URLs carry ``ex`` (expiry) and ``is`` (issued), hex Unix seconds,
and ``hm``, a signature; expired or altered ones answer 404
(https://discord.com/developers/docs/reference#signed-attachment-cdn-urls).
``POST /attachments/refresh-urls`` (``{"attachment_urls": [...]}``, at most 50) answers
``{"refreshed_urls": [{"original", "refreshed"}]}``; it is undocumented.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from urllib.parse import parse_qs, quote, unquote, urlsplit

from aiohttp import web

from .errors import form_error, json_response
from .faults import CDN
from .models import Attachment
from .services import Services, services_of
from .wire import read_json, send_then_drop

GONE = "This content is no longer available."
CDN_PATH = re.compile(r"^(?:/media)?/attachments/(\d+)/(\d+)/([^/?#]+)$")
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class CdnSigner:
    def __init__(self, services: Services, secret: bytes) -> None:
        self.services = services
        self.secret = secret

    def _signature(
        self, channel_id: int, attachment_id: int, filename: str, ex: int, issued: int
    ) -> str:
        message = f"/attachments/{channel_id}/{attachment_id}/{filename}|{ex:x}|{issued:x}"
        return hmac.new(self.secret, message.encode(), hashlib.sha256).hexdigest()

    def sign(self, attachment: Attachment) -> tuple[str, str]:
        issued = int(self.services.clock.time())
        ex = issued + max(1, int(self.services.config.cdn_url_ttl))
        hm = self._signature(attachment.channel_id, attachment.id, attachment.filename, ex, issued)
        path = f"/attachments/{attachment.channel_id}/{attachment.id}/{quote(attachment.filename)}"
        query = f"?ex={ex:x}&is={issued:x}&hm={hm}&"
        base = self.services.base_url
        return f"{base}{path}{query}", f"{base}/media{path}{query}"

    def verify(
        self, channel_id: int, attachment_id: int, filename: str, query: dict[str, str]
    ) -> Attachment | None:
        """The attachment if the URL is genuine and unexpired, else None (→ 404)."""
        attachment = self.services.world.attachments.get(attachment_id)
        if (
            attachment is None
            or attachment.channel_id != channel_id
            or attachment.filename != filename
        ):
            return None
        try:
            ex, issued, hm = int(query["ex"], 16), int(query["is"], 16), query["hm"]
        except (KeyError, ValueError):
            return None
        expected = self._signature(channel_id, attachment_id, filename, ex, issued)
        if not hmac.compare_digest(expected, hm):
            return None
        if self.services.clock.time() >= ex:
            return None
        return attachment

    def refresh(self, url: str) -> str | None:
        parts = urlsplit(url)
        match = CDN_PATH.match(parts.path)
        if match is None:
            return None
        channel_id, attachment_id = int(match.group(1)), int(match.group(2))
        attachment = self.services.world.attachments.get(attachment_id)
        if (
            attachment is None
            or attachment.channel_id != channel_id
            or attachment.filename != unquote(match.group(3))
        ):
            return None
        url, proxy_url = self.sign(attachment)
        return proxy_url if parts.path.startswith("/media/") else url


def _not_found() -> web.Response:
    return web.Response(status=404, text=GONE)


async def serve_attachment(request: web.Request) -> web.StreamResponse:
    services = services_of(request)
    faults, counters = services.faults, services.counters
    attachment_id = int(request.match_info["attachment_id"])
    if rule := faults.take("latency", CDN, attachment_id):
        await asyncio.sleep(rule.params["seconds"])
    query = {k: v[-1] for k, v in parse_qs(request.query_string).items()}
    attachment = services.cdn.verify(
        int(request.match_info["channel_id"]), attachment_id, request.match_info["filename"], query
    )
    response = _answer(request, services, attachment, attachment_id)
    counters.cdn_responses_by_status[response.status] += 1
    if request.method == "GET" and attachment is not None:
        counters.cdn_fetches[attachment_id] += 1
        if response.status in (200, 206) and (rule := faults.take("cdn_drop", CDN, attachment_id)):
            counters.faults_fired["cdn_drop"] += 1
            return await send_then_drop(request, response, rule.params["keep_fraction"])
        if isinstance(response.body, bytes):
            counters.cdn_bytes_sent += len(response.body)
    return response


def _answer(
    request: web.Request, services: Services, attachment: Attachment | None, attachment_id: int
) -> web.Response:
    if attachment is None:
        return _not_found()
    faults = services.faults
    if rule := faults.take("server_error", CDN, attachment_id):
        services.counters.faults_fired["server_error"] += 1
        status = faults.rng.choice(rule.params["statuses"])
        return web.Response(status=status, text=f"{status} error")
    data = attachment.data
    size = len(data)
    headers = {
        "Content-Type": attachment.content_type or "application/octet-stream",
        "Accept-Ranges": "bytes",
        "ETag": f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"',
        "Cache-Control": "public, max-age=31536000",
    }
    status = 200
    byte_range = _parse_range(request.headers.get("Range"), size)
    if byte_range == "unsatisfiable":
        headers["Content-Range"] = f"bytes */{size}"
        return web.Response(status=416, headers=headers)
    if isinstance(byte_range, tuple):
        start, end = byte_range
        data = data[start : end + 1]
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        status = 206
    if request.method == "GET":
        if rule := faults.take("cdn_truncate", CDN, attachment_id):
            services.counters.faults_fired["cdn_truncate"] += 1
            data = data[: int(len(data) * rule.params["keep_fraction"])]
        elif faults.take("cdn_corrupt", CDN, attachment_id):
            services.counters.faults_fired["cdn_corrupt"] += 1
            data = faults.corrupt(data)
    return web.Response(status=status, body=data, headers=headers)


def _parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """One ``bytes=a-b`` range as (start, end inclusive); several ranges are served whole."""
    if not header:
        return None
    match = RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = int(last)
        if length == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or (last != "" and int(last) < start):
        return "unsatisfiable"
    return start, end


async def refresh_urls(request: web.Request) -> web.Response:
    services = services_of(request)
    body = await read_json(request)
    urls = body.get("attachment_urls") if isinstance(body, dict) else None
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise form_error(["attachment_urls"], "BASE_TYPE_REQUIRED", "This field is required")
    if len(urls) > 50:
        raise form_error(
            ["attachment_urls"], "BASE_TYPE_MAX_LENGTH", "Must be 50 or fewer in length."
        )
    refreshed = []
    for url in urls:
        fresh = services.cdn.refresh(url)
        if fresh is not None:
            refreshed.append({"original": url, "refreshed": fresh})
    return json_response({"refreshed_urls": refreshed})


def add_cdn_routes(app: web.Application) -> None:
    for prefix in ("", "/media"):
        path = prefix + "/attachments/{channel_id:\\d+}/{attachment_id:\\d+}/{filename}"
        app.router.add_get(path, serve_attachment)  # also answers HEAD, without the body
