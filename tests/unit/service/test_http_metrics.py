"""/metrics follows Prometheus's conventions: request metrics by route template, no `_created`
twins, buckets that fit what they measure."""

from __future__ import annotations

import re

from haven import metrics
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.unit.service.test_bad_input import a_post


def scrape(client: TestClient) -> str:  # type: ignore[type-arg]
    response = client.get("/metrics")
    assert response.status_code == 200
    return response.text


def counted(text: str, name: str, *labels: str) -> dict[tuple[str, ...], float]:
    """The samples called `name` in a scrape, by the values of `labels`."""
    return {
        tuple(s.labels[label] for label in labels): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


def requests_counted(text: str) -> dict[tuple[str, ...], float]:
    return counted(text, "haven_http_requests_total", "method", "route", "status")


def test_requests_are_counted_by_route_template_never_the_path(
    client: TestClient,  # type: ignore[type-arg]
    auth: dict[str, str],
) -> None:
    before = requests_counted(scrape(client))
    assert client.get("/v1/decisions/no-such-decision-7f3a", headers=auth).status_code == 404
    assert client.get("/v1/decisions/no-such-decision-7f3a").status_code == 401
    assert client.post("/v1/posts", json=a_post(), headers=auth).status_code == 202
    assert client.get("/wp-login.php-7f3a").status_code == 404
    text = scrape(client)
    after = requests_counted(text)
    gained = {labels: after[labels] - before.get(labels, 0.0) for labels in after}
    assert gained[("GET", "/v1/decisions/{decision_id}", "404")] == 1
    assert gained[("GET", "/v1/decisions/{decision_id}", "401")] == 1
    assert gained[("POST", "/v1/posts", "202")] == 1
    assert gained[("GET", "unmatched", "404")] == 1
    assert "7f3a" not in text
    durations = [
        s
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "haven_http_request_duration_seconds_count" and s.labels["route"] == "/v1/posts"
    ]
    assert durations and durations[0].value >= 1


def test_each_post_is_counted_by_its_queue_and_the_outcome_it_was_answered(
    client: TestClient,  # type: ignore[type-arg]
    auth: dict[str, str],
) -> None:
    before = counted(scrape(client), "haven_posts_received_total", "queue", "outcome")
    single = client.post("/v1/posts", json=a_post("counted-1"), headers=auth)
    batch = {"posts": [a_post("counted-1"), a_post("counted-2"), a_post("counted-3"), a_post("counted-4")]}
    batched = client.post("/v1/posts/batch", json=batch, headers=auth)
    assert single.status_code == batched.status_code == 202
    answers = [single.json(), *batched.json()["items"]]
    expected: dict[tuple[str, ...], int] = {}
    for answer in answers:
        expected[answer["queue"], answer["status"]] = expected.get((answer["queue"], answer["status"]), 0) + 1
    after = counted(scrape(client), "haven_posts_received_total", "queue", "outcome")
    gained = {
        labels: after[labels] - before.get(labels, 0.0) for labels in after if after[labels] != before.get(labels)
    }
    assert gained == expected
    assert expected[("default", "duplicate")] == 1  # counted-1, sent again in the batch


def test_no_created_twins(client: TestClient, auth: dict[str, str]) -> None:  # type: ignore[type-arg]
    client.post("/v1/posts", json=a_post("created-check"), headers=auth)
    text = scrape(client)
    assert "haven_posts_received_total{" in text
    assert not re.findall(r"^\w+_created", text, flags=re.MULTILINE)


def test_the_content_type_names_the_format_and_one_charset(client: TestClient) -> None:  # type: ignore[type-arg]
    content_type = client.get("/metrics").headers["content-type"]
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"


def test_evaluation_buckets_resolve_a_fraction_of_a_millisecond() -> None:
    # An evaluation takes 0.2 to 0.4 ms (bench/README.md): several buckets must lie below 1 ms.
    below_a_millisecond = [b for b in metrics.EVALUATION_BUCKETS if b < 0.001]
    assert len(below_a_millisecond) >= 3
    assert min(metrics.EVALUATION_BUCKETS) <= 0.0001
