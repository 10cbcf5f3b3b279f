"""`haven models train|list`: the learned models a policy folder's `classifier` rules use."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from haven.config import DEFAULT_POLICY_DIR
from haven.policy.loader import read_policy_folder


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = commands.add_parser(
        "models", help="train and list learned models", description="Train and list the learned models "
        "that `classifier` matchers use; each is a file with its card in <policy folder>/models/.",
    )  # fmt: skip
    actions = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")

    train = actions.add_parser(
        "train", help="train models from the labelled data sets and the project's corpus",
        description="Trains each task's model on the development halves of the labelled data sets, "
        "chooses its threshold by grouped cross-validation together with the rules, and writes the "
        "model and its card. Needs the `train` extra: pip install 'haven[train]'.",
    )  # fmt: skip
    train.add_argument("--datasets", type=Path, default=Path("../shared/datasets"),
                       help="folder of labelled data sets (default: ../shared/datasets)")  # fmt: skip
    train.add_argument("--corpus", type=Path, default=Path("tests/corpus"),
                       help="the project's labelled corpus (default: tests/corpus)")  # fmt: skip
    train.add_argument("--policies", type=Path, default=DEFAULT_POLICY_DIR,
                       help="policy folder whose rules join the model in choosing thresholds")  # fmt: skip
    train.add_argument("--out", type=Path, default=None, help="where to write (default: POLICIES/models)")
    train.add_argument("--task", action="append", help="train only this task (repeatable)")
    train.set_defaults(handler=train_command)

    tune = actions.add_parser(
        "tune", help="fit a community's own model thresholds on its moderators' reviews",
        description="Reads the community's reviewed decisions (upheld: the model was right to fire; "
        "overturned: a false alarm) from the configured database, chooses for each model the lowest "
        "threshold at which moderators upheld at least --precision of what it fired on, and reports "
        "before and after on 30%% of the reviews held back. Uses only the scores stored with "
        "decisions, never post text; it can raise a threshold, never lower one.",
    )  # fmt: skip
    tune.add_argument("community")
    tune.add_argument("--precision", type=float, default=0.8, help="share of firings to be upheld (default 0.8)")
    tune.set_defaults(handler=tune_command)

    listing = actions.add_parser("list", help="the models of a policy folder, with version and threshold")
    listing.add_argument("directory", type=Path, nargs="?", default=DEFAULT_POLICY_DIR)
    listing.set_defaults(handler=list_command)


def train_command(args: argparse.Namespace) -> int:
    try:
        from haven.learning import train as training
        from haven.learning.datasets import TASKS
    except ImportError as exc:
        print(f"haven models train: {exc.name} is missing; install the extra: pip install 'haven[train]'",
              file=sys.stderr)  # fmt: skip
        return 2
    from haven.policy import PolicyLoadError, load_policy_set

    wanted = args.task or list(TASKS)
    unknown = [t for t in wanted if t not in TASKS]
    if unknown:
        print(f"haven models train: unknown task {', '.join(unknown)} (known: {', '.join(TASKS)})", file=sys.stderr)
        return 2
    for folder in (args.datasets, args.corpus):
        if not folder.is_dir():
            print(f"haven models train: {folder} is not a folder", file=sys.stderr)
            return 2
    try:
        rules_only = load_policy_set(args.policies, rules_only=True)
    except PolicyLoadError as exc:
        print(f"haven models train: the policies in {args.policies} do not load: {exc.errors[0]}", file=sys.stderr)
        return 1
    out = args.out or args.policies / "models"
    for name in wanted:
        print(f"training {name} …", file=sys.stderr)
        report = training.train(TASKS[name], args.datasets, args.corpus, rules_only)
        path = training.write(report, out)
        print(f"{path}: threshold {report.model.threshold}, {len(report.model.vocabulary):,} features")
    return 0


def tune_command(args: argparse.Namespace) -> int:
    from haven.cli.settings_loading import load_settings
    from haven.learning.reviews import Reviewed, tune
    from haven.store.sql import SqlStore

    store = SqlStore.from_settings(load_settings().database)
    reviewed: dict[str, list[Reviewed]] = {}
    thresholds: dict[str, float] = {}
    rules: dict[str, set[str]] = {}
    try:
        cursor: str | None = None
        while True:
            page = store.list_decisions(args.community, cursor=cursor, limit=200)
            for decision in page.items:
                scored = [(m, s) for m in decision.matches for s in m.scores]
                if not scored:
                    continue
                stored = store.get_decision(args.community, decision.id)
                if stored is None or not stored.reviews:
                    continue
                upheld = max(stored.reviews, key=lambda r: r.created_at).outcome == "upheld"
                for match, score in scored:
                    reviewed.setdefault(score.model, []).append(Reviewed(decision.id, score.score, upheld))
                    thresholds[score.model] = score.threshold
                    rules.setdefault(score.model, set()).add(f"{match.policy}/{match.rule}")
            cursor = page.next_cursor
            if cursor is None:
                break
    finally:
        store.dispose()
    if not reviewed:
        print(f"{args.community}: no reviewed decisions made by a model yet")
        return 0
    for model, items in sorted(reviewed.items()):
        result = tune(model, thresholds[model], items, precision=args.precision)
        print(f"{model}: {len(items)} reviewed decisions ({result.fitted_on} to fit, the rest held back); "
              f"rules {', '.join(sorted(rules[model]))}")  # fmt: skip
        for label, at, seen in (("now", result.current, result.before), ("proposed", result.proposed, result.after)):
            print(f"  {label:<9} threshold {at:.3f}: held back, upheld still flagged {seen.upheld_kept}/{seen.upheld}, "
                  f"overturned still flagged {seen.overturned_kept}/{seen.overturned}, "
                  f"precision {seen.precision:.2f}")  # fmt: skip
        if result.proposed > result.current:
            print(f"  to apply: in the community's policy layer, set `classifier: {{model: {model}, "
                  f"above: {result.proposed:.3f}}}` in the rules above")  # fmt: skip
    return 0


def list_command(args: argparse.Namespace) -> int:
    folder = read_policy_folder(args.directory)
    for error in folder.errors:
        print(error, file=sys.stderr)
    if not folder.models:
        print(f"{args.directory}: no models")
    for name, model in sorted(folder.models.items()):
        card = model.card
        print(f"{name}  version {model.version}  threshold {model.threshold}  trained {card.created}")
        print(f"  {card.summary}")
        print(f"  data: {'; '.join(card.licences)}")
    return 0 if not folder.errors else 1
