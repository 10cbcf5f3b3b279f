"""The whole default pack, models on, measured on development data it was not trained on.

    .venv/bin/python bench/quality/crossval.py [--datasets ../shared/datasets] [--task crisis]

`bench/quality/measure.py` judges the development halves with the pack as committed, whose
models were fitted on those very posts: its figures for rules that use a model are
in-sample and flatter them. This script gives the honest figure. For each task it splits
the development examples into the same five folds as training (grouped by Reddit user),
fits a model on four folds, puts it into a copy of the policy folder in place of the
committed one, and judges the fifth fold's posts with the whole pack through the real
engine: rules, the model, and the exceptions its rule adds. Each post is judged by a model
that never saw it or its author's other posts. Prints one Markdown table per task.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[2]

from haven.domain import Author, Post  # noqa: E402
from haven.learning import train as training  # noqa: E402
from haven.learning.datasets import TASKS, Task  # noqa: E402
from haven.policy import evaluate, load_policy_set  # noqa: E402
from haven.policy.loader import MODEL_SUFFIX, read_model  # noqa: E402

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def judged_out_of_fold(task: Task, datasets: Path, corpus: Path, policies: Path) -> dict[str, list[bool]]:
    committed = read_model(policies / "models" / f"{task.name}{MODEL_SUFFIX}")
    examples = list(task.read(datasets, corpus))
    docs = [training.featurise(e.text)[0] for e in examples]
    folds = training.assign_folds(examples)
    flagged: dict[str, list[bool]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "policies"
        shutil.copytree(policies, copy)
        for fold in range(training.FOLDS):
            train = [i for i, f in enumerate(folds) if f != fold]
            fitted = training.fit([docs[i] for i in train], [examples[i] for i in train])
            model = msgspec.structs.replace(
                fitted, name=task.name, threshold=committed.threshold, min_words=committed.min_words,
                card=committed.card,
            )  # fmt: skip
            (copy / "models" / f"{task.name}{MODEL_SUFFIX}").write_bytes(
                gzip.compress(msgspec.json.encode(model), mtime=0)
            )
            policy_set = load_policy_set(copy)
            for i, example in enumerate(examples):
                if folds[i] != fold or not example.evaluated:
                    continue
                post = Post(platform="crossval", community="crossval", external_id=str(i),
                            author=Author(id=f"author-{i}"), body=example.text)  # fmt: skip
                decision = msgspec.to_builtins(evaluate(policy_set, post, now=NOW))
                flagged[example.kind].append(task.flagged_by(decision))
            print(f"{task.name}: fold {fold + 1} of {training.FOLDS} judged", file=sys.stderr)
    return flagged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "corpus")
    parser.add_argument("--policies", type=Path, default=ROOT / "policies")
    parser.add_argument("--task", action="append", choices=sorted(TASKS))
    args = parser.parse_args()
    for name in args.task or list(TASKS):
        task = TASKS[name]
        flagged = judged_out_of_fold(task, args.datasets, args.corpus, args.policies)
        print(f"#### {name}: the whole pack, model fitted without the judged fold\n")
        print("| source label | n | flagged |")
        print("|---|---:|---:|")
        for kind, hits in sorted(flagged.items()):
            print(f"| {kind} | {len(hits)} | {sum(hits) / len(hits):.1%} ({sum(hits)}) |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
