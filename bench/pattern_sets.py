"""The pattern stage of the engine alone: the default pack's RE2 sets over text they have
not seen, as laid out before (every pattern whole, case folded, sets of 64) and as
`haven.policy.patterns.PatternSearch` lays them out (long gaps split, case folding only
where a pattern needs it).

    .venv/bin/python bench/pattern_sets.py > bench/results/pattern-sets.json

Texts: every post of `../shared/datasets` and the texts of `tests/corpus/`, shuffled,
folded as the engine folds them, then searched in chunks of 6,000 (`--chunk`; `--min-chars`
keeps longer texts only), each chunk new to both layouts' DFAs (a worker sees new text all
day). Per chunk: µs a post for the sets' passes and the per-pattern searches of the
candidates, in CPU time of this process. Both layouts must find the same groups with the
same spans on every text, or the script fails.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import re2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "service"))

from haven.policy import load_policy_set  # noqa: E402
from haven.policy.loader import regex_options  # noqa: E402
from haven.policy.normalise import normalise  # noqa: E402
from haven.policy.patterns import PATTERN_SET_MEMORY, PATTERNS_PER_SET, PatternSearch  # noqa: E402

CHUNK = 6000


def texts() -> list[str]:
    found = []
    files = [*sorted((ROOT.parent / "shared" / "datasets").glob("*/*.jsonl"))]
    files += sorted((ROOT / "tests" / "corpus").glob("*.jsonl"))
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            try:
                text = json.loads(line).get("text")
            except (ValueError, AttributeError):
                continue
            if text:
                found.append(text)
    random.Random(5).shuffle(found)
    return found


class WholeSets:
    """The layout before: every pattern whole, with case folding, in sets of 64."""

    def __init__(self, search: PatternSearch) -> None:
        self.patterns = search.patterns
        groups = list(search.patterns)
        self.sets = []
        for first in range(0, len(groups), PATTERNS_PER_SET):
            chunk = groups[first : first + PATTERNS_PER_SET]
            options = regex_options()
            options.max_mem = PATTERN_SET_MEMORY
            regexes = re2.Set.SearchSet(options)
            for group in chunk:
                regexes.Add(search.patterns[group].pattern)
            regexes.Compile()
            self.sets.append((regexes, chunk))

    def candidates(self, data: bytes) -> list[int]:
        return [groups[i] for regexes, groups in self.sets for i in regexes.Match(data) or ()]


def spans(layout: Any, data: bytes) -> dict[int, list[tuple[int, int]]]:
    found = {}
    for group in layout.candidates(data):
        hits = [m.span() for m in layout.patterns[group].finditer(data) if m.end() > m.start()][:20]
        if hits:
            found[group] = hits
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-chars", type=int, default=0, help="leave out shorter texts")
    parser.add_argument("--chunk", type=int, default=CHUNK, help="texts per chunk")
    arguments = parser.parse_args()
    search = load_policy_set(ROOT / "policies", rules_only=True).patterns
    layouts = {"whole": WholeSets(search), "split": search}
    data = [normalise(t).text.encode("utf-8", "surrogatepass") for t in texts() if len(t) >= arguments.min_chars]
    size = arguments.chunk
    chunks = [data[i : i + size] for i in range(0, len(data) - size + 1, size)]
    results: dict[str, list[float]] = {name: [] for name in layouts}
    for chunk in chunks:
        for name, layout in layouts.items():  # each chunk new to both
            start = time.process_time()
            for one in chunk:
                spans(layout, one)
            results[name].append(round((time.process_time() - start) / len(chunk) * 1e6, 1))
        whole, split = results["whole"][-1], results["split"][-1]
        print(f"chunk {len(results['whole'])}: {whole} / {split} µs a post", file=sys.stderr)
    differing = sum(spans(layouts["whole"], one) != spans(search, one) for one in data)
    if differing:
        print(f"{differing} texts found differently", file=sys.stderr)
        return 1
    print(json.dumps({
        "command": " ".join(["bench/pattern_sets.py", *sys.argv[1:]]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "texts": len(data),
        "mean_bytes": round(sum(map(len, data)) / len(data)),
        "patterns": len(search.patterns),
        "split_patterns": len(search._gapped),
        "sets": {"whole": len(layouts["whole"].sets), "split": len(search._sets)},
        "us_per_post_by_chunk": results,
        "texts_found_differently": differing,
    }, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
