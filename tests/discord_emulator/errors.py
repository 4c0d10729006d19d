"""Discord's JSON error shape and the codes the emulator answers with.

Shape and codes: https://discord.com/developers/docs/topics/opcodes-and-status-codes
(``{"message", "code", "errors"?}``; ``errors`` nests field paths down to
``{"_errors": [{"code", "message"}]}``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

# code -> (HTTP status, message), as Discord words them.
KNOWN: dict[int, tuple[int, str]] = {
    10003: (404, "Unknown Channel"),
    10004: (404, "Unknown Guild"),
    10007: (404, "Unknown Member"),
    10008: (404, "Unknown Message"),
    10011: (404, "Unknown Role"),
    10013: (404, "Unknown User"),
    30013: (400, "Maximum number of guild channels reached (500)"),
    30015: (400, "Maximum number of attachments in a message reached (10)"),
    40005: (413, "Request entity too large"),
    50001: (403, "Missing Access"),
    50005: (403, "Cannot edit a message authored by another user"),
    50006: (400, "Cannot send an empty message"),
    50008: (400, "Cannot send messages in a non-text channel"),
    50013: (403, "Missing Permissions"),
    50034: (400, "You can only bulk delete messages that are under 14 days old."),
    50035: (400, "Invalid Form Body"),
    50109: (400, "The request body contains invalid JSON."),
}


class DiscordError(Exception):
    """Raised by handlers; the app turns it into Discord's JSON error response."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    @classmethod
    def of(cls, code: int) -> DiscordError:
        status, message = KNOWN[code]
        return cls(status, code, message)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def http_error(status: int) -> DiscordError:
    """The code-0 errors Discord sends for plain HTTP failures (``"404: Not Found"``)."""
    reasons = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }
    return DiscordError(status, 0, f"{status}: {reasons.get(status, 'Error')}")


class FormErrors:
    """Collects field errors into one 50035 ``Invalid Form Body``."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: Sequence[str | int], code: str, message: str) -> None:
        node = self.tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def raise_if_any(self) -> None:
        if self.tree:
            raise DiscordError(400, 50035, "Invalid Form Body", self.tree)


def form_error(path: Sequence[str | int], code: str, message: str) -> DiscordError:
    errors = FormErrors()
    errors.add(path, code, message)
    return DiscordError(400, 50035, "Invalid Form Body", errors.tree)


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """JSON with ``Content-Type: application/json`` exactly, no charset, as Discord sends.

    discord.py's ``json_or_text`` only decodes when the header equals that string.
    """
    response = web.Response(
        body=json.dumps(data, separators=(",", ":")).encode(), status=status, headers=headers
    )
    response.headers["Content-Type"] = "application/json"
    return response


def error_response(error: DiscordError) -> web.Response:
    return json_response(error.body(), status=error.status)
