"""Websocket routes (Channels). Apps add their consumers here."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
