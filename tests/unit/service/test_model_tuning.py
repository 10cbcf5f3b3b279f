"""`haven models tune`: a community's threshold fitted on its moderators' reviews."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from haven.domain import Decision, Evidence, Match, ModelScore, PostRef
from haven.learning.reviews import Reviewed, held_back, outcome, tune
from haven.store.migrate import upgrade
from haven.store.sql import SqlStore


def reviewed(n: int, score: float, upheld: bool) -> Reviewed:
    return Reviewed(f"decision-{n}", score, upheld)


def test_a_community_that_overturns_low_scores_gets_a_higher_threshold() -> None:
    # Moderators uphold what scored above 0.8 and overturn most of what scored below.
    items = [reviewed(i, 0.62 + 0.003 * (i % 60), upheld=False) for i in range(150)]
    items += [reviewed(1000 + i, 0.81 + 0.001 * (i % 100), upheld=True) for i in range(150)]
    result = tune("crisis", 0.6, items, precision=0.9)
    assert 0.6 < result.proposed <= 0.81
    assert result.before.overturned > 0
    assert result.after.overturned_kept < result.before.overturned_kept
    assert result.after.upheld_kept == result.after.upheld  # nothing moderators confirmed is lost
    assert result.fitted_on + result.before.upheld + result.before.overturned == len(items)


def test_a_threshold_the_moderators_agree_with_is_left_alone() -> None:
    items = [reviewed(i, 0.7 + 0.001 * i, upheld=True) for i in range(100)]
    assert tune("hostility", 0.65, items).proposed == 0.65


def test_the_held_back_part_is_chosen_by_id_not_by_order() -> None:
    ids = [f"d-{i}" for i in range(1000)]
    share = sum(held_back(i) for i in ids) / len(ids)
    assert 0.25 < share < 0.35
    assert [held_back(i) for i in ids] == [held_back(i) for i in reversed(ids)][::-1]
    assert outcome([reviewed(1, 0.9, True), reviewed(2, 0.5, False)], 0.6).precision == 1.0


def test_the_tune_command_reads_reviews_from_the_store_and_says_what_to_change(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'haven.db'}"
    store = SqlStore.from_url(url)
    upgrade(store.engine)
    for i in range(80):
        score = 0.62 + 0.002 * i if i % 2 else 0.85 + 0.001 * i
        match = Match(
            policy="community-health", rule="learned-hostility", category="community.hostility", severity="low",
            mode="enforce", verdict="review",
            evidence=[Evidence(field="body", start=0, end=4, text="text", matcher="classifier: hostility ≥ 0.60")],
            scores=[ModelScore(model="hostility", version="abc", score=round(score, 4), threshold=0.6)],
        )  # fmt: skip
        decision = Decision(
            id=f"00000000-0000-0000-0000-{i:012d}",
            post=PostRef(platform="t", community="tuned", external_id=str(i), revision="1", kind="post",
                         author_id="a"),
            policy_version="v", verdict="review", mode="enforce", matches=[match],
        )  # fmt: skip
        store.record_decisions([(decision, None)], [])
        store.add_review("tuned", decision.id, "overturned" if i % 2 else "upheld", "mod", "")
    store.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    env["HAVEN_DATABASE_URL"] = url
    haven = Path(sys.executable).with_name("haven")
    done = subprocess.run([str(haven), "models", "tune", "tuned"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "hostility: 80 reviewed decisions" in done.stdout
    assert "community-health/learned-hostility" in done.stdout
    assert "to apply:" in done.stdout
    proposed = float(done.stdout.split("above: ")[1].split("}")[0])
    assert 0.6 < proposed <= 0.85
