from django.apps import AppConfig


class JunefsConfig(AppConfig):
    name = "junefs"
    verbose_name = "JuneFS"

    def ready(self) -> None:
        from junefs import lookups

        lookups.register()
