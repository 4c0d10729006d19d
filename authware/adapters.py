"""django-allauth adapters: sign-up by setting, Discord ids on users."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(settings.AUTHWARE_OPEN_SIGNUP)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return bool(settings.AUTHWARE_OPEN_SIGNUP or settings.AUTHWARE_DISCORD_SIGNUP)

    def populate_user(self, request: HttpRequest, sociallogin: Any, data: dict[str, Any]) -> Any:
        user = super().populate_user(request, sociallogin, data)
        if sociallogin.account.provider == "discord":
            user.discord_id = int(sociallogin.account.uid)
        return user
