"""Top-level URL configuration."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from sequenzia.api import api
from sequenzia.views import account, albums, files, gallery, upload

# The admin's own login page would skip allauth (and its two-factor step and
# rate limits): send admins through allauth's login instead.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Sequenzia admin"
admin.site.site_title = "Sequenzia admin"

urlpatterns = [
    path("", gallery.gallery, name="gallery"),
    path("favourites/", gallery.favourites, name="favourites"),
    path("u/<str:username>/favourites/", gallery.user_favourites, name="user_favourites"),
    path("feed/", gallery.feed, name="feed"),
    path("healthz", gallery.healthz, name="healthz"),
    path("f/<int:file_id>/", files.file_page, name="file"),
    path("f/<int:file_id>/favourite/", files.favourite, name="file_favourite"),
    path("f/<int:file_id>/move/", files.move, name="file_move"),
    path("f/<int:file_id>/rename/", files.rename, name="file_rename"),
    path("f/<int:file_id>/rotate/", files.rotate, name="file_rotate"),
    path("f/<int:file_id>/delete/", files.delete, name="file_delete"),
    path("f/<int:file_id>/flag/", files.flag, name="file_flag"),
    path("flags/", files.flags, name="flags"),
    path("albums/", albums.album_list, name="albums"),
    path("albums/<int:album_id>/", albums.album_page, name="album"),
    path("albums/<int:album_id>/edit/", albums.album_edit, name="album_edit"),
    path("albums/<int:album_id>/delete/", albums.album_delete, name="album_delete"),
    path("albums/<int:album_id>/add/", albums.album_add, name="album_add"),
    path("albums/<int:album_id>/cover/", albums.album_cover, name="album_cover"),
    path(
        "albums/<int:album_id>/items/<int:item_id>/remove/",
        albums.album_item_remove,
        name="album_item_remove",
    ),
    path(
        "albums/<int:album_id>/items/<int:item_id>/move/",
        albums.album_item_move,
        name="album_item_move",
    ),
    path("upload/", upload.upload, name="upload"),
    path("bulk/", upload.bulk, name="bulk"),
    path("history/", account.history, name="history"),
    path("history/clear/", account.history_clear, name="history_clear"),
    path("account/", account.account, name="account"),
    path("account/tokens/", account.token_create, name="token_create"),
    path("account/tokens/<int:token_id>/revoke/", account.token_revoke, name="token_revoke"),
    path("ads/", include("sequenzia.ads.urls")),
    path("dws/", include("sequenzia.ads.dws_urls")),
    path("api/", api.urls),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("cds/", include("cds.urls")),
]
