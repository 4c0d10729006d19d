"""A view that names the thread it runs on (for the ASGI thread-pool test)."""

import threading

from django.http import HttpRequest, HttpResponse
from django.urls import path


def thread_name(request: HttpRequest) -> HttpResponse:
    return HttpResponse(threading.current_thread().name, content_type="text/plain")


urlpatterns = [path("thread/", thread_name)]
