"""Prometheus metrics, all named `haven_*`.

The API serves them at /metrics. `haven worker` runs several processes, so it
sets PROMETHEUS_MULTIPROC_DIR before this module is imported and serves the
merged values of all its processes on HAVEN_WORKER_METRICS_PORT.
"""

from __future__ import annotations

import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

from haven.domain import Decision

# Prometheus has no use for a `_created` series beside each counter and histogram: it doubles
# the series scraped and stored. Before any metric is made, which is when prometheus_client
# decides.
disable_created_metrics()  # type: ignore[no-untyped-call]

# The text format that generate_latest writes. Without a charset: the HTTP layer adds
# `charset=utf-8` to every text/* answer, and prometheus_client's own constant carries one too.
CONTENT_TYPE = "text/plain; version=0.0.4"

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# One evaluation takes 0.2 to 0.4 ms (bench/README.md: 181 µs a post on the default pack):
# buckets from 50 µs, so that its percentiles are read between buckets, not all in the first.
EVALUATION_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "haven_http_requests_total",
    "API requests answered, by method, route template (`unmatched` when no route matched) and status.",
    ["method", "route", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "haven_http_request_duration_seconds",
    "Time the API took to answer a request, by method and route template.",
    ["method", "route"],
    buckets=HTTP_BUCKETS,
)

POSTS_RECEIVED = Counter(
    "haven_posts_received_total",
    "Posts accepted by the API (outcome: queued or duplicate), by queue.",
    ["queue", "outcome"],
)
DECISIONS = Counter("haven_decisions_total", "Decisions made, by verdict and mode.", ["verdict", "mode"])
RULE_MATCHES = Counter(
    "haven_rule_matches_total",
    "Rule matches in decisions, by policy, rule, category and mode (enforce or shadow).",
    ["policy", "rule", "category", "mode"],
)
REVIEWS = Counter(
    "haven_reviews_total",
    "Moderators' reviews of decisions, by outcome (upheld or overturned) and by each enforced "
    "rule the decision matched: the overturned share of a rule is how often it misfires.",
    ["outcome", "policy", "rule"],
)
EVALUATION_SECONDS = Histogram(
    "haven_evaluation_seconds", "Time the engine spent on one post.", buckets=EVALUATION_BUCKETS
)
INGEST_TO_DECISION = Histogram(
    "haven_ingest_to_decision_seconds",
    "From the API accepting a post to its decision being stored.",
    buckets=LATENCY_BUCKETS,
)
INGEST_TO_ESCALATION_DELIVERED = Histogram(
    "haven_ingest_to_escalation_delivered_seconds",
    "From the API accepting a post to its escalation webhook being delivered.",
    buckets=LATENCY_BUCKETS,
)
WEBHOOK_DELIVERIES = Counter(
    "haven_webhook_deliveries_total",
    "Webhook delivery attempts, by event type and outcome (delivered, retry, failed).",
    ["event_type", "outcome"],
)
ESCALATION_ACK_SECONDS = Histogram(
    "haven_escalation_ack_seconds",
    "From an escalation's decision to a moderator acknowledging it.",
    buckets=(10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0, 21600.0),
)
OPEN_ESCALATIONS = Gauge(
    "haven_escalations_open",
    "Escalations no moderator has acknowledged yet, read from the database when metrics are scraped.",
    multiprocess_mode="livemax",
)
POLICY_RELOAD_FAILURES = Counter(
    "haven_policy_reload_failures_total",
    "Changed policy files that did not load; the last good set stays in force (log: policy.reload_failed).",
)
POSTS_PARKED = Counter(
    "haven_posts_parked_total",
    "Posts whose every evaluation attempt failed, parked until an operator retries them (GET /v1/posts/parked).",
)
SWEPT = Counter(
    "haven_swept_total",
    "Work found overdue in the database and queued again (kind: post or delivery): "
    "its task was lost (a worker killed, Redis restarted) or is late.",
    ["kind"],
)
QUEUE_DEPTH = Gauge(
    "haven_queue_depth",
    "Tasks waiting in each queue, read when metrics are scraped.",
    ["queue"],
    multiprocess_mode="livemax",
)


# Each labelled series a decision counts in, looked up by its label values: `labels()` checks
# and orders its arguments and takes a lock on every call, which a worker paid several times
# a post. The series are few (verdicts, modes, the pack's rules) and live as long as the process.
_SERIES: dict[tuple[Counter, tuple[str, ...]], Counter] = {}


def _series(counter: Counter, *values: str) -> Counter:
    key = (counter, values)
    found = _SERIES.get(key)
    if found is None:
        found = _SERIES[key] = counter.labels(*values)
    return found


def observe_decision(decision: Decision) -> None:
    _series(DECISIONS, decision.verdict, decision.mode).inc()
    for match in (*decision.matches, *decision.shadow_matches):
        _series(RULE_MATCHES, match.policy, match.rule, match.category, match.mode).inc()
    if decision.timings.evaluation_ms is not None:
        EVALUATION_SECONDS.observe(decision.timings.evaluation_ms / 1000)
    received, decided = decision.timings.received_at, decision.timings.decided_at
    if received is not None and decided is not None:
        INGEST_TO_DECISION.observe(max((decided - received).total_seconds(), 0.0))


def observe_review(decision: Decision, outcome: str) -> None:
    for match in decision.matches:
        REVIEWS.labels(outcome=outcome, policy=match.policy, rule=match.rule).inc()


def exposition() -> bytes:
    """The metrics in the text format, merged across processes when multiprocess."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
