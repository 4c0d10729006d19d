"""ADS URLs, under ``/ads/`` (namespace ``ads``). DWS has its own, under ``/dws/``."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "ads"
urlpatterns: list[URLPattern] = [
    # The screen: the slideshow page, its JSON and the phone remote.
    # Pairing a TV.
    # Profiles and displays (account pages).
]
