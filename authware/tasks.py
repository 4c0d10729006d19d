"""AuthWare's Celery tasks (found by Celery's autodiscovery)."""

from authware.discord_roles import sync_discord_roles_task

__all__ = ["sync_discord_roles_task"]
