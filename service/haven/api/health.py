"""GET /healthz (alive), /readyz (Redis and database reachable), /metrics (Prometheus)."""

from __future__ import annotations

import logging

from litestar import Request, Response, get
from litestar.datastructures import State

from haven import metrics
from haven.api.problems import Problem, problem_responses
from haven.api.schemas import Health, Readiness
from haven.plugins.consumers import consumer_keys, read_health
from haven.services import Services

log = logging.getLogger("haven.api")


@get("/healthz", tags=["health"], operation_id="getHealth", summary="The process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@get(
    "/readyz",
    tags=["health"],
    sync_to_thread=True,
    operation_id="getReadiness",
    summary="Redis and the database answer",
    responses=problem_responses(503, when={503: "Redis or the database does not answer (`failing` names which)"}),
)
def readyz(request: Request[None, None, State]) -> Readiness:
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
    return Readiness(
        status="ready",
        mode=services.mode,
        policy_version=services.policies.current().version,
        plugins_on=sorted(services.plugins.active),
        plugins_off=dict(sorted(services.plugins.off.items())),
        consumers=read_health(services.plugin_state(), consumer_keys(services.plugins.active)),
    )


@get(
    "/metrics",
    tags=["health"],
    sync_to_thread=True,
    operation_id="getMetrics",
    summary="Prometheus metrics",
    description="The Prometheus text exposition format, for a Prometheus server to scrape.",
    media_type=metrics.CONTENT_TYPE,
)
def metrics_endpoint(request: Request[None, None, State]) -> Response[str]:
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
    return Response(metrics.exposition().decode(), media_type=metrics.CONTENT_TYPE)
