"""Message bodies: JSON, or multipart with ``payload_json`` and ``files[n]`` parts.

https://discord.com/developers/docs/reference#uploading-files: the whole request is
capped (25 MiB here, more for boosted guilds), each file by the guild's upload limit.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import BodyPartReader, web

from .errors import DiscordError, form_error
from .messages import MessageInput, UploadedFile
from .wire import CHUNK, drain, read_capped

FILE_FIELD = re.compile(r"^files\[(\d+)\]$")


async def read_message_input(request: web.Request, request_limit: int) -> tuple[MessageInput, int]:
    """The parsed body and the number of bytes it took on the wire."""
    if request.content_type == "multipart/form-data":
        return await _read_multipart(request, request_limit)
    raw = await read_capped(request, request_limit)
    if not raw.strip():
        return MessageInput(), len(raw)
    try:
        payload = json.loads(raw)
    except ValueError:
        raise DiscordError.of(50109) from None
    return message_input_from(payload, []), len(raw)


async def _read_multipart(request: web.Request, limit: int) -> tuple[MessageInput, int]:
    if request.content_length is not None and request.content_length > limit:
        await drain(request, limit)
        raise DiscordError.of(40005)
    reader = await request.multipart()
    payload: dict[str, Any] = {}
    files: list[UploadedFile] = []
    total = 0
    unnamed = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        chunks: list[bytes] = []
        while chunk := await part.read_chunk(CHUNK):
            total += len(chunk)
            if total > limit:
                await drain(request, limit)
                raise DiscordError.of(40005)
            chunks.append(chunk)
        data = b"".join(chunks)
        name = part.name or ""
        if name == "payload_json":
            try:
                payload = json.loads(data)
            except ValueError:
                raise DiscordError.of(50109) from None
        elif part.filename is not None:
            match = FILE_FIELD.match(name)
            index = int(match.group(1)) if match else 1000 + unnamed
            unnamed += 0 if match else 1
            files.append(UploadedFile(index, part.filename, data))
        elif name in ("content", "nonce", "tts"):
            payload[name] = data.decode("utf-8", "replace")
    return message_input_from(payload, files), total


def message_input_from(payload: Any, files: list[UploadedFile]) -> MessageInput:
    if not isinstance(payload, dict):
        raise form_error(["_root"], "DICT_TYPE_CONVERT", "Only dictionaries may be used.")
    return MessageInput(
        content=payload.get("content"),
        embeds=payload.get("embeds"),
        nonce=payload.get("nonce"),
        enforce_nonce=bool(payload.get("enforce_nonce", False)),
        tts=bool(payload.get("tts", False)),
        flags=int(payload.get("flags") or 0),
        attachments=payload.get("attachments"),
        sticker_ids=payload.get("sticker_ids"),
        files=files,
    )
