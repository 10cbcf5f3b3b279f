"""The proof of community policies through the real API, shared by the embedded tests
(in-process app) and the full-mode ones (`haven serve`, `haven worker`, PostgreSQL)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.integration.harness import wait_until

YAML = {"content-type": "application/yaml"}

RECOVERY = """\
id: recovery-doses
description: Frank dose talk is held for review in a recovery group.
rules:
  - id: dose-talk
    category: recovery.dosing
    severity: high
    match: {phrases: ["mg of oxy"]}
    actions: [hold]
    examples:
      match: ["took 40 mg of oxy"]
      no_match: ["took an aspirin"]
"""

# The candidate: dose talk is removed, and a new rule flags pill sharing.
RECOVERY_CANDIDATE = """\
id: recovery-doses
rules:
  - id: dose-talk
    category: recovery.dosing
    severity: high
    match: {phrases: ["mg of oxy"]}
    actions: [remove]
  - id: pill-sharing
    category: recovery.sharing
    severity: medium
    match: {phrases: ["spare pills"]}
    actions: [flag_for_review]
    examples:
      match: ["any spare pills?"]
"""

# A chronic-pain forum talks about doses freely and has no use for the base's cure rule.
PAIN = """\
id: pain-tweaks
overrides:
  - {rule: community/miracle-cure, disabled: true}
"""

BROKEN = """\
id: broken
rules:
  - id: r
    category: recovery.x
    severity: extreme
    match: {phrases: [x]}
    actions: []
"""


def upload(client: Any, policy_id: str, text: str, **params: Any) -> Any:
    return client.put(f"/v1/policies/{policy_id}", content=text.encode(), headers=YAML, params=params)


def judge(client: Any, community: str, body: str) -> dict[str, Any]:
    """Post `body` to the community and wait for its decision."""
    accepted = client.post(
        "/v1/posts",
        json={"platform": "forum", "community": community, "external_id": uuid.uuid4().hex,
              "author": {"id": uuid.uuid4().hex}, "body": body},
    )  # fmt: skip
    assert accepted.status_code == 202, accepted.text
    url = accepted.json()["url"]

    def decided() -> dict[str, Any] | None:
        found = client.get(url).json()
        return found["decision"] if found["status"] == "decided" else None

    decision: dict[str, Any] = wait_until(decided, timeout=30)
    return decision


def two_communities_judge_the_same_text_differently(
    recovery: Any, pain: Any, recovery_name: str, pain_name: str, settle: float
) -> None:
    text = "40 mg of oxy and this miracle cure"
    assert upload(recovery, "recovery-doses", RECOVERY, message="dose talk held").status_code == 201
    assert upload(pain, "pain-tweaks", PAIN).status_code == 201
    time.sleep(settle)
    held = judge(recovery, recovery_name, text)
    allowed = judge(pain, pain_name, text)
    assert held["verdict"] == "hold"
    assert {(m["rule"], m["layer"]) for m in held["matches"]} == {
        ("dose-talk", f"community:{recovery_name}"),
        ("miracle-cure", "base"),
    }
    assert allowed["verdict"] == "allow" and allowed["matches"] == []
    listed = {p["id"]: p for p in pain.get("/v1/policies").json()["policies"]}
    assert listed["pain-tweaks"]["source"] == "api"
    assert listed["pain-tweaks"]["overrides"] == ["community/miracle-cure"]
    assert [r["id"] for r in listed["community"]["rules"]] == ["insult", "repeat-hostility"]


def an_invalid_upload_changes_nothing(client: Any) -> None:
    before = client.get("/v1/policies").json()
    versions = client.get("/v1/policy-versions").json()
    refused = upload(client, "broken", BROKEN)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    [error] = refused.json()["errors"]
    assert (error["line"], error["column"]) == (5, 15)
    assert error["message"] == "expected one of 'low', 'medium', 'high', 'critical', got 'extreme'"
    failing = upload(client, "broken", BROKEN.replace("extreme", "low") + "    examples: {match: [y]}\n")
    assert failing.status_code == 422
    assert "should match: 'y'" in failing.json()["errors"][0]["message"]
    assert client.get("/v1/policies").json() == before
    assert client.get("/v1/policy-versions").json() == versions
    assert client.get("/v1/policies/broken").status_code == 404


def a_candidate_is_compared_then_promoted_and_rolled_back(client: Any, community: str, settle: float) -> None:
    made = upload(client, "recovery-doses", RECOVERY_CANDIDATE, candidate="true", message="stricter")
    assert made.status_code == 201, made.text
    candidate = made.json()["version"]
    active = candidate - 1
    time.sleep(settle)
    known = ["40 mg of oxy", "20 mg of oxy again", "any spare pills?", "hello friends", "a miracle cure"]
    decisions = [judge(client, community, text) for text in known]
    # Only the active version acts.
    assert [d["verdict"] for d in decisions] == ["hold", "hold", "allow", "allow", "review"]

    def compared() -> dict[str, Any] | None:
        found: dict[str, Any] = client.get(f"/v1/policy-versions/{candidate}/comparison").json()
        return found if found["posts"] >= len(known) else None

    comparison = wait_until(compared, timeout=30)
    ids = [d["id"] for d in decisions]
    assert comparison["posts"] == 5 and comparison["changed"] == 3
    assert comparison["by_verdict"] == {"hold -> remove": 2, "allow -> review": 1}
    assert comparison["by_category"] == {"recovery.dosing": 2, "recovery.sharing": 1}
    assert [(r["rule"], r["effect"], r["posts"], r["by_verdict"], sorted(r["decision_ids"]))
            for r in comparison["rules"]] == [
        ("recovery-doses/dose-talk", "changes", 2, {"hold -> remove": 2}, sorted(ids[:2])),
        ("recovery-doses/pill-sharing", "fires", 1, {"allow -> review": 1}, [ids[2]]),
    ]  # fmt: skip

    assert client.post(f"/v1/policy-versions/{candidate}/activate").json()["status"] == "active"
    time.sleep(settle)
    assert judge(client, community, "40 mg of oxy")["verdict"] == "remove"
    rolled_back = client.post(f"/v1/policy-versions/{active}/activate")
    assert rolled_back.json()["status"] == "active"
    time.sleep(settle)
    assert judge(client, community, "40 mg of oxy")["verdict"] == "hold"
    history = {v["version"]: v["status"] for v in client.get("/v1/policy-versions").json()}
    assert history[active] == "active" and history[candidate] == "inactive"


def explain_tries_a_rule_before_it_is_uploaded(client: Any) -> None:
    tried = client.post("/v1/policies/explain", json={"text": "took 40 mg of oxy", "policy": RECOVERY})
    assert tried.status_code == 200, tried.text
    [match] = tried.json()["decision"]["matches"]
    assert match["rule"] == "dose-talk" and match["evidence"][0]["matcher"] == "phrases: mg of oxy"
    # Nothing was uploaded: the stored set does not have the rule.
    plain = client.post("/v1/policies/explain", json={"text": "took 40 mg of oxy"})
    assert plain.json()["decision"]["matches"] == []
    broken = client.post("/v1/policies/explain", json={"text": "x", "policy": BROKEN})
    assert broken.status_code == 422 and broken.json()["errors"][0]["line"] == 5
