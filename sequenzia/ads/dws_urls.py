"""DWS URLs, under ``/dws/`` (namespace ``dws``): the wallpaper API."""

from django.urls import path

from sequenzia.ads.views import dws

app_name = "dws"
urlpatterns = [
    path("next", dws.next_wallpaper, name="next"),
]
