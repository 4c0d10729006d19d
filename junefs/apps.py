from django.apps import AppConfig


class JunefsConfig(AppConfig):
    name = "junefs"
    verbose_name = "JuneFS"
