"""The HTTP API: one Litestar controller module per resource."""

from litestar.types import ControllerRouterHandler

from service.api.decisions import DecisionController
from service.api.health import healthz, metrics_endpoint, readyz
from service.api.posts import PostController
from service.api.reviews import ReviewController
from service.api.webhooks import WebhookController

ROUTES: list[ControllerRouterHandler] = [
    PostController,
    DecisionController,
    ReviewController,
    WebhookController,
    healthz,
    readyz,
    metrics_endpoint,
]

__all__ = ["ROUTES"]
