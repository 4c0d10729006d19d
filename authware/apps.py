from django.apps import AppConfig


class AuthwareConfig(AppConfig):
    name = "authware"
    verbose_name = "AuthWare"

    def ready(self) -> None:
        from authware import signals  # noqa: F401 - connects the receivers
