from django.apps import AppConfig


class SequenziaConfig(AppConfig):
    name = "sequenzia"
    verbose_name = "Sequenzia web"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from authware.signals import bump_on_change
        from sequenzia import live  # noqa: F401 - connects the live-update receiver
        from sequenzia.models import HiddenFolder

        # Hidden folders are cached with the access data: a change must be seen at once.
        for signal in (post_save, post_delete):
            signal.connect(
                bump_on_change, sender=HiddenFolder, weak=False, dispatch_uid=f"hidden.{signal}"
            )
