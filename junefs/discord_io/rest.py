"""A small sync client for the Discord REST calls and CDN reads the mirror's tasks need.

Reads attachments through their signed CDN URLs, renewing an expired one with
``POST /attachments/refresh-urls`` and, when that does not answer for it, by
fetching the message (every fetch carries fresh URLs). Honours 429s with their
``retry_after``. The Discord backend has a fuller client; the two are meant to
merge. Errors: ``ObjectMissing`` when the message or attachment is gone,
``BackendError`` for what a retry may fix.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone

from junefs.discord_io.records import url_expiry
from junefs.errors import BackendError, ObjectMissing

USER_AGENT = "DiscordBot (https://github.com/sequenzia, 0.1) Sequenzia"
#: Renew a URL that expires within this margin before reading it.
URL_MARGIN = timedelta(minutes=5)
CHUNK = 1024 * 1024


class DiscordRest:
    def __init__(
        self, token: str | None = None, api_base: str | None = None, timeout: float = 30.0
    ) -> None:
        self.api = httpx.Client(
            base_url=(api_base or settings.DISCORD_API_BASE).rstrip("/"),
            headers={
                "Authorization": f"Bot {token or settings.DISCORD_TOKEN}",
                "User-Agent": USER_AGENT,
            },
            timeout=timeout,
        )
        # The CDN gets no token: signed URLs need none, and it is another host.
        self.cdn = httpx.Client(headers={"User-Agent": USER_AGENT}, timeout=timeout)

    def __enter__(self) -> DiscordRest:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.api.close()
        self.cdn.close()

    # --- REST ----------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(6):
            try:
                response = self.api.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                raise BackendError(f"Discord API unreachable: {exc}") from None
            if response.status_code == 429:
                try:
                    wait = float(response.json().get("retry_after", 1.0))
                except (ValueError, AttributeError):
                    raise BackendError("Discord answered 429 without retry_after") from None
                time.sleep(min(wait, 60.0))
                continue
            if response.status_code >= 500 and attempt < 2:
                time.sleep(0.5 * (attempt + 1))
                continue
            return response
        raise BackendError(f"{method} {path}: still rate limited after retries")

    def get_message(self, channel_id: int, message_id: int) -> dict[str, Any]:
        response = self._request("GET", f"/channels/{channel_id}/messages/{message_id}")
        if response.status_code == 404:
            raise ObjectMissing(f"message {message_id} in channel {channel_id} is gone")
        if response.status_code != 200:
            raise BackendError(f"fetching message {message_id}: HTTP {response.status_code}")
        data: dict[str, Any] = response.json()
        return data

    def refresh_urls(self, urls: list[str]) -> dict[str, str]:
        """Original URL -> fresh URL, for those Discord could renew (at most 50 a call)."""
        fresh: dict[str, str] = {}
        for start in range(0, len(urls), 50):
            batch = urls[start : start + 50]
            response = self._request(
                "POST", "/attachments/refresh-urls", json={"attachment_urls": batch}
            )
            if response.status_code != 200:
                continue  # undocumented endpoint: fall back to message fetches
            for item in response.json().get("refreshed_urls", []):
                fresh[item["original"]] = item["refreshed"]
        return fresh

    def fresh_url(self, channel_id: int, message_id: int, attachment_id: int, url: str) -> str:
        """A signed URL for the attachment that works now."""
        if url:
            renewed = self.refresh_urls([url]).get(url)
            if renewed:
                return renewed
        message = self.get_message(channel_id, message_id)
        for attachment in message.get("attachments", []):
            if int(attachment["id"]) == attachment_id:
                return str(attachment["url"])
        raise ObjectMissing(f"attachment {attachment_id} is no longer on message {message_id}")

    # --- CDN -----------------------------------------------------------------
    @contextmanager
    def open_attachment(
        self,
        channel_id: int,
        message_id: int,
        attachment_id: int,
        url: str,
        expires_at: datetime | None,
    ) -> Iterator[tuple[str, Iterator[bytes]]]:
        """(the URL used, its chunks); renews the URL when stale or refused."""
        if not url or expires_at is None or expires_at < timezone.now() + URL_MARGIN:
            url = self.fresh_url(channel_id, message_id, attachment_id, url)
        for attempt in range(2):
            try:
                with self.cdn.stream("GET", url) as response:
                    if response.status_code == 404 and attempt == 0:
                        url = self.fresh_url(channel_id, message_id, attachment_id, url)
                        continue
                    if response.status_code == 404:
                        raise ObjectMissing(f"attachment {attachment_id}: the CDN has no such file")
                    if response.status_code != 200:
                        raise BackendError(
                            f"attachment {attachment_id}: CDN HTTP {response.status_code}"
                        )
                    yield url, response.iter_bytes(CHUNK)
                    return
            except httpx.TransportError as exc:
                raise BackendError(f"attachment {attachment_id}: CDN read failed: {exc}") from None
        raise ObjectMissing(f"attachment {attachment_id} could not be read")  # pragma: no cover

    def read_small(
        self, channel_id: int, message_id: int, attachment_id: int, url: str, limit: int
    ) -> bytes:
        """A whole (small) attachment in memory, such as a manifest or a thumbnail."""
        data = bytearray()
        with self.open_attachment(channel_id, message_id, attachment_id, url, url_expiry(url)) as (
            _,
            chunks,
        ):
            for chunk in chunks:
                data += chunk
                if len(data) > limit:
                    raise BackendError(f"attachment {attachment_id} is larger than {limit} bytes")
        return bytes(data)
