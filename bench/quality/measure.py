"""Measure the default policy pack on the labelled data sets, through `haven backtest`.

    .venv/bin/python bench/quality/measure.py [--datasets ../shared/datasets] [--policies policies]

For each data set folder it runs `haven backtest POLICIES FOLDER/items.jsonl`,
joins the decisions to the folder's labels by id, and prints Markdown tables of
what share of each label the pack escalated, held or flagged, with the targets
of issue 3. Nothing from the data sets is written anywhere: the decisions go
through a temporary file that is deleted. `--keep DIR` keeps the decisions.
`--misses N` prints the ids of up to N misses and false alarms per table (ids
only, never text), for analysis. `--authors-from-ids` sends each C-SSRS post
with the user its id names, so the author-history rule takes part.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VERDICTS = ("allow", "nudge", "review", "hold", "remove", "escalate")

Decision = dict[str, object]
Item = dict[str, object]
Predicate = Callable[[Decision], bool]


def rank(verdict: object) -> int:
    return VERDICTS.index(str(verdict))


def categories(decision: Decision) -> list[str]:
    return [str(c) for c in decision.get("categories", [])]  # type: ignore[attr-defined]


def fired(prefixes: Iterable[str]) -> Predicate:
    wanted = tuple(prefixes)
    return lambda d: any(c == p or c.startswith(p + ".") for c in categories(d) for p in wanted)


def escalated(decision: Decision) -> bool:
    return decision.get("verdict") == "escalate"


def held_or_worse(decision: Decision) -> bool:
    """Held, removed or escalated: the post is not simply left up."""
    return rank(decision.get("verdict", "allow")) >= rank("hold")


@dataclass
class Row:
    label: str
    n: int
    hits: int
    target: str = ""
    ids: tuple[str, ...] = ()

    @property
    def share(self) -> float:
        return self.hits / self.n if self.n else 0.0


def read_jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def author_of(item_id: str) -> str | None:
    """The user in a C-SSRS id ("batch:user-840:0" -> "batch:user-840"); None elsewhere."""
    parts = item_id.split(":")
    return ":".join(parts[:-1]) if len(parts) >= 3 and parts[-2].startswith("user-") else None


def backtest(policies: Path, items: Path, keep: Path | None, *, authors: bool = False) -> dict[str, Decision]:
    """Decisions by id. With `authors`, each post is sent with the author its id names, in file
    order, so rules with a `counter` (the crisis follow-up) see that author's earlier decisions."""
    with tempfile.TemporaryDirectory() as tmp:
        out = (keep or Path(tmp)) / f"{items.parent.name}.decisions.jsonl"
        out.parent.mkdir(parents=True, exist_ok=True)
        haven = Path(sys.executable).with_name("haven")
        source = "-" if authors else str(items)
        stdin = None
        if authors:
            lines = []
            for item in read_jsonl(items):
                author = author_of(str(item["id"]))
                lines.append(json.dumps({"id": item["id"], "text": item["text"], "author": author}))
            stdin = ("\n".join(lines) + "\n").encode()
        with out.open("w", encoding="utf-8") as handle:
            subprocess.run(
                [str(haven), "backtest", str(policies), source],
                input=stdin,
                stdout=handle,
                stderr=subprocess.DEVNULL,
                check=True,
            )
        return {str(d["id"]): d for d in read_jsonl(out)}


def rows_by_label(
    items: list[Item],
    decisions: dict[str, Decision],
    labels_of: Callable[[Item], Iterable[str]],
    predicate: Predicate,
    *,
    want_hits: bool,
) -> dict[str, Row]:
    """Per label: how many items carry it and how many the predicate holds for.

    `ids` collects the misses (want_hits) or the false alarms (not want_hits).
    """
    rows: dict[str, Row] = {}
    collected: dict[str, list[str]] = defaultdict(list)
    for item in items:
        decision = decisions[str(item["id"])]
        hit = predicate(decision)
        for label in labels_of(item):
            row = rows.setdefault(label, Row(label, 0, 0))
            row.n += 1
            row.hits += hit
            if hit != want_hits:
                collected[label].append(str(item["id"]))
    for label, row in rows.items():
        row.ids = tuple(collected[label])
    return rows


def table(title: str, column: str, rows: list[Row], misses: int) -> str:
    lines = [f"#### {title}", "", f"| label | n | {column} | target |", "|---|---:|---:|---|"]
    for row in rows:
        lines.append(f"| {row.label} | {row.n} | {row.share:.1%} ({row.hits}) | {row.target} |")
    if misses:
        for row in rows:
            if row.ids:
                lines.append(f"\n{row.label}: {', '.join(row.ids[:misses])}")
    return "\n".join(lines) + "\n"


def precision(positive: list[Row], negative: list[Row]) -> str:
    tp = sum(r.hits for r in positive)
    fp = sum(r.hits for r in negative)
    fn = sum(r.n - r.hits for r in positive)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    negatives = sum(x.n for x in negative)
    return f"precision {p:.3f}, recall {r:.3f}, F1 {f1:.3f} (positives: {tp + fn}, negatives: {negatives})"


# --------------------------------------------------------------------------- data sets


def cssrs(items: list[Item], decisions: dict[str, Decision], misses: int) -> str:
    order = ["attempt", "behavior", "ideation", "indicator", "uninformative", "supportive"]
    targets = {
        "attempt": "≥ 90%",
        "behavior": "≥ 90%",
        "ideation": "≥ 80%",
        "supportive": "≤ 10%",
        "uninformative": "low",
        "indicator": "judgment call",
    }
    rows = rows_by_label(items, decisions, lambda i: [str(i["label"])], escalated, want_hits=True)
    for label, row in rows.items():
        row.target = targets.get(label, "")
        if label in ("supportive", "uninformative", "indicator"):
            row.ids = tuple(i for i in _ids(items, label) if escalated(decisions[i]))
    ordered = [rows[k] for k in order if k in rows]
    pos = [rows[k] for k in ("attempt", "behavior", "ideation") if k in rows]
    neg = [rows[k] for k in ("supportive", "uninformative") if k in rows]
    urgent = sum(1 for d in decisions.values() if any(urgently(a) for a in d.get("actions", [])))  # type: ignore[attr-defined]
    return (
        table("C-SSRS Reddit posts: share escalated", "escalated", ordered, misses)
        + f"\nEscalation of ideation/behavior/attempt against supportive/uninformative: {precision(pos, neg)}."
        + f" Escalated at urgent priority: {urgent} posts. {triaged(decisions)}\n"
    )


def urgently(action: object) -> bool:
    return (
        isinstance(action, dict)
        and action.get("kind") == "escalate"
        and action.get("params", {}).get("priority") == "urgent"
    )


def triaged(decisions: dict[str, Decision]) -> str:
    """How the API's triage would have queued these posts, against what the worker escalated."""
    queued = [d for d in decisions.values() if d.get("crisis_queue")]
    both = sum(1 for d in queued if escalated(d))
    share = len(queued) / max(len(decisions), 1)
    return f"Sent to the crisis queue by triage: {share:.1%} ({len(queued)}, of which {both} escalated)."


def _ids(items: list[Item], label: str) -> list[str]:
    return [str(i["id"]) for i in items if i.get("label") == label]


def counsel(items: list[Item], decisions: dict[str, Decision], misses: int) -> str:
    esc = rows_by_label(items, decisions, lambda i: ["therapist answers"], escalated, want_hits=False)
    held = rows_by_label(items, decisions, lambda i: ["therapist answers"], held_or_worse, want_hits=False)
    any_match = rows_by_label(
        items, decisions, lambda i: ["therapist answers"], lambda d: bool(categories(d)), want_hits=False
    )
    rows = [
        Row(
            "escalated", esc["therapist answers"].n, esc["therapist answers"].hits, "≤ 5%", esc["therapist answers"].ids
        ),
        Row(
            "held, removed or escalated",
            held["therapist answers"].n,
            held["therapist answers"].hits,
            "none",
            held["therapist answers"].ids,
        ),
        Row(
            "any rule fired (incl. nudges, reviews)",
            any_match["therapist answers"].n,
            any_match["therapist answers"].hits,
            "",
            any_match["therapist answers"].ids,
        ),
    ]
    return table("Therapist answers (counsel-chat)", "share", rows, misses) + f"\n{triaged(decisions)}\n"


def covid(items: list[Item], decisions: dict[str, Decision], misses: int) -> str:
    flagged = fired(["misinformation"])
    rows = rows_by_label(items, decisions, lambda i: [str(i["label"])], flagged, want_hits=True)
    rows["fake"].target = "catch as many as the rules can"
    rows["real"].target = "touch as few as possible"
    rows["real"].ids = tuple(str(i["id"]) for i in items if i["label"] == "real" and flagged(decisions[str(i["id"])]))
    other = sum(
        1
        for i in items
        if i["label"] == "real" and categories(decisions[str(i["id"])]) and not flagged(decisions[str(i["id"])])
    )
    return (
        table("COVID-19 posts: share flagged by a misinformation rule", "flagged", [rows["fake"], rows["real"]], misses)
        + f"\nMisinformation rules, fake as positive: {precision([rows['fake']], [rows['real']])}."
        + f" Real posts touched by any other rule: {other}.\n"
    )


PII_TYPES = {
    "PHONE_NUMBER": "phone",
    "EMAIL_ADDRESS": "e-mail",
    "STREET_ADDRESS": "street address",
    "CREDIT_CARD": "payment card",
    "US_SSN": "SSN",
    "IBAN_CODE": "IBAN",
}


def pii(items: list[Item], decisions: dict[str, Decision], misses: int) -> str:
    caught = fired(["confidentiality.contact", "confidentiality.financial"])

    def kinds(item: Item) -> list[str]:
        types = {str(s["type"]) for s in item["spans"]}  # type: ignore[attr-defined]
        found = [PII_TYPES[t] for t in PII_TYPES if t in types]
        return [*found, "any of these"] if found else ["none of these (other sentences)"]

    rows = rows_by_label(items, decisions, kinds, caught, want_hits=True)
    negative = rows.get("none of these (other sentences)")
    if negative is not None:
        negative.target = "≤ 5%"
        negative.ids = tuple(
            str(i["id"]) for i in items if kinds(i) == [negative.label] and caught(decisions[str(i["id"])])
        )
    for label in [*PII_TYPES.values(), "any of these"]:
        if label in rows:
            rows[label].target = "≥ 95%"
    order = [*PII_TYPES.values(), "any of these", "none of these (other sentences)"]
    ordered = [rows[k] for k in order if k in rows]
    positives = [rows["any of these"]] if "any of these" in rows else []
    return (
        table(
            "Synthetic sentences with personal data: share caught by the personal-data rules",
            "caught",
            ordered,
            misses,
        )
        + (f"\nSentence level: {precision(positives, [negative])}.\n" if negative else "")
        + pii_spans(items, decisions)
    )


def pii_spans(items: list[Item], decisions: dict[str, Decision]) -> str:
    """Span level, for comparison with the published Presidio figures (which cover every type).

    A labelled span of the six kinds is found when evidence of a personal-data rule
    overlaps it; an evidence span is right when it overlaps a labelled span of those kinds.
    """
    found = labelled = right = evidence_spans = 0
    for item in items:
        gold = [(int(s["start"]), int(s["end"])) for s in item["spans"] if s["type"] in PII_TYPES]  # type: ignore[attr-defined]
        spans = [
            (int(e["start"]), int(e["end"]))
            for m in decisions[str(item["id"])].get("matches", [])  # type: ignore[attr-defined]
            if str(m["category"]).startswith(("confidentiality.contact", "confidentiality.financial"))
            for e in m["evidence"]
        ]
        spans = sorted(set(spans))
        labelled += len(gold)
        found += sum(any(s < ge and gs < e for s, e in spans) for gs, ge in gold)
        evidence_spans += len(spans)
        right += sum(any(s < ge and gs < e for gs, ge in gold) for s, e in spans)
    p = right / evidence_spans if evidence_spans else 0.0
    r = found / labelled if labelled else 0.0
    f2 = 5 * p * r / (4 * p + r) if p + r else 0.0
    return (
        f"\nSpan level, these six kinds only: precision {p:.3f}, recall {r:.3f}, F2 {f2:.3f}"
        f" ({labelled} labelled spans, {evidence_spans} evidence spans).\n"
    )


def unhealthy(items: list[Item], decisions: dict[str, Decision], misses: int) -> str:
    flagged = fired(["community.hostility", "community.harassment"])
    any_community = fired(["community"])
    order = [
        "hostile",
        "antagonize",
        "dismissive",
        "condescending",
        "sarcastic",
        "generalisation",
        "generalisation_unfair",
        "healthy",
        "healthy only",
    ]

    def labels(item: Item) -> list[str]:
        ls = [str(x) for x in item["labels"]]  # type: ignore[attr-defined]
        return [*ls, "healthy only"] if ls == ["healthy"] else ls

    rows = rows_by_label(items, decisions, labels, flagged, want_hits=True)
    targets = {"hostile": "≥ 60%", "healthy": "≤ 10%", "healthy only": "≤ 10%"}
    for label, row in rows.items():
        row.target = targets.get(label, "")
        if label.startswith("healthy"):
            row.ids = tuple(str(i["id"]) for i in items if label in labels(i) and flagged(decisions[str(i["id"])]))
    nudged = rows_by_label(items, decisions, labels, any_community, want_hits=True)
    nudge_rows = [Row(k, nudged[k].n, nudged[k].hits) for k in order if k in nudged]
    neg = [rows["healthy only"]] if "healthy only" in rows else []
    return (
        table(
            "Unhealthy Conversations: share flagged as hostility (held)",
            "flagged",
            [rows[k] for k in order if k in rows],
            misses,
        )
        + f"\nHostile against healthy-only comments: {precision([rows['hostile']], neg)}.\n\n"
        + table(
            "Unhealthy Conversations: share touched by any community-health rule (incl. nudges)",
            "touched",
            nudge_rows,
            0,
        )
    )


DATASETS: dict[str, Callable[[list[Item], dict[str, Decision], int], str]] = {
    "cssrs-reddit": cssrs,
    "counsel-chat": counsel,
    "covid-misinfo": covid,
    "pii-synthetic": pii,
    "unhealthy-conversations": unhealthy,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--policies", type=Path, default=ROOT / "policies")
    parser.add_argument("--only", action="append", choices=sorted(DATASETS), help="measure only these")
    parser.add_argument("--keep", type=Path, help="keep the decisions in this folder (outside the repository)")
    parser.add_argument("--misses", type=int, default=0, help="list up to N ids of misses per label")
    parser.add_argument(
        "--authors-from-ids",
        action="store_true",
        help="send each post with the author named in its id (C-SSRS), so author-history rules take part",
    )
    args = parser.parse_args(argv)
    for name, report in DATASETS.items():
        if args.only and name not in args.only:
            continue
        items_path = args.datasets / name / "items.jsonl"
        if not items_path.exists():
            print(f"skipped {name}: no {items_path}\n")
            continue
        items = read_jsonl(items_path)
        decisions = backtest(args.policies, items_path, args.keep, authors=args.authors_from_ids)
        suffix = ", authors from ids" if args.authors_from_ids else ""
        print(f"### {name} ({len(items)} items{suffix})\n")
        print(report(items, decisions, args.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
