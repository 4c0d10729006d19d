from django.apps import AppConfig


class AdsConfig(AppConfig):
    name = "sequenzia.ads"
    label = "ads"
    verbose_name = "Sequenzia ADS and DWS"
    default_auto_field = "django.db.models.BigAutoField"
