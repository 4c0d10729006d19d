"""Signals JuneFS sends for other apps to act on."""

from django.dispatch import Signal

#: A Discord member's roles as they are now (sent on GUILD_MEMBER_UPDATE and on
#: join). Keyword arguments: ``guild_id`` (int), ``user_id`` (int), ``role_ids``
#: (list of int). Sent from the Discord I/O mirror in a sync context, so
#: receivers may use the ORM. The same roles may be sent more than once.
discord_member_updated = Signal()
