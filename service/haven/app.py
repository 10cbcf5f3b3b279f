"""The one place that builds the Litestar app."""

from __future__ import annotations

from importlib.metadata import version

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components
from litestar.types import Method
from litestar.types.internal_types import PathParameterDefinition

from haven.api import ROUTES
from haven.api.auth import API_KEY_SCHEMES, PUBLIC_PATHS, ApiKeyAuthentication, KeyCache
from haven.api.http_metrics import HttpMetrics
from haven.api.problems import EXCEPTION_HANDLERS
from haven.config import Settings
from haven.console import CONSOLE_PATH, ConsoleHeaders, console_router
from haven.services import Services, build_services

PLUGINS_PATH = "/v1/plugins"


def plugin_operation_id(handler: HTTPRouteHandler, method: Method, path: list[str | PathParameterDefinition]) -> str:
    """An operation id for a route that names none (the plugins'): the method, then the path
    after /v1/plugins, e.g. postSlackEvents. Haven's own routes each name theirs."""
    words = [p for p in path if isinstance(p, str) and p not in ("v1", "plugins")]
    return method.lower() + "".join(w.replace("-", "_").title().replace("_", "") for w in words)


def create_app(settings: Settings | None = None, services: Services | None = None) -> Litestar:
    """The API. Given no services, builds them from `settings` (or the environment)."""
    if services is None:
        services = build_services(settings or Settings.from_env())
    # Each active plugin's routes under /v1/plugins/<name>/; they verify the platform's own
    # signatures, so API keys are not asked of them.
    plugin_routers = [
        Router(path=f"{PLUGINS_PATH}/{name}", route_handlers=list(plugin.routes()))
        for name, plugin in sorted(services.plugins.active.items())
    ]
    app = Litestar(
        route_handlers=[*ROUTES, console_router, *plugin_routers],
        state=State({"services": services, "keys": KeyCache(services.store)}),
        middleware=[
            # Every method is authenticated, OPTIONS and HEAD too (Litestar skips them by
            # default): the routes' scope guards need the key. The console's pages hold no data
            # and are public; the calls they make send the user's key like any client.
            DefineMiddleware(
                ApiKeyAuthentication,
                exclude=[f"^{p}" for p in [*PUBLIC_PATHS, PLUGINS_PATH + "/", CONSOLE_PATH + "(/|$)"]],
                exclude_http_methods=[],
            )
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=services.settings.server.max_body_bytes,
        on_startup=[services.start],
        on_shutdown=[services.close],
        openapi_config=OpenAPIConfig(
            title="Haven",
            version=version("haven"),
            description="Moderation as a service for online support communities.",
            components=Components(security_schemes=dict(API_KEY_SCHEMES)),
            # The document only, as JSON and YAML: no HTML page, whose viewers load their scripts from
            # a CDN (see docs/api.md).
            render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
            operation_id_creator=plugin_operation_id,
        ),
        logging_config=None,
        debug=False,
    )
    # Around the whole handler, so that requests routing refuses (404, 405) and every error
    # answer are counted too; Litestar's own middleware runs only once a route has matched.
    app.asgi_handler = HttpMetrics(ConsoleHeaders(app.asgi_handler))
    return app
