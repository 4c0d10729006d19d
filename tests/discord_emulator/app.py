"""The aiohttp application and a runner that serves it from a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from .cdn import CdnSigner, add_cdn_routes, refresh_urls
from .control import add_control_routes
from .gateway import gateway_handler
from .messages import MessageStore
from .middleware import API_PREFIX, api_middleware
from .rest_channels import add_channel_routes
from .rest_core import add_core_routes
from .rest_guilds import add_guild_routes
from .services import SERVICES, EmulatorConfig, Services
from .sessions import GatewayHub

T = TypeVar("T")


def build_app(services: Services) -> web.Application:
    services.cdn = CdnSigner(services, services.world.rng.randbytes(32))
    services.messages = MessageStore(services.world, services.cdn.sign)
    services.gateway = GatewayHub(services)
    app = web.Application(middlewares=[api_middleware])
    app[SERVICES] = services
    router = app.router
    add_core_routes(router, API_PREFIX)
    add_guild_routes(router, API_PREFIX)
    add_channel_routes(router, API_PREFIX)
    router.add_post(API_PREFIX + "/attachments/refresh-urls", refresh_urls)
    add_cdn_routes(app)
    add_control_routes(router)
    router.add_get("/", gateway_handler)
    app.on_shutdown.append(_close_gateways)
    return app


async def _close_gateways(app: web.Application) -> None:
    for connection in list(app[SERVICES].gateway.connections):
        connection.close(1001)


class EmulatorThread:
    """Runs the app on its own event loop in a daemon thread, on an ephemeral port."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.services = Services.create(config)
        self.app = build_app(self.services)
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._run, name="discord-emulator", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(timeout=10)
        if self._error is not None:
            raise RuntimeError("the Discord emulator failed to start") from self._error
        if not self._ready.is_set():
            raise RuntimeError("the Discord emulator did not start within 10 s")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as error:  # reported to start()
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    async def _serve(self) -> None:
        self._runner = web.AppRunner(
            self.app, handle_signals=False, shutdown_timeout=2, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.services.base_url = f"http://{self.config.host}:{self.port}"

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        if self._runner is not None:
            future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop)
            future.result(timeout=15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)

    def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``function`` on the emulator's loop and return its result (thread-safe)."""
        if threading.current_thread() is self._thread:
            return function(*args, **kwargs)

        async def run() -> T:
            return function(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=30)
