"""Community policies through the real API of an embedded Haven (SQLite, in-process worker)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from haven.app import create_app
from haven.config import Settings
from haven.services import Services, build_services
from litestar.testing import TestClient

from tests.integration.community_policies import (
    RECOVERY,
    a_candidate_is_compared_then_promoted_and_rolled_back,
    an_invalid_upload_changes_nothing,
    explain_tries_a_rule_before_it_is_uploaded,
    two_communities_judge_the_same_text_differently,
    upload,
)
from tests.unit.service.conftest import TEST_POLICIES


class As:
    """The test client, sending one community's admin key on every request."""

    def __init__(self, client: TestClient, services: Services, community: str) -> None:  # type: ignore[type-arg]
        secret, _ = services.store.create_api_key(community, ["admin"])
        self._client = client
        self._auth = {"authorization": f"Bearer {secret}"}

    def __getattr__(self, method: str) -> Callable[..., Any]:
        call = getattr(self._client, method)

        def send(url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
            return call(url, headers={**self._auth, **(headers or {})}, **kwargs)

        return send


def test_two_communities_with_their_own_uploads_judge_the_same_text_differently(
    client: TestClient,  # type: ignore[type-arg]
    services: Services,
) -> None:
    recovery, pain = As(client, services, "recovery"), As(client, services, "pain")
    two_communities_judge_the_same_text_differently(recovery, pain, "recovery", "pain", settle=0)


def test_an_invalid_upload_answers_422_with_line_and_column_and_changes_nothing(
    client: TestClient,  # type: ignore[type-arg]
    services: Services,
) -> None:
    group = As(client, services, "group")
    assert upload(group, "recovery-doses", RECOVERY).status_code == 201
    an_invalid_upload_changes_nothing(group)


def test_a_candidate_is_judged_in_shadow_compared_promoted_and_rolled_back(
    client: TestClient,  # type: ignore[type-arg]
    services: Services,
) -> None:
    group = As(client, services, "group")
    assert upload(group, "recovery-doses", RECOVERY).status_code == 201
    a_candidate_is_compared_then_promoted_and_rolled_back(group, "group", settle=0)


def test_explain_tries_a_rule_before_it_is_uploaded(client: TestClient, services: Services) -> None:  # type: ignore[type-arg]
    explain_tries_a_rule_before_it_is_uploaded(As(client, services, "group"))


def test_a_policy_kept_as_a_file_is_listed_as_such_and_not_taken_over_by_the_api(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(TEST_POLICIES, policies)
    (policies / "communities" / "group").mkdir(parents=True)
    (policies / "communities" / "group" / "gentle.yaml").write_text(
        "id: gentle\noverrides:\n  - {rule: community/insult, verdict: review, actions: [flag_for_review]}\n"
    )
    settings = Settings.from_env(
        {"HAVEN_EMBEDDED_DB_PATH": str(tmp_path / "haven.db"), "HAVEN_POLICY_DIR": str(policies)}
    )
    services = build_services(settings)
    try:
        with TestClient(create_app(settings, services)) as client:
            group = As(client, services, "group")
            listed = {p["id"]: p for p in group.get("/v1/policies").json()["policies"]}
            assert (listed["gentle"]["source"], listed["gentle"]["layer"]) == ("file", "community:group")
            assert listed["gentle"]["overrides"] == ["community/insult"]
            assert listed["community"]["rules"][0]["changed_in"] == ["community:group"]
            refused = upload(group, "gentle", "id: gentle\noverrides: []\n")
            assert refused.status_code == 409
            assert "communities/group/gentle.yaml" in refused.json()["detail"]
            assert group.get("/v1/policies/gentle").text.startswith("id: gentle")
    finally:
        services.store.dispose()
