"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path

from sequenzia import views

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("cds/", include("cds.urls")),
]
