from django.apps import AppConfig


class AuthwareConfig(AppConfig):
    name = "authware"
    verbose_name = "AuthWare"
