"""Attachment URLs: a cache with an expiry, renewed in batches, never the source of truth.

Discord signs CDN URLs with ``ex`` (expiry) and ``is`` (issued), both hex
Unix seconds, and ``hm``; an expired URL answers 404. What we keep are the
channel, message and attachment ids. URLs are renewed through
``POST /attachments/refresh-urls`` (at most 50 at a time; undocumented, so
anything it leaves out is looked up by fetching its message, which always
carries fresh URLs).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import discord.http

from junefs.backends.base import Locator
from junefs.backends.discord.client import DiscordNotFound, DiscordRefused, DiscordSession

#: Discord's own limit is not documented; community clients send at most this many.
REFRESH_BATCH = 50
#: How long to trust a URL that carries no ``ex`` (a server that does not sign).
UNSIGNED_URL_LIFETIME = timedelta(hours=1)
log = logging.getLogger(__name__)
_CDN_PATH = re.compile(r"/attachments/(\d+)/(\d+)/")


def url_expiry(url: str) -> datetime | None:
    """When a signed CDN URL expires (its ``ex`` parameter, hex Unix seconds); None if unsigned."""
    ex = parse_qs(urlsplit(url).query).get("ex")
    if not ex:
        return None
    try:
        return datetime.fromtimestamp(int(ex[-1], 16), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def expiry_of(url: str) -> datetime:
    """When a signed URL stops working (its ``ex``), or an hour from now if unsigned."""
    return url_expiry(url) or datetime.now(UTC) + UNSIGNED_URL_LIFETIME


def attachment_id_of(url: str) -> int | None:
    match = _CDN_PATH.search(urlsplit(url).path)
    return int(match.group(2)) if match else None


def attachment_locator(
    message: dict[str, Any], backend: str, attachment_id: int | None = None
) -> Locator:
    """The locator of one attachment of a message (the first when no id is given)."""
    attachments = message.get("attachments") or []
    chosen = next(
        (a for a in attachments if attachment_id is None or int(a["id"]) == attachment_id), None
    )
    if chosen is None:
        raise DiscordNotFound(
            f"message {message.get('id')} has no attachment {attachment_id or ''}".rstrip(),
            status=404,
        )
    url = str(chosen["url"])
    return Locator(
        backend=backend,
        channel_id=int(message["channel_id"]),
        message_id=int(message["id"]),
        attachment_id=int(chosen["id"]),
        url=url,
        url_expires_at=expiry_of(url),
    )


def refresh_locators(session: DiscordSession, locators: Sequence[Locator]) -> list[Locator]:
    """Fresh URLs for ``locators``, in order. A locator whose message or attachment
    is gone comes back with an empty URL; one that could not be checked comes back
    unchanged (the caller will try again, or fail on the read)."""
    out = list(locators)
    done: set[int] = set()
    with_url = [(i, loc) for i, loc in enumerate(locators) if loc.url and loc.attachment_id]
    for start in range(0, len(with_url), REFRESH_BATCH):
        batch = with_url[start : start + REFRESH_BATCH]
        urls = [loc.url for _, loc in batch]
        try:
            answer = session.call(
                f"refresh {len(urls)} attachment URLs",
                lambda http, urls=urls: http.request(  # type: ignore[misc]
                    discord.http.Route("POST", "/attachments/refresh-urls"),
                    json={"attachment_urls": urls},
                ),
            )
        except DiscordRefused as exc:
            # Undocumented endpoint: a server without it still has message fetches.
            log.warning("%s; fetching the messages instead", exc)
            continue
        fresh: dict[int, str] = {}
        for entry in (answer or {}).get("refreshed_urls", []):
            refreshed = str(entry.get("refreshed") or "")
            attachment_id = attachment_id_of(refreshed) or attachment_id_of(
                str(entry.get("original") or "")
            )
            if refreshed and attachment_id is not None:
                fresh[attachment_id] = refreshed
        for i, loc in batch:
            url = fresh.get(loc.attachment_id or 0)
            if url:
                out[i] = loc.with_url(url, expiry_of(url))
                done.add(i)
    for i, loc in enumerate(locators):
        if i in done or not (loc.channel_id and loc.message_id and loc.attachment_id):
            continue
        out[i] = _from_message(session, loc)
    return out


def _from_message(session: DiscordSession, loc: Locator) -> Locator:
    """The fallback: fetch the message, which carries freshly signed URLs."""
    assert loc.channel_id and loc.message_id
    channel_id, message_id = loc.channel_id, loc.message_id
    try:
        message = session.call(
            f"fetch message {message_id} in channel {channel_id}",
            lambda http: http.get_message(channel_id, message_id),
        )
        fresh = attachment_locator(dict(message), loc.backend, loc.attachment_id)
    except DiscordNotFound:
        return loc.with_url("", None)
    return loc.with_url(fresh.url, fresh.url_expires_at)
