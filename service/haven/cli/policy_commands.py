"""`haven policy check|test|explain` and `haven backtest`: the policy author's tools."""

from __future__ import annotations

import argparse
import sys
from collections import Counter, deque
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import msgspec

from haven.cli.progress import Progress
from haven.domain import Author, Decision, Post
from haven.policy import (
    InMemoryConversationStore,
    InMemoryCounterStore,
    PolicyLoadError,
    PolicySet,
    evaluate,
    evaluate_in_batches,
    load_policy_set,
)
from haven.policy.examples import EXAMPLE_TIME, example_conversation, run_examples
from haven.policy.loader import read_context
from haven.policy.schema import ExampleSpec, TurnSpec
from haven.policy_library import LivePolicies, PolicyLibrary


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    policy = commands.add_parser("policy", help="check, test and explain a policy folder")
    actions = policy.add_subparsers(dest="policy_command", required=True, metavar="ACTION")

    check = actions.add_parser("check", help="load and validate; exit 1 with every error")
    check.add_argument("directory", type=Path)
    check.set_defaults(handler=check_command)

    test = actions.add_parser("test", help="run every rule's inline examples; exit 1 on any failure")
    test.add_argument("directory", type=Path)
    test.set_defaults(handler=test_command)

    explain = actions.add_parser("explain", help="which rules fire on a text, why, with the evidence")
    explain.add_argument("directory", type=Path)
    explain.add_argument("text", help="the post's body ('-' reads standard input)")
    explain.add_argument("--title", default="")
    explain.add_argument("--locale", default=None)
    explain.add_argument("--kind", default="post", choices=["post", "comment", "message"])
    explain.add_argument("--json", action="store_true", help="print the decision as JSON")
    explain.add_argument("--author", default="cli", help="the post's author (for conversation rules)")
    explain.add_argument("--thread", default="cli-thread", help="the post's thread")
    explain.add_argument("--parent", default=None, help="the id of the post it replies to, from --context")
    explain.add_argument(
        "--context", type=Path, default=None,
        help="YAML or JSON list of earlier decisions of the conversation (as an example's 'context')",
    )  # fmt: skip
    explain.add_argument("--community", help="judge with this community's layer (communities/<community>/)")
    explain.add_argument("--channel", help="and this channel's layer (communities/<community>/channels/<channel>/)")
    explain.set_defaults(handler=explain_command)

    backtest = commands.add_parser(
        "backtest", help="judge past posts (JSON lines); decisions to stdout, summary to stderr"
    )
    backtest.add_argument("directory", type=Path)
    backtest.add_argument("posts", type=Path, help="JSON lines file ('-' for standard input)")
    backtest.add_argument(
        "--rules-only", action="store_true",
        help="leave out every rule that asks a learned model (classifier), to compare with the rules alone",
    )  # fmt: skip
    backtest.set_defaults(handler=backtest_command)


def _load(directory: Path, out: TextIO, *, rules_only: bool = False) -> PolicySet | None:
    try:
        return load_policy_set(directory, rules_only=rules_only)
    except PolicyLoadError as exc:
        for error in exc.errors:
            print(error, file=out)
        print(f"{len(exc.errors)} error(s) in {directory}", file=out)
        return None


def _community_layers(directory: Path, *, examples: bool) -> tuple[int, int, int]:
    """Checks each community's layer kept as files (`communities/<community>/`) over the base:
    (layers, examples run, problems printed)."""
    library = PolicyLibrary(LivePolicies(directory, reload_seconds=0), None)
    communities = library.communities()
    runs = problems = 0
    for community in communities:
        errors, count = library.check(community, {}, examples=examples)
        runs += count
        problems += len(errors)
        for error in errors:
            print(error, file=sys.stderr)
    return len(communities), runs, problems


def check_command(args: argparse.Namespace) -> int:
    policy_set = _load(args.directory, sys.stderr)
    if policy_set is None:
        return 1
    layers, _, problems = _community_layers(args.directory, examples=False)
    print(
        f"{args.directory}: {len(policy_set.policies)} policies, {len(policy_set.rules)} rules, "
        f"version {policy_set.version}" + (f"; {layers} community layers" if layers else "")
    )
    if problems:
        print(f"{problems} error(s) in the community layers", file=sys.stderr)
    return 1 if problems else 0


def test_command(args: argparse.Namespace) -> int:
    policy_set = _load(args.directory, sys.stderr)
    if policy_set is None:
        return 1
    count, failures = run_examples(policy_set)
    for failure in failures:
        print(failure, file=sys.stderr)
    _, layer_count, layer_failures = _community_layers(args.directory, examples=True)
    count += layer_count
    print(f"{count - len(failures) - layer_failures} passed, {len(failures) + layer_failures} failed")
    return 1 if failures or layer_failures else 0


def _highlight(text: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in sorted(set(spans)):
        if start < last:
            continue
        out.extend([text[last:start], "[[", text[start:end], "]]"])
        last = end
    out.append(text[last:])
    return "".join(out)


def _explain_conversation(args: argparse.Namespace) -> InMemoryConversationStore | None:
    """The conversation given with --context, as `policy test` builds an example's; None on a bad file."""
    turns: list[TurnSpec] = []
    if args.context is not None:
        turns, errors = read_context(args.context)
        if errors:
            for error in errors:
                print(error, file=sys.stderr)
            return None
    spec = ExampleSpec(platform="cli", community="cli", author=args.author, thread=args.thread, context=turns)
    return example_conversation(spec)


def explain_command(args: argparse.Namespace) -> int:
    policy_set = _load(args.directory, sys.stderr)
    if policy_set is None:
        return 1
    conversations = _explain_conversation(args)
    if conversations is None:
        return 1
    body = sys.stdin.read() if args.text == "-" else args.text
    post = Post(
        platform="cli", community=args.community or "cli", external_id="explain", kind=args.kind,
        author=Author(id=args.author), title=args.title, body=body, locale=args.locale,
        thread_id=args.thread, parent_id=args.parent,
    )  # fmt: skip
    if args.community:
        library = PolicyLibrary(LivePolicies(args.directory, reload_seconds=0), None)
        try:
            policy_set = library.effective(args.community, args.channel, None).policy_set
        except PolicyLoadError as exc:
            for error in exc.errors:
                print(error, file=sys.stderr)
            return 1
    trace: list[str] = []
    decision = evaluate(policy_set, post, now=EXAMPLE_TIME, conversations=conversations, trace=trace)
    if args.json:
        sys.stdout.write(msgspec.json.encode(decision).decode() + "\n")
        return 0
    print(f"verdict: {decision.verdict}   (policy set {decision.policy_version})")
    for label, matches in (("fired", decision.matches), ("shadow", decision.shadow_matches),
                           ("in quotes, not the author's", decision.quoted_matches)):  # fmt: skip
        for match in matches:
            rule = policy_set.rule(f"{match.policy}/{match.rule}")
            where = f"{rule.file}:{rule.line}" if rule else ""
            print(f"\n{label}: {match.policy}/{match.rule}  [{match.category}, {match.severity}, "
                  f"{match.verdict}]  {where}  (layer {match.layer})")  # fmt: skip
            if match.description:
                print(f"  {match.description}")
            for field in ("title", "body"):
                spans = [(e.start, e.end) for e in match.evidence if e.field == field]
                if spans:
                    source = post.title if field == "title" else post.body
                    print(f"  {field}: {_highlight(source, spans)}")
            for evidence in match.evidence:
                print(f"    - {evidence.text!r} by {evidence.matcher}")
            for found in match.conversation:
                print(f"  in this thread: {found.summary}")
                print(f"    - by {found.matcher}; earlier decisions: {', '.join(found.decisions) or 'none'}")
            for scored in match.scores:
                print(f"    model {scored.model} (version {scored.version}): {scored.score:.3f}, "
                      f"threshold {scored.threshold:.3f}")  # fmt: skip
    if trace:
        print("\nnot fired, and why:")
        for note in trace:
            print(f"  {note}")
    if decision.actions:
        print("\nactions:")
        for action in decision.actions:
            params = {k: v for k, v in action.params.items() if k != "text"}
            print(f"  {action.kind} → {action.target} {params or ''}  (from {', '.join(action.rules)})")
    return 0


class BacktestPost(msgspec.Struct, kw_only=True):
    id: str | int
    text: str | None = None
    title: str = ""
    body: str | None = None
    author: str | dict[str, Any] | None = None
    platform: str = "backtest"
    kind: str = "post"
    community: str = "backtest"
    locale: str | None = None
    created_at: datetime | None = None
    # Threads: judged with the conversation state of the posts before them in the file.
    thread_id: str | int | None = None
    parent_id: str | int | None = None


def _backtest_post(item: BacktestPost) -> Post:
    if isinstance(item.author, dict):
        author = msgspec.convert(item.author, Author)
    else:
        author = Author(id=item.author or f"author-of-{item.id}")
    kind = item.kind if item.kind in ("post", "comment", "message") else "post"
    return Post(
        platform=item.platform, community=item.community, external_id=str(item.id),
        kind=kind, author=author, title=item.title,  # type: ignore[arg-type]
        body=item.text if item.text is not None else (item.body or ""),
        locale=item.locale, created_at=item.created_at,
        thread_id=str(item.thread_id) if item.thread_id is not None else None,
        parent_id=str(item.parent_id) if item.parent_id is not None else None,
    )  # fmt: skip


def _result_line(item_id: str | int, decision: Decision, crisis_queue: bool) -> bytes:
    record = {
        "id": item_id,
        "verdict": decision.verdict,
        # Where the API's triage would have queued the post (see PolicySet.is_crisis_prone).
        "crisis_queue": crisis_queue,
        "categories": decision.categories,
        "matches": decision.matches,
        "shadow_matches": decision.shadow_matches,
        "actions": [
            {
                "kind": a.kind,
                "target": a.target,
                "rules": a.rules,
                # The rendered reply text is long and the same for every post; its template names it.
                "params": {k: v for k, v in a.params.items() if k != "text"},
            }
            for a in decision.actions
        ],
    }
    return msgspec.json.encode(record) + b"\n"


def backtest_command(args: argparse.Namespace) -> int:
    from_stdin = str(args.posts) == "-"
    if not from_stdin and not args.posts.is_file():
        print(f"haven backtest: {args.posts}: no such file", file=sys.stderr)
        return 1
    policy_set = _load(args.directory, sys.stderr, rules_only=args.rules_only)
    if policy_set is None:
        return 1
    source = sys.stdin.buffer if from_stdin else args.posts.open("rb")
    progress = Progress(sys.stderr, None if from_stdin else args.posts.stat().st_size)
    read = 0
    decoder = msgspec.json.Decoder(BacktestPost)
    counters = InMemoryCounterStore()
    conversations = InMemoryConversationStore()
    verdicts: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    shadow_rules: Counter[str] = Counter()
    bad = 0
    out = sys.stdout.buffer
    ids: deque[str | int] = deque()  # the file's ids of the posts read and not yet judged, in order

    def posts() -> Iterator[Post]:
        nonlocal read, bad
        for number, line in enumerate(source, start=1):
            read += len(line)
            progress.update(number, read)
            if not line.strip():
                continue
            try:
                item = decoder.decode(line)
            except msgspec.DecodeError as exc:
                print(f"{args.posts}:{number}: skipped: {exc}", file=sys.stderr)
                bad += 1
                continue
            post = _backtest_post(item)
            ids.append(item.id)
            yield post

    def when(post: Post) -> datetime:
        return post.created_at or datetime.now(UTC)

    with source:
        judged = evaluate_in_batches(policy_set, posts(), now=when, counters=counters, conversations=conversations)
        for post, decision in judged:
            verdicts[decision.verdict] += 1
            categories.update(decision.categories)
            rules.update(f"{m.policy}/{m.rule}" for m in decision.matches)
            shadow_rules.update(f"{m.policy}/{m.rule}" for m in decision.shadow_matches)
            out.write(_result_line(ids.popleft(), decision, policy_set.is_crisis_prone(post)))
    progress.close()
    total = sum(verdicts.values())
    print(f"{total} posts judged with policy set {policy_set.version}" + (f", {bad} lines skipped" if bad else ""),
          file=sys.stderr)  # fmt: skip
    for title, counts in (("verdict", verdicts), ("category", categories), ("rule", rules),
                          ("shadow rule", shadow_rules)):  # fmt: skip
        if counts:
            print(f"by {title}:", file=sys.stderr)
            for name, n in counts.most_common():
                print(f"  {name:<48} {n:>7}  {n / max(total, 1):6.1%}", file=sys.stderr)
    return 1 if bad and not total else 0
