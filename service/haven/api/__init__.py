"""The HTTP API: one Litestar controller module per resource."""

from litestar.types import ControllerRouterHandler

from haven.api.actions import ActionController
from haven.api.decisions import DecisionController
from haven.api.escalations import AcknowledgeController
from haven.api.health import healthz, metrics_endpoint, readyz
from haven.api.history import HistoryController
from haven.api.identities import ProtectedIdentityController
from haven.api.parked import ParkedPostController
from haven.api.policies import PolicyController, PolicyVersionController
from haven.api.posts import PostController
from haven.api.queue import QueueController
from haven.api.reviews import ReviewController
from haven.api.webhooks import WebhookController

ROUTES: list[ControllerRouterHandler] = [
    PostController,
    ParkedPostController,
    ActionController,
    DecisionController,
    ReviewController,
    AcknowledgeController,
    HistoryController,
    QueueController,
    WebhookController,
    PolicyController,
    PolicyVersionController,
    ProtectedIdentityController,
    healthz,
    readyz,
    metrics_endpoint,
]

__all__ = ["ROUTES"]
