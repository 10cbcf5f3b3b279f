"""Community policies through the real API in full mode: `haven serve`, a `haven worker`
process that sees new versions without a restart, PostgreSQL and Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from haven.store.sql import SqlStore

from tests.integration.community_policies import (
    RECOVERY,
    a_candidate_is_compared_then_promoted_and_rolled_back,
    an_invalid_upload_changes_nothing,
    two_communities_judge_the_same_text_differently,
    upload,
)

# The worker reads the active versions every HAVEN_POLICY_RELOAD_SECONDS (0.2 s in the tests).
SETTLE = 1.0


@pytest.fixture
def other(api_server: str, store: SqlStore) -> Iterator[tuple[httpx.Client, str]]:
    community = f"community-{uuid.uuid4().hex[:10]}"
    secret, _ = store.create_api_key(community, ["admin"])
    with httpx.Client(base_url=api_server, headers={"authorization": f"Bearer {secret}"}, timeout=10) as client:
        yield client, community


def test_two_communities_judge_the_same_text_differently(
    api: httpx.Client, community: str, other: tuple[httpx.Client, str]
) -> None:
    pain, pain_name = other
    two_communities_judge_the_same_text_differently(api, pain, community, pain_name, settle=SETTLE)


def test_an_invalid_upload_changes_nothing(api: httpx.Client) -> None:
    assert upload(api, "recovery-doses", RECOVERY).status_code == 201
    an_invalid_upload_changes_nothing(api)


def test_a_candidate_in_shadow_is_compared_promoted_and_rolled_back_in_the_worker(
    api: httpx.Client, community: str
) -> None:
    assert upload(api, "recovery-doses", RECOVERY).status_code == 201
    a_candidate_is_compared_then_promoted_and_rolled_back(api, community, settle=SETTLE)
