from django.apps import AppConfig


class CdsConfig(AppConfig):
    name = "cds"
    verbose_name = "CDS (content server)"
