"""DWS URLs, under ``/dws/`` (namespace ``dws``): the wallpaper API."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "dws"
urlpatterns: list[URLPattern] = []
