from django.apps import AppConfig


class SequenziaConfig(AppConfig):
    name = "sequenzia"
    verbose_name = "Sequenzia web"
