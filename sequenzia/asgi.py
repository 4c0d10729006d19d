"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

import django
from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sequenzia.settings")

# Django must be set up before anything imports models.
django.setup(set_prefix=False)

from sequenzia.asgi_threads import PooledThreadsASGIHandler  # noqa: E402
from sequenzia.lifespan import lifespan  # noqa: E402
from sequenzia.routing import websocket_urlpatterns  # noqa: E402

# HTTP: each request's sync code on a long-lived thread (see asgi_threads.py).
django_asgi_app = PooledThreadsASGIHandler(threads=settings.WEB_SYNC_THREADS)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
        # Startup and shutdown: a graceful stop writes the buffered access audit.
        "lifespan": lifespan,
    }
)
