"""The equality guard for engine changes: a digest of every decision the rules make.

Judges every post of every data set with the default pack's rules alone (as
`haven backtest --rules-only` does: the same post reading, counter and
conversation state in memory, the crisis triage) and hashes each decision whole
(verdict, every match with its rule ids and evidence spans and texts, actions,
quoted and shadow matches) with the triage's answer. A change that keeps every
decision keeps every digest.

    .venv/bin/python bench/decision_digest.py --record      # writes bench/results/decision-digest.json
    .venv/bin/python bench/decision_digest.py               # checks against it; exit 1 on any difference
    .venv/bin/python bench/decision_digest.py --corpus-only # tests/corpus alone (what CI can check)
    .venv/bin/python bench/decision_digest.py --dump DIR    # one line per post, to diff two commits
    .venv/bin/python bench/decision_digest.py --models      # the whole pack, learned models included,
                                                            # against bench/results/decision-digest-models.json

The data sets of ../shared/datasets are read where they lie, never copied; the
corpus part needs nothing beside the repository (tests/unit/policy/test_decision_digest.py
checks it). The digests hold for one pack version: when the rules change on
purpose, record again and say so in the commit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
# ../shared/datasets beside the main checkout; a worktree under ../wt/ looks one level further up.
DATASETS = next(
    (p for p in (ROOT.parent / "shared" / "datasets", ROOT.parent.parent / "shared" / "datasets") if p.is_dir()),
    ROOT.parent / "shared" / "datasets",
)
RESULT = ROOT / "bench" / "results" / "decision-digest.json"
MODELS_RESULT = ROOT / "bench" / "results" / "decision-digest-models.json"
# Fixed, so counter windows and the decisions do not depend on the day the guard runs.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def corpus_sources() -> dict[str, list[bytes]]:
    """The corpus's files, and the posts bench/engine_speed.py stitches from them (dense ones,
    and long ones, where caps on hits and windows around numbers come into play)."""
    from engine_speed import workload

    corpus = ROOT / "tests" / "corpus"
    sources = {
        f"corpus/{path.relative_to(corpus)}": [line for line in path.read_bytes().splitlines() if line.strip()]
        for path in sorted(corpus.rglob("*.jsonl"))
    }
    for name, count in (("dense", 300), ("dense-1000", 100), ("dense-10000", 10), ("dense-40000", 3)):
        texts = workload(name, count)[:count]
        sources[f"stitched/{name}"] = [json.dumps({"id": n, "text": t}).encode() for n, t in enumerate(texts)]
    return sources


def _lexicon_lines(path: Path) -> list[bytes]:
    """The lexicon's phrases and examples, each one post: short texts dense with crisis words."""
    lines: list[bytes] = []
    for name, entry in sorted(json.loads(path.read_text(encoding="utf-8")).items()):
        examples = entry.get("examples") or ""
        examples = examples if isinstance(examples, list) else examples.split(";")
        texts = [t.strip() for t in examples if isinstance(t, str) and t.strip()]
        texts += [t for t in entry.get("tokens") or [] if isinstance(t, str)]
        lines += [json.dumps({"id": f"{name}:{n}", "text": t}).encode() for n, t in enumerate(texts)]
    return lines


def dataset_sources() -> dict[str, list[bytes]]:
    sources: dict[str, list[bytes]] = {}
    for folder in sorted(p for p in DATASETS.iterdir() if p.is_dir()):
        items = folder / "items.jsonl"
        if items.is_file():
            sources[f"datasets/{folder.name}"] = [line for line in items.read_bytes().splitlines() if line.strip()]
        for lexicon in sorted(folder.glob("suicide_risk_lexicon*.json")):
            sources[f"datasets/{folder.name}"] = _lexicon_lines(lexicon)
    return sources


def decision_lines(policies: Path, lines: list[bytes], models: bool = False) -> Iterator[bytes]:
    """One line per post: its id, the crisis triage's answer and the whole decision."""
    from haven.cli.policy_commands import BacktestPost, _backtest_post
    from haven.policy import load_policy_set
    from haven.policy.conversations import InMemoryConversationStore
    from haven.policy.counters import InMemoryCounterStore
    from haven.policy.engine import evaluate_in_batches

    policy_set = load_policy_set(policies, rules_only=not models)
    decoder = msgspec.json.Decoder(BacktestPost)
    items = [decoder.decode(line) for line in lines]
    posts = [_backtest_post(item) for item in items]
    # In batches, as `haven backtest` and a worker judge (tests/unit/policy/test_batches.py
    # holds one post at a time to the same decisions).
    judged = evaluate_in_batches(
        policy_set, posts, now=lambda post: post.created_at or NOW,
        counters=InMemoryCounterStore(), conversations=InMemoryConversationStore(),
    )  # fmt: skip
    for item, (post, decision) in zip(items, judged, strict=True):
        triage = policy_set.is_crisis_prone(post)
        yield msgspec.json.encode({"id": item.id, "crisis_queue": triage, "decision": decision})


def digests(
    policies: Path, sources: dict[str, list[bytes]], dump: Path | None = None, models: bool = False
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, lines in sources.items():
        digest = hashlib.sha256()
        out = None
        if dump is not None:
            target = dump / (name.replace("/", "__") + ".jsonl")
            target.parent.mkdir(parents=True, exist_ok=True)
            out = target.open("wb")
        verdicts: dict[str, int] = {}
        for encoded in decision_lines(policies, lines, models):
            digest.update(encoded + b"\n")
            verdict = json.loads(encoded)["decision"]["verdict"]
            verdicts[verdict] = verdicts.get(verdict, 0) + 1
            if out is not None:
                out.write(encoded + b"\n")
        if out is not None:
            out.close()
        result[name] = {"posts": len(lines), "verdicts": dict(sorted(verdicts.items())), "sha256": digest.hexdigest()}
    return result


def pack_version(policies: Path, models: bool = False) -> str:
    from haven.policy import load_policy_set

    return load_policy_set(policies, rules_only=not models).version


def differences(recorded: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """What `found` decides differently from `recorded`, one line each; sets not judged are not compared."""
    failures = []
    if recorded["pack_version"] != found["pack_version"]:
        failures.append(
            f"pack version {found['pack_version']} is not the recorded {recorded['pack_version']}: "
            "if the rules changed on purpose, record again (--record) in the same commit"
        )
    for name, now in found["sets"].items():
        before = recorded["sets"].get(name)
        if before != now:
            failures.append(f"{name}: recorded {before}, now {now}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", action="store_true", help="write the digests instead of checking them")
    parser.add_argument("--corpus-only", action="store_true", help="tests/corpus alone")
    parser.add_argument("--against", type=Path, default=None, help="the recorded digests")
    parser.add_argument("--policies", type=Path, default=ROOT / "policies")
    parser.add_argument("--dump", type=Path, default=None, help="also write every decision, one file a data set")
    parser.add_argument("--models", action="store_true", help="the whole pack, learned models included")
    args = parser.parse_args()
    against: Path = args.against or (MODELS_RESULT if args.models else RESULT)

    sources = corpus_sources()
    if not args.corpus_only:
        if not DATASETS.is_dir():
            print(f"{DATASETS}: not here; use --corpus-only", file=sys.stderr)
            return 2
        sources |= dataset_sources()
    found = {
        "pack_version": pack_version(args.policies, args.models),
        "sets": digests(args.policies, sources, args.dump, args.models),
    }
    if args.record:
        against.parent.mkdir(parents=True, exist_ok=True)
        against.write_text(json.dumps(found, indent=2) + "\n")
        print(json.dumps(found, indent=2))
        return 0
    failures = differences(json.loads(against.read_text()), found)
    for line in failures:
        print(line, file=sys.stderr)
    print(f"{len(found['sets'])} data sets, {sum(s['posts'] for s in found['sets'].values())} posts: "
          + ("DIFFERENT" if failures else "every decision identical"))  # fmt: skip
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "service"))
    sys.exit(main())
