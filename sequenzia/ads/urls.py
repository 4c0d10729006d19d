"""ADS URLs, under ``/ads/`` (namespace ``ads``). DWS has its own, under ``/dws/``."""

from django.urls import path

from sequenzia.ads.views import manage, pairing, screen

app_name = "ads"
urlpatterns = [
    # The screen: the TV's start page, the slideshow and the JSON it runs on.
    path("", screen.home, name="home"),
    path("screen/", screen.screen, name="screen"),
    path("api/display", screen.api_display, name="api_display"),
    path("api/next", screen.api_next, name="api_next"),
    path("api/item/<int:file_id>", screen.api_item, name="api_item"),
    # Pairing a TV: it starts and polls; a signed-in person approves.
    path("pair/start", pairing.pair_start, name="pair_start"),
    path("pair/poll", pairing.pair_poll, name="pair_poll"),
    path("pair/", pairing.pair, name="pair"),
    # Profiles and displays (the owner's pages), and the phone remote.
    path("profiles/new/", manage.profile_new, name="profile_new"),
    path("profiles/<int:profile_id>/", manage.profile_edit, name="profile_edit"),
    path("profiles/<int:profile_id>/delete/", manage.profile_delete, name="profile_delete"),
    path("start/", manage.start_here, name="start"),
    path("displays/<int:display_id>/", manage.display_edit, name="display_edit"),
    path("displays/<int:display_id>/revoke/", manage.display_revoke, name="display_revoke"),
    path("displays/<int:display_id>/delete/", manage.display_delete, name="display_delete"),
    path("displays/<int:display_id>/remote/", manage.remote, name="remote"),
    path("displays/<int:display_id>/command/", manage.command, name="command"),
]
