"""Helm accepts every case, renders it, and every object is valid.

Every object is validated against the Kubernetes schemas (strict: unknown fields fail)
of the oldest version Chart.yaml supports and of the newest kubernetes-validate ships,
or, for the Prometheus Operator and KEDA kinds, against crd-schemas/; values Helm must
refuse are refused with a reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helm.chart import (
    GOOD,
    objects,
)
from tests.helm.conftest import CASES

REFUSED = {
    "refuse-two-redis": "redis: choose exactly one of redis.url, redis.existingSecret",
    "refuse-no-database": "postgresql: choose exactly one of",
    "refuse-zero-crisis-workers": "/workers/crisis/replicas",
    "refuse-typo": "additional properties 'replica' not allowed",
    "refuse-keda-without-address": "keda.enabled needs keda.redis.address",
    "refuse-bad-redis-url": "/redis/url",
    "refuse-cluster-broker": "redis.state.cluster needs redis.state.url or redis.state.existingSecret",
    "refuse-two-state-redis": "set redis.state.url or redis.state.existingSecret, not both",
    "refuse-url-unsafe-password": "/postgresql/bundled/password",
}


@pytest.mark.parametrize("case", GOOD)
def test_lint_is_clean(rendered: dict[str, Any], case: str) -> None:
    lint = rendered[case]["lint"]
    assert lint["failed"] is None
    worse_than_info = [m for m in lint["messages"] if m["severity"] > 1]
    assert worse_than_info == []


@pytest.mark.parametrize("case", GOOD)
def test_every_object_is_valid_kubernetes(rendered: dict[str, Any], case: str) -> None:
    assert objects(rendered, case), "nothing rendered"
    assert rendered[case]["invalid"] == []
    oldest, newest = rendered[case]["validated_against"]
    assert oldest == "1.25"
    assert tuple(map(int, newest.split("."))) >= (1, 33)


@pytest.mark.parametrize("case", GOOD)
def test_helm_created_exactly_what_it_rendered(rendered: dict[str, Any], case: str) -> None:
    on_demand = {h["object"] for h in rendered[case]["hooks"] if h["hook"] == "test"}
    names = sorted(
        name for o in objects(rendered, case) if (name := f"{o['kind']}/{o['metadata']['name']}") not in on_demand
    )
    assert rendered[case]["created"] == names


@pytest.mark.parametrize(("case", "message"), sorted(REFUSED.items()))
def test_bad_values_are_refused_with_a_reason(rendered: dict[str, Any], case: str, message: str) -> None:
    error = rendered[case]["error"]
    assert error is not None, f"{case} was accepted"
    assert message in error


def test_every_case_is_checked_for_refusal() -> None:
    assert set(REFUSED) == {name for name in CASES if name.startswith("refuse-")}
