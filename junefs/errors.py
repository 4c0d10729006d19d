"""Errors JuneFS raises. Each carries a message a person can act on."""

from __future__ import annotations


class JuneFSError(Exception):
    """Base class for every JuneFS error."""


class IngestRejected(JuneFSError):
    """The input cannot become a file (empty, corrupt, too large, a bomb...)."""


class IntegrityError(JuneFSError):
    """Bytes read back do not match the sha256 recorded when they entered."""


class PartDamaged(IntegrityError):
    """One part of a file is damaged or missing on its backend."""

    def __init__(self, file_id: int | None, index: int, reason: str) -> None:
        self.file_id = file_id
        self.index = index
        self.reason = reason
        where = f"part {index}" + (f" of file {file_id}" if file_id is not None else "")
        super().__init__(f"{where} is damaged: {reason}")


class ObjectMissing(JuneFSError):
    """A backend or the store does not have the object asked for."""


class BackendError(JuneFSError):
    """A backend failed in a way a retry may fix (network, rate limit, 5xx)."""


class BackendRefused(JuneFSError):
    """A backend refused the request for good (too large, forbidden...)."""
