"""Websocket routes (Channels). Apps add their consumers here."""

from django.urls import URLPattern, path

from sequenzia.ads.live import ScreenConsumer
from sequenzia.live import GalleryConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/gallery/", GalleryConsumer.as_asgi()),
    path("ws/ads/", ScreenConsumer.as_asgi()),
]
