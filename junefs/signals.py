"""Signals JuneFS sends, so other apps can react without JuneFS knowing them.

``file_recorded`` is sent (with ``file=``) once a new File row is committed
by :func:`junefs.ingest.ingest`. Receivers run after the commit, and a
failing receiver is logged, never raised into the ingest.

``discord_member_updated`` carries a Discord member's roles as they are now
(sent by the Discord I/O mirror on GUILD_MEMBER_UPDATE and on join, in a sync
context, so receivers may use the ORM; the same roles may come more than
once). Keyword arguments: ``guild_id``, ``user_id`` (the member's Discord
id) and ``role_ids`` (list of int). AuthWare mirrors them into groups.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

from junefs.models import File

log = logging.getLogger(__name__)

file_recorded = Signal()
discord_member_updated = Signal()


def announce_recorded(file: File) -> None:
    def send() -> None:
        for receiver, result in file_recorded.send_robust(sender=File, file=file):
            if isinstance(result, Exception):
                log.warning("file_recorded receiver %r failed: %s", receiver, result)

    transaction.on_commit(send)
