"""The equality guard (bench/decision_digest.py) on what ships in the repository: the rules
alone, and the whole pack with its learned models, must decide every corpus post, and the
dense and long posts stitched from the corpus, exactly as when the digests were recorded
(bench/results/decision-digest.json, decision-digest-models.json)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "bench" / "decision_digest.py"
RECORDED = ROOT / "bench" / "results" / "decision-digest.json"
RECORDED_WITH_MODELS = ROOT / "bench" / "results" / "decision-digest-models.json"


def _guard() -> ModuleType:
    spec = importlib.util.spec_from_file_location("decision_digest", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("models", [False, True], ids=["rules", "with models"])
@pytest.mark.parametrize("compiled", ["1", "0"], ids=["compiled scan", "python twins"])
def test_every_corpus_decision_is_the_recorded_one(compiled: str, models: bool) -> None:
    # Both ways of judging: with the scan's compiled loops, and with their Python twins, as
    # an install without a C compiler judges (haven.policy.compiled). With the models, the
    # digests hold each model's score (to four places) and the sentences that drove it.
    against = RECORDED_WITH_MODELS if models else RECORDED
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--corpus-only", "--against", str(against), *(["--models"] if models else [])],
        capture_output=True, text=True, check=False, timeout=600, env={**os.environ, "HAVEN_COMPILED": compiled},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "every decision identical" in done.stdout


def test_a_changed_decision_or_pack_is_reported() -> None:
    recorded = json.loads(RECORDED.read_text())
    found = json.loads(RECORDED.read_text())
    assert _guard().differences(recorded, found) == []
    found["sets"]["corpus/crisis.jsonl"]["sha256"] = "0" * 64
    found["pack_version"] = "another"
    failures = _guard().differences(recorded, found)
    assert len(failures) == 2
    assert failures[0].startswith("pack version another is not the recorded")
    assert failures[1].startswith("corpus/crisis.jsonl: recorded")
