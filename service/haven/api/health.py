"""GET /healthz (alive), /readyz (Redis and database reachable), /metrics (Prometheus)."""

from __future__ import annotations

import logging

from litestar import Request, Response, get
from litestar.datastructures import State

from haven import metrics
from haven.api.problems import Problem
from haven.api.schemas import Status
from haven.services import Services

log = logging.getLogger("haven.api")


@get("/healthz", tags=["health"], summary="The process is alive")
async def healthz() -> Status:
    return Status(status="ok")


@get("/readyz", tags=["health"], sync_to_thread=True, summary="Redis and the database answer")
def readyz(request: Request[None, None, State]) -> Status:
    services: Services = request.app.state.services
    failing = []
    for name, check in (("database", services.store.ping), ("queue", services.work.ping)):
        try:
            check()
        except Exception:
            log.warning("readyz.failing", extra={"error": name})
            failing.append(name)
    if failing:
        raise Problem(503, "not-ready", f"not reachable: {', '.join(failing)}", failing=failing)
    return Status(
        status="ready",
        mode=services.mode,
        policy_version=services.policies.current().version,
        plugins_on=sorted(services.plugins.active),
        plugins_off=dict(sorted(services.plugins.off.items())),
    )


@get("/metrics", tags=["health"], sync_to_thread=True, summary="Prometheus metrics")
def metrics_endpoint(request: Request[None, None, State]) -> Response[bytes]:
    services: Services = request.app.state.services
    try:
        for queue, depth in services.work.depths().items():
            metrics.QUEUE_DEPTH.labels(queue=queue).set(depth)
    except Exception:
        log.warning("metrics.queue_depth_unavailable")
    try:
        metrics.OPEN_ESCALATIONS.set(services.loop.escalations.open_count())
    except Exception:
        log.warning("metrics.open_escalations_unavailable")
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
