"""Messages: create, edit, delete, bulk delete and history, with Discord's rules.

Rules and limits: https://discord.com/developers/docs/resources/message
(create: content ≤ 2000, ≤ 10 embeds, ``attachments[].id`` ↔ ``files[n]``, nonce ≤ 25
with ``enforce_nonce``; bulk delete: 2-100 ids, none older than 14 days, unknown ids
count but are ignored, duplicates refused; history: ``limit`` 1-100, default 50).
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import DiscordError, FormErrors, form_error
from .models import GUILD_TEXT, Attachment, Channel, Guild, Message, User
from .payloads import (
    UrlSigner,
    guess_content_type,
    member_payload,
    message_payload,
    strip_message_content,
)
from .snowflake import snowflake_unix_ms
from .state import INTENT_GUILD_MESSAGES, INTENT_MESSAGE_CONTENT, Event, World

BULK_DELETE_MAX_AGE = dt.timedelta(days=14)
NONCE_WINDOW_SECONDS = 300.0
MENTION = re.compile(r"<@!?(\d{15,21})>")


@dataclass
class UploadedFile:
    index: int
    filename: str
    data: bytes


@dataclass
class MessageInput:
    """A parsed create/edit body. ``None`` means the field was not sent."""

    content: Any = None
    embeds: Any = None
    nonce: Any = None
    enforce_nonce: bool = False
    tts: bool = False
    flags: int = 0
    attachments: Any = None
    sticker_ids: Any = None
    files: list[UploadedFile] = field(default_factory=list)


def sanitise_filename(name: str) -> str:
    """Discord drops any path and turns spaces into underscores."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return re.sub(r"\s", "_", base) or "unknown"


class MessageStore:
    def __init__(self, world: World, sign: UrlSigner) -> None:
        self.world = world
        self.sign = sign
        self._nonces: dict[tuple[int, int, str], tuple[int, float]] = {}

    # -- payloads -------------------------------------------------------------------
    def payload(
        self, message: Message, viewer: User | None = None, *, include_nonce: bool = False
    ) -> dict[str, Any]:
        users = self.world.users
        mentions = [users[i] for i in message.mention_ids if i in users]
        data = message_payload(
            message, users[message.author_id], self.sign, mentions, include_nonce=include_nonce
        )
        if viewer is not None and not self._can_read_content(message, viewer):
            data = strip_message_content(data)
        return data

    def _can_read_content(self, message: Message, viewer: User) -> bool:
        bot = self.world.bot_by_user(viewer.id)
        if bot is None or bot.privileged_intents & INTENT_MESSAGE_CONTENT:
            return True
        return message.author_id == viewer.id or viewer.id in message.mention_ids

    def _event(self, name: str, message: Message) -> Event:
        data = self.payload(message, include_nonce=name == "MESSAGE_CREATE")
        data["guild_id"] = str(message.guild_id)
        member = self.world.guilds[message.guild_id].members.get(message.author_id)
        if member is not None:
            data["member"] = member_payload(member, None)
        return Event(
            name,
            data,
            message.guild_id,
            INTENT_GUILD_MESSAGES,
            author_id=message.author_id,
            mention_ids=tuple(message.mention_ids),
        )

    # -- lookups ------------------------------------------------------------------------
    def get(self, channel: Channel, message_id: int) -> Message:
        try:
            return channel.messages[message_id]
        except KeyError:
            raise DiscordError.of(10008) from None

    # -- create / edit / delete ---------------------------------------------------------
    def create(
        self,
        channel: Channel,
        author_id: int,
        body: MessageInput,
        created_at: dt.datetime | None = None,
    ) -> Message:
        if channel.type != GUILD_TEXT:
            raise DiscordError.of(50008)
        guild = self.world.guilds[channel.guild_id]
        nonce = self._check_nonce(body.nonce)
        if nonce is not None and body.enforce_nonce:
            previous = self._nonces.get((channel.id, author_id, nonce))
            if previous and self.world.clock.time() - previous[1] < NONCE_WINDOW_SECONDS:
                existing = channel.messages.get(previous[0])
                if existing is not None:
                    return existing
        message_id = (
            self.world.snowflakes.next()
            if created_at is None
            else self.world.snowflakes.at(created_at)
        )
        message = Message(
            id=message_id,
            channel_id=channel.id,
            guild_id=guild.id,
            author_id=author_id,
            content="",
            nonce=nonce,
            tts=bool(body.tts),
        )
        attachments = self._build_attachments(guild, message, body, existing=[])
        content = self._check_content(guild, body.content)
        embeds = self._check_embeds(body.embeds)
        if not content and not embeds and not attachments and not body.sticker_ids:
            raise DiscordError.of(50006)
        message.content, message.embeds, message.attachments = content, embeds, attachments
        message.mention_ids = self._mentions(guild, content)
        self._store(channel, message)
        if nonce is not None:
            self._nonces[(channel.id, author_id, nonce)] = (message.id, self.world.clock.time())
        self.world.emit(self._event("MESSAGE_CREATE", message))
        return message

    def _store(self, channel: Channel, message: Message) -> None:
        channel.add_message(message)
        for attachment in message.attachments:
            self.world.attachments[attachment.id] = attachment

    def edit(
        self, channel: Channel, message_id: int, editor_id: int, body: MessageInput
    ) -> Message:
        message = self.get(channel, message_id)
        if message.author_id != editor_id:
            raise DiscordError.of(50005)
        guild = self.world.guilds[channel.guild_id]
        attachments = self._build_attachments(guild, message, body, existing=message.attachments)
        content = (
            message.content if body.content is None else self._check_content(guild, body.content)
        )
        embeds = message.embeds if body.embeds is None else self._check_embeds(body.embeds)
        if not content and not embeds and not attachments:
            raise DiscordError.of(50006)
        for removed in {a.id for a in message.attachments} - {a.id for a in attachments}:
            self.world.attachments.pop(removed, None)
        message.content, message.embeds, message.attachments = content, embeds, attachments
        message.mention_ids = self._mentions(guild, content)
        message.edited_timestamp = self.world.now_iso()
        for attachment in attachments:
            self.world.attachments[attachment.id] = attachment
        self.world.emit(self._event("MESSAGE_UPDATE", message))
        return message

    def delete(self, channel: Channel, message_id: int, *, emit: bool = True) -> None:
        message = channel.remove_message(message_id)
        if message is None:
            raise DiscordError.of(10008)
        for attachment in message.attachments:
            self.world.attachments.pop(attachment.id, None)
        if emit:
            data = {
                "id": str(message_id),
                "channel_id": str(channel.id),
                "guild_id": str(channel.guild_id),
            }
            self.world.emit(Event("MESSAGE_DELETE", data, channel.guild_id, INTENT_GUILD_MESSAGES))

    def bulk_delete(self, channel: Channel, body: Any) -> None:
        raw = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(raw, list):
            raise form_error(["messages"], "BASE_TYPE_REQUIRED", "This field is required")
        if len(raw) < 2:
            raise form_error(["messages"], "BASE_TYPE_MIN_LENGTH", "Must be 2 or more in length.")
        if len(raw) > 100:
            raise form_error(
                ["messages"], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."
            )
        errors = FormErrors()
        ids = [_snowflake_or_error(value, ["messages", i], errors) for i, value in enumerate(raw)]
        errors.raise_if_any()
        if len(set(ids)) != len(ids):
            raise form_error(["messages"], "BASE_TYPE_DUPLICATES", "Duplicate message ids.")
        oldest_ms = (self.world.clock.time() - BULK_DELETE_MAX_AGE.total_seconds()) * 1000
        if any(snowflake_unix_ms(i) < oldest_ms for i in ids):
            raise DiscordError.of(50034)
        deleted = []
        for message_id in ids:
            message = channel.remove_message(message_id)
            if message is not None:
                deleted.append(message_id)
                for attachment in message.attachments:
                    self.world.attachments.pop(attachment.id, None)
        if deleted:
            data = {
                "ids": [str(i) for i in deleted],
                "channel_id": str(channel.id),
                "guild_id": str(channel.guild_id),
            }
            self.world.emit(
                Event("MESSAGE_DELETE_BULK", data, channel.guild_id, INTENT_GUILD_MESSAGES)
            )

    # -- history ----------------------------------------------------------------------------
    def history(self, channel: Channel, query: dict[str, str]) -> list[Message]:
        errors = FormErrors()
        asked = _int_or_error(query["limit"], ["limit"], errors) if "limit" in query else 50
        if asked is not None and asked < 1:
            errors.add(
                ["limit"], "NUMBER_TYPE_MIN", "int value should be greater than or equal to 1."
            )
        elif asked is not None and asked > 100:
            errors.add(
                ["limit"], "NUMBER_TYPE_MAX", "int value should be less than or equal to 100."
            )
        anchors = {
            key: _snowflake_or_error(query[key], [key], errors)
            for key in ("around", "before", "after")
            if key in query
        }
        errors.raise_if_any()
        limit = asked or 50
        order = channel.message_order
        if "around" in anchors:
            pivot = anchors["around"]
            newer_count = limit // 2
            cut = bisect.bisect_right(order, pivot)
            older = order[max(0, cut - (limit - newer_count)) : cut]
            ids = older + order[cut : cut + newer_count]
        elif "before" in anchors:
            cut = bisect.bisect_left(order, anchors["before"])
            ids = order[max(0, cut - limit) : cut]
        elif "after" in anchors:
            cut = bisect.bisect_right(order, anchors["after"])
            ids = order[cut : cut + limit]
        else:
            ids = order[-limit:]
        return [channel.messages[i] for i in reversed(ids)]

    # -- validation -------------------------------------------------------------------------
    def _check_nonce(self, nonce: Any) -> str | None:
        if nonce is None:
            return None
        if not isinstance(nonce, str | int) or len(str(nonce)) > 25:
            raise form_error(["nonce"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        return str(nonce)

    def _check_content(self, guild: Guild, content: Any) -> str:
        if content is None:
            return ""
        if not isinstance(content, str):
            raise form_error(["content"], "BASE_TYPE_STRING", "Must be a string.")
        limit = guild.limits.content_chars
        if len(content) > limit:
            raise form_error(
                ["content"], "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
            )
        return content

    def _check_embeds(self, embeds: Any) -> list[dict[str, Any]]:
        if embeds is None:
            return []
        if not isinstance(embeds, list) or not all(isinstance(e, dict) for e in embeds):
            raise form_error(["embeds"], "BASE_TYPE_ARRAY", "Must be an array of embeds.")
        if len(embeds) > 10:
            raise form_error(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        return [dict(e, type=e.get("type", "rich")) for e in embeds]

    def _mentions(self, guild: Guild, content: str) -> list[int]:
        found = [int(m) for m in MENTION.findall(content)]
        return [i for i in dict.fromkeys(found) if i in guild.members]

    def _build_attachments(
        self, guild: Guild, message: Message, body: MessageInput, existing: list[Attachment]
    ) -> list[Attachment]:
        files = {f.index: f for f in body.files}
        kept: list[Attachment] = []
        used: list[tuple[UploadedFile, dict[str, Any]]] = []
        if body.attachments is None:
            kept = list(existing)
        else:
            if not isinstance(body.attachments, list):
                raise form_error(["attachments"], "BASE_TYPE_ARRAY", "Must be an array.")
            by_id = {a.id: a for a in existing}
            errors = FormErrors()
            for i, spec in enumerate(body.attachments):
                key = _as_int(spec.get("id") if isinstance(spec, dict) else None)
                if key in by_id:
                    kept.append(by_id[key])
                elif key in files:
                    used.append((files.pop(key), spec))
                else:
                    errors.add(
                        ["attachments", i, "id"], "ATTACHMENT_NOT_FOUND", "Unknown attachment."
                    )
            errors.raise_if_any()
        used += [(f, {}) for f in sorted(files.values(), key=lambda f: f.index)]
        limits = guild.limits
        if len(kept) + len(used) > limits.max_attachments:
            raise DiscordError.of(30015)
        max_bytes = limits.effective_attachment_bytes(guild.premium_tier)
        if any(len(f.data) > max_bytes for f, _ in used):
            raise DiscordError.of(40005)
        made = []
        for upload, spec in used:
            filename = sanitise_filename(str(spec.get("filename") or upload.filename))
            description = spec.get("description")
            made.append(
                Attachment(
                    id=self.world.snowflakes.next(),
                    channel_id=message.channel_id,
                    message_id=message.id,
                    filename=filename,
                    data=upload.data,
                    content_type=guess_content_type(filename),
                    description=description if isinstance(description, str) else None,
                )
            )
        return kept + made


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _int_or_error(value: str, path: list[str | int], errors: FormErrors) -> int | None:
    number = _as_int(value)
    if number is None:
        errors.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
    return number


def _snowflake_or_error(value: Any, path: list[str | int], errors: FormErrors) -> int:
    number = _as_int(value)
    if number is None or number < 0 or number >= 1 << 64:
        errors.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')
        return 0
    return number
