"""Where bytes live. ``get_backend()`` returns the configured one."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from django.conf import settings

from junefs.backends.base import Backend, Locator, Target

#: Backend name -> "module:Class". A new backend adds one line here.
REGISTRY = {
    "local": "junefs.backends.local:LocalBackend",
    "storages": "junefs.backends.storages:StoragesBackend",
    "discord": "junefs.backends.discord:DiscordBackend",
}

__all__ = ["REGISTRY", "Backend", "Locator", "Target", "get_backend", "part_size_for"]


@cache
def get_backend(name: str | None = None) -> Backend:
    """The backend called ``name`` (default: settings.STORAGE_BACKEND), one per process."""
    name = name or settings.STORAGE_BACKEND
    try:
        module_name, class_name = REGISTRY[name].split(":")
    except KeyError:
        raise ValueError(
            f"unknown storage backend {name!r}; known: {', '.join(REGISTRY)}"
        ) from None
    backend_class = getattr(import_module(module_name), class_name)
    backend: Backend = backend_class()
    return backend


def part_size_for(backend: Backend, target: Target | None = None) -> int:
    """JUNEFS_MAX_PART_SIZE when set, else what the backend allows for ``target``."""
    configured: int = settings.JUNEFS_MAX_PART_SIZE
    allowed = backend.max_part_size(target)
    return min(configured, allowed) if configured else allowed
