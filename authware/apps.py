from django.apps import AppConfig


class AuthwareConfig(AppConfig):
    name = "authware"
    verbose_name = "AuthWare"

    def ready(self) -> None:
        from authware import signals

        signals.connect_access_version()
