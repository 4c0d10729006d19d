from django.apps import AppConfig


class SequenziaConfig(AppConfig):
    name = "sequenzia"
    verbose_name = "Sequenzia web"

    def ready(self) -> None:
        from sequenzia import live  # noqa: F401 - connects the live-update receiver
