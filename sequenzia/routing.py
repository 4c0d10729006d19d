"""Websocket routes (Channels). Apps add their consumers here."""

from django.urls import URLPattern, path

from sequenzia.live import GalleryConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/gallery/", GalleryConsumer.as_asgi()),
]
