"""Strict readers for settings taken from the environment.

Every setting Sequenzia reads from the environment goes through one of these
helpers. They refuse ambiguous or malformed values with a message naming the
variable, instead of silently falling back to a default (a typo in
``DEBUG=ture`` must not leave a production server in debug mode, nor turn it
off in development without saying so).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

#: ``str`` inside the class means the method; annotations use this name.
Text = str

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Env:
    """Typed, strict access to a mapping of environment variables."""

    def __init__(self, source: Mapping[Text, Text] | None = None) -> None:
        self.source = os.environ if source is None else source

    def _raw(self, name: Text) -> Text | None:
        value = self.source.get(name)
        if value is None:
            return None
        value = value.strip()
        return value if value != "" else None

    def str(self, name: Text, default: Text = "") -> Text:
        value = self._raw(name)
        return default if value is None else value

    def bool(self, name: Text, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a boolean; use one of {sorted(_TRUE)} or {sorted(_FALSE)}"
        )

    def int(
        self,
        name: Text,
        default: int,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value.replace("_", ""))
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}")
        if maximum is not None and number > maximum:
            raise ImproperlyConfigured(f"{name}={number} is above the maximum of {maximum}")
        return number

    def float(self, name: Text, default: float, *, minimum: float | None = None) -> float:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}")
        return number

    def choice(self, name: Text, default: Text, choices: tuple[Text, ...]) -> Text:
        value = self.str(name, default).lower()
        if value not in choices:
            raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(choices)}")
        return value

    def list(self, name: Text, default: list[Text] | None = None) -> list[Text]:
        value = self._raw(name)
        if value is None:
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]

    def url(self, name: Text, default: Text = "", *, schemes: tuple[Text, ...]) -> Text:
        value = self.str(name, default)
        if not value:
            return ""
        scheme, sep, rest = value.partition("://")
        hostless = scheme.lower() in ("filesystem", "memory", "sqlite")
        if not sep or scheme.lower() not in schemes or (not rest and not hostless):
            raise ImproperlyConfigured(
                f"{name}={value!r} is not a URL with one of the schemes: {', '.join(schemes)}"
            )
        return value

    def database(self, name: Text, default: Text) -> dict[Text, Any]:
        value = self.url(
            name,
            default,
            schemes=("sqlite", "mysql", "mariadb", "postgres", "postgresql", "pgsql"),
        )
        if value.startswith("mariadb://"):
            value = "mysql://" + value.removeprefix("mariadb://")
        try:
            config: dict[Text, Any] = environ.Env.db_url_config(value)
        except Exception as exc:  # django-environ raises several types
            raise ImproperlyConfigured(f"{name}={value!r} cannot be parsed: {exc}") from None
        return config
