"""End-to-end benchmark of the service: API, Redis, Celery workers, PostgreSQL, webhooks.

Starts its own `haven serve` and `haven worker` processes (full mode) on a fresh
PostgreSQL database and its own Redis database, with the default policy pack,
and measures three things:

1. sustained throughput: posts/s from the first post accepted to the last decision stored,
   sending batches of 100 as fast as the API takes them, and the CPU each part of the
   pipeline used meanwhile (API, worker processes, PostgreSQL, Redis, load generator: from
   /proc, every process on the machine by its command line);
2. ingest-to-decision latency at a steady 100 posts/s, sent one post per request;
3. crisis-to-webhook latency: crisis posts sent one by one while a backlog of ordinary
   posts is being worked off, timed from the request to the signed webhook's arrival
   (the backlog's clients and the webhook receiver each run in a process of their own,
   as they would on other machines).

    .venv/bin/python bench/pipeline.py [--posts 20000] [--processes 2] [--pool threads] [--concurrency 4]

With `--gc-log`, every process it starts logs each full pass of Python's cyclic garbage
collector (bench/gc_log/sitecustomize.py), and the result says, for the API and each worker
process, how many passes ran while posts were being sent and the longest.

Needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (scripts/services).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from haven.domain import Author, Post  # noqa: E402
from haven.policy import load_policy_set  # noqa: E402
from haven.store.migrate import upgrade  # noqa: E402
from haven.store.sql import SqlStore  # noqa: E402

from tests.integration.harness import (  # noqa: E402
    delete_keys,
    haven_env,
    new_key_prefix,
    postgres_database,
    start_api,
    start_worker,
    wait_until,
    webhook_receiver,
)

REDIS_URL = "redis://127.0.0.1:6379/13"
QUEUE_PREFIX = [""]
CORPUS = REPO / "tests" / "corpus"
PHASES = ("throughput", "latency", "crisis")


def corpus_texts() -> tuple[list[str], list[str]]:
    ordinary, crisis = [], []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            item = json.loads(line)
            (crisis if item["expect"].get("escalate") else ordinary).append(item["text"])
    return ordinary, crisis


def post(community: str, text: str) -> dict[str, Any]:
    return {
        "platform": "bench",
        "community": community,
        "external_id": uuid.uuid4().hex,
        "author": {"id": f"author-{uuid.uuid4().int % 500}"},
        "body": text,
    }


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000

    return {
        "n": len(ordered),
        "p50_ms": round(at(0.50), 1),
        "p90_ms": round(at(0.90), 1),
        "p99_ms": round(at(0.99), 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


def _decided_where(community: str | None, ids: list[str] | None) -> tuple[str, Any]:
    return ("community = %s", community) if ids is None else ("id = ANY(%s)", ids)


def decision_times(
    db_url: str, *, community: str | None = None, ids: list[str] | None = None
) -> dict[str, tuple[float, float]]:
    """The (received_at, decided_at) of a community's decisions or of the given ones, by id,
    in epoch seconds."""
    where, value = _decided_where(community, ids)
    with psycopg.connect(db_url) as db:
        rows = db.execute(
            "SELECT id, extract(epoch from received_at), extract(epoch from decided_at) FROM decisions WHERE " + where,
            (value,),
        ).fetchall()
    return {str(i): (float(r), float(d)) for i, r, d in rows}


def decided_all(
    db_url: str, *, ids: list[str] | None = None, community: str | None = None, count: int = 0, timeout: float = 120
) -> dict[str, tuple[float, float]]:
    """`decision_times` once every one of `ids` (or `count` of the community's) is decided.

    Meanwhile it asks only how many are decided, on one connection: until 2026-12-05 it read
    every decided row's times each half second on a new connection, CPU the machine under
    test lost to the benchmark (bench/README.md, "The load generator's own CPU")."""
    wanted = len(ids) if ids is not None else count
    where, value = _decided_where(community, ids)
    with psycopg.connect(db_url, autocommit=True) as db:

        def ready() -> bool:
            row = db.execute("SELECT count(*) FROM decisions WHERE " + where, (value,)).fetchone()
            return row is not None and row[0] >= wanted

        wait_until(ready, timeout=timeout, interval=0.5)
    return decision_times(db_url, community=community, ids=ids)


def batch_bodies(community: str, texts: list[str], total: int) -> list[bytes]:
    """`total` posts of `texts` as request bodies of 100 posts each. Made before any is sent,
    as a load generator's are, so that making them takes no CPU from the pipeline while it
    runs."""
    return [
        json.dumps({"posts": [post(community, texts[(start + i) % len(texts)]) for i in range(100)]}).encode()
        for start in range(0, total, 100)
    ]


def send_batches(client: httpx.Client, bodies: list[bytes]) -> None:
    def one(body: bytes) -> None:
        response = client.post("/v1/posts/batch", content=body, headers={"content-type": "application/json"})
        response.raise_for_status()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, bodies))


# Which part of the pipeline a process is, by its command line (first match wins).
COMPONENTS = (
    ("api", "haven serve"),
    ("crisis worker", "--queues=crisis --"),
    ("general workers", "--queues=crisis,default"),
    ("worker supervisor", "haven worker"),
    ("postgresql", "postgres"),
    ("redis", "redis-server"),
    ("load generator", "bench/pipeline.py"),
    ("load generator", "multiprocessing.spawn"),
)


@dataclass(frozen=True)
class ProcessCpu:
    pid: int
    parent: int
    seconds: float  # CPU time so far, user + system
    command: str


def processes() -> list[ProcessCpu]:
    """Every process on the machine now, from /proc (those that end meanwhile left out)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found.append(
            ProcessCpu(int(stat.parent.name), int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, command)
        )
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (threads included)."""
    table = processes()
    children: dict[int, list[int]] = {}
    for process in table:
        children.setdefault(process.parent, []).append(process.pid)
    seconds = {process.pid: process.seconds for process in table}
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += seconds.get(current, 0.0)
        todo.extend(children.get(current, []))
    return total


def cpu_by_component() -> dict[str, float]:
    """CPU time so far of every process on the machine, added up by pipeline component;
    processes that are none of them are left out."""
    found: dict[str, float] = {}
    for process in processes():
        name = next((name for name, mark in COMPONENTS if mark in process.command), None)
        if name is not None:
            found[name] = found.get(name, 0.0) + process.seconds
    return found


def cpu_split(before: dict[str, float], after: dict[str, float], posts: int, seconds: float) -> dict[str, Any]:
    """Each component's CPU over a phase: cores on average, and milliseconds a post."""
    used = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
    split = {name: {"cores": round(cpu / seconds, 2), "ms_per_post": round(cpu / posts * 1000, 3)}
             for name, cpu in sorted(used.items(), key=lambda item: -item[1]) if cpu > 0}  # fmt: skip
    return {**split, "all": {"cores": round(sum(used.values()) / seconds, 2),
                             "ms_per_post": round(sum(used.values()) / posts * 1000, 3)}}  # fmt: skip


def throughput(client: httpx.Client, db_url: str, texts: list[str], total: int) -> dict[str, Any]:
    community = "bench-throughput"
    bodies = batch_bodies(community, texts, total)
    cpu_before = cpu_by_component()
    started = time.time()
    send_batches(client, bodies)
    accepted = time.time()
    rows = decided_all(db_url, community=community, count=total, timeout=600).values()
    cpu_after, ended = cpu_by_component(), time.time()
    first = min(r for r, _ in rows)
    last = max(d for _, d in rows)
    return {
        "posts": total,
        "ingest_posts_per_s": round(total / (accepted - started)),
        "pipeline_posts_per_s": round(total / (last - first)),
        "seconds": round(last - first, 2),
        # From the first post sent to the last decision seen (the drain and polling included).
        "cpu": cpu_split(cpu_before, cpu_after, total, ended - started),
    }


def send_singles(
    client: httpx.Client,
    community: str,
    texts: list[str],
    total: int,
    rate: int,
    timed: dict[str, tuple[float, float]] | None = None,
) -> float:
    """`total` posts, one per request at a steady `rate`; returns the seconds sending took.
    `timed`, when given, gets each post's decision id: (request sent, answer received),
    epoch seconds."""

    def one(body: dict[str, Any]) -> None:
        sent = time.time()
        response = client.post("/v1/posts", json=body)
        answered = time.time()
        response.raise_for_status()
        if timed is not None:
            timed[response.json()["id"]] = (sent, answered)

    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        futures = []
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(one, post(community, texts[i % len(texts)])))
        for future in futures:
            future.result()
    return time.perf_counter() - start


def steady_latency(
    client: httpx.Client, db_url: str, texts: list[str], rate: int, seconds: int, warm_up: int
) -> dict[str, Any]:
    """`warm_up` posts at the same rate first, reported apart: the first posts after the
    processes start pay for connections, caches and code paths made on first use, which
    a long-running deployment pays once, not in its percentiles. Besides ingest to
    decision, the parts: request sent to accepted (the API's stamp), to the API's answer,
    and answer to decision."""
    community = "bench-latency"
    result: dict[str, Any] = {}
    if warm_up:
        warm: dict[str, tuple[float, float]] = {}
        send_singles(client, community, texts, warm_up, rate, warm)
        first = sorted(decided_all(db_url, ids=list(warm)).values())
        result["warm_up"] = {
            "first_10_ms": [round((d - r) * 1000, 1) for r, d in first[:10]],
            **percentiles([d - r for r, d in first]),
        }
    timed: dict[str, tuple[float, float]] = {}
    sent_for = send_singles(client, community, texts, rate * seconds, rate, timed)
    decided = decided_all(db_url, ids=list(timed))
    return {
        "rate_per_s": round(len(timed) / sent_for),
        **percentiles([d - r for r, d in decided.values()]),
        "request_to_accepted": percentiles([decided[i][0] - sent for i, (sent, _) in timed.items()]),
        "request_to_answer": percentiles([answered - sent for sent, answered in timed.values()]),
        "answer_to_decided": percentiles([decided[i][1] - answered for i, (_, answered) in timed.items()]),
        **result,
    }


def _feed(base: str, key: str, community: str, texts: list[str], total: int) -> None:
    """The backlog's clients, in a process of their own as they would be elsewhere."""
    with httpx.Client(base_url=base, headers={"authorization": f"Bearer {key}"}, timeout=60) as client:
        send_batches(client, batch_bodies(community, texts, total))


def _receive(conn: Connection) -> None:
    """The moderators' webhook receiver, in a process of its own as it would be on another
    machine: in the load generator's process, its threads held up the receiver's interpreter
    and so the measured arrivals. Stamps each verified delivery's arrival (epoch seconds, the
    same clock as the sender's) and reports them when asked."""
    with webhook_receiver() as receiver:
        path = receiver.new_path()
        arrivals: dict[str, float] = {}
        original = receiver.handle

        def stamp(where: str, headers: dict[str, str], body: bytes) -> int:
            status = original(where, headers, body)
            if where == path:
                arrivals.setdefault(json.loads(body)["data"]["id"], time.time())
            return status

        receiver.handle = stamp  # type: ignore[method-assign]
        conn.send(receiver.base_url + path)
        receiver.verify_with(path, conn.recv())
        while conn.recv() == "report":
            conn.send((dict(arrivals), [r.verified for r in receiver.at(path)]))


def crisis_under_backlog(
    client: httpx.Client,
    key: str,
    db_url: str,
    texts: list[str],
    crisis_texts: list[str],
    backlog: int,
    crises: int,
) -> dict[str, Any]:
    community = "bench-crisis"
    processes = multiprocessing.get_context("spawn")
    conn, child_conn = processes.Pipe()
    receiver = processes.Process(target=_receive, args=(child_conn,), daemon=True)
    receiver.start()
    made = client.post("/v1/webhooks", json={"url": conn.recv(), "event_types": ["escalation.created"]}).json()
    conn.send(made["secret"])

    def report() -> tuple[dict[str, float], list[bool]]:
        conn.send("report")
        arrivals, verified = conn.recv()
        return arrivals, verified

    queue = redis.Redis.from_url(REDIS_URL)
    base = str(client.base_url)
    feeder = processes.Process(target=_feed, args=(base, key, community, texts, backlog), daemon=True)
    feeder.start()
    wait_until(lambda: queue.llen(QUEUE_PREFIX[0] + "default") > 20, timeout=60, interval=0.05)
    sent: dict[str, float] = {}
    depths = []
    for i in range(crises):
        depths.append(queue.llen(QUEUE_PREFIX[0] + "default"))
        at = time.time()
        accepted = client.post("/v1/posts", json=post(community, crisis_texts[i % len(crisis_texts)])).json()
        assert accepted["queue"] == "crisis", accepted
        sent[accepted["id"]] = at
        time.sleep(0.5)
    wait_until(lambda: all(i in report()[0] for i in sent), timeout=120, interval=0.1)
    backlog_left = queue.llen(QUEUE_PREFIX[0] + "default")
    arrivals, verified = report()
    conn.send("stop")
    feeder.join()
    receiver.join(timeout=10)
    decided = decision_times(db_url, ids=list(sent))
    return {
        "backlog_posts": backlog,
        "default_queue_depth_when_sent": f"{min(depths)}-{max(depths)} tasks of 100 posts",
        "default_queue_depth_after_last_delivery": backlog_left,
        "all_signatures_verified": all(verified) and len(verified) >= len(sent),
        "webhook": percentiles([arrivals[i] - sent[i] for i in sent]),
        "ingest_to_decision_of_the_crisis_posts": percentiles([at - received for received, at in decided.values()]),
        # From the decision (stamped before it is stored) to the webhook's arrival: storing it,
        # queueing the platform's actions, signing and sending.
        "decision_to_webhook": percentiles([arrivals[i] - decided[i][1] for i in sent]),
        # From the request to the API's stamp of acceptance.
        "request_to_accepted": percentiles([decided[i][0] - sent[i] for i in sent]),
        # Each crisis post in the order sent, ms after its request: accepted, decided, webhook
        # arrived; a slow start tells apart from a slow moment.
        "each_in_order_ms": [
            [round((t - sent[i]) * 1000, 1) for t in (decided[i][0], decided[i][1], arrivals[i])] for i in sent
        ],
    }


def run_all(
    args: argparse.Namespace,
    base: str,
    secret: str,
    keys: dict[str, str],
    db_url: str,
    texts: tuple[list[str], list[str], list[str]],
    results: dict[str, Any],
) -> None:
    ordinary, calm, crisis = texts
    if "throughput" in args.only:
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {secret}"}, timeout=60) as client:
            results["throughput"] = throughput(client, db_url, ordinary, args.posts)
            print(json.dumps(results["throughput"]), file=sys.stderr)
    if "latency" in args.only:
        with httpx.Client(
            base_url=base, headers={"authorization": f"Bearer {keys['bench-latency']}"}, timeout=60
        ) as client:
            results["ingest_to_decision"] = steady_latency(
                client, db_url, ordinary, args.rate, args.seconds, args.warm_up
            )
            print(json.dumps(results["ingest_to_decision"]), file=sys.stderr)
    if "crisis" in args.only:
        with httpx.Client(
            base_url=base, headers={"authorization": f"Bearer {keys['bench-crisis']}"}, timeout=60
        ) as client:
            results["crisis_to_webhook"] = crisis_under_backlog(
                client, keys["bench-crisis"], db_url, calm, crisis, args.backlog, args.crises
            )


def gc_log_path() -> str:
    """PYTHONPATH with bench/gc_log first, so that every process started loads its hook."""
    hook = str(Path(__file__).resolve().parent / "gc_log")
    return os.pathsep.join(p for p in (hook, os.environ.get("PYTHONPATH")) if p)


def gc_passes(folder: Path, start: float, end: float) -> dict[str, dict[str, Any]]:
    """Each process's full collector passes between `start` and `end` (wall clock): how many,
    and how long they held it (ms), by the command that started the process."""
    found: dict[str, dict[str, Any]] = {}
    for log in sorted(folder.glob("*.log")):
        command, *lines = log.read_text().splitlines()
        pauses = [float(ms) for at, ms in (line.split() for line in lines) if start <= float(at) <= end]
        found[f"{log.stem} {command}"] = {
            "passes": len(pauses), "max_ms": max(pauses, default=0.0), "total_ms": round(sum(pauses), 1)
        }  # fmt: skip
    return found


def calm_texts(texts: list[str], policies: Path) -> list[str]:
    """The texts the API does not triage as crisis-prone: they travel in grouped tasks of the
    default queue, as ordinary support-group traffic does."""
    policy_set = load_policy_set(policies)
    return [
        t
        for t in texts
        if not policy_set.is_crisis_prone(
            Post(platform="bench", community="c", external_id="1", author=Author(id="a"), body=t)
        )
    ]


def archived(commit: str, *paths: str) -> Path:
    """A scratch folder holding `paths` of the tree as `commit` has them."""
    folder = Path(tempfile.mkdtemp(prefix="haven-bench-"))
    archive = subprocess.run(["git", "archive", commit, *paths], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def committed_policies() -> Path:
    """The default pack as committed (HEAD), not as someone is editing it right now."""
    return archived("HEAD", "policies") / "policies"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20_000, help="posts in the throughput run")
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker process (prefork: processes)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (haven worker --processes)")
    parser.add_argument("--crisis-processes", type=int, default=1, help="crisis-only worker processes")
    parser.add_argument("--group-ms", type=float, default=None, help="HAVEN_INGEST_GROUP_MS")
    parser.add_argument("--pool", default="threads", help="worker pool: threads or prefork")
    parser.add_argument("--rate", type=int, default=100, help="posts/s of the latency run")
    parser.add_argument("--seconds", type=int, default=30, help="length of the latency run")
    parser.add_argument("--warm-up", type=int, default=300, help="posts sent before the latency run, reported apart")
    parser.add_argument("--backlog", type=int, default=40_000, help="ordinary posts behind the crises")
    parser.add_argument("--crises", type=int, default=20, help="crisis posts sent during the backlog")
    parser.add_argument("--only", nargs="*", choices=PHASES, default=list(PHASES), help="phases to run")
    parser.add_argument("--gc-log", action="store_true", help="report each process's full garbage-collector passes")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    ordinary, crisis = corpus_texts()
    policies = committed_policies()
    calm = calm_texts(ordinary, policies)
    results["corpus"] = {
        "ordinary_texts": len(ordinary),
        "crisis_texts": len(crisis),
        "ordinary_texts_triaged_crisis_prone": f"{1 - len(calm) / len(ordinary):.0%}",
    }
    prefix = new_key_prefix()
    QUEUE_PREFIX[0] = prefix
    with postgres_database("haven_bench") as db_url:
        store = SqlStore.from_url(db_url.replace("postgresql://", "postgresql+psycopg://"))
        upgrade(store.engine)
        secret, _ = store.create_api_key("bench-throughput", ["admin"])
        keys = {c: store.create_api_key(c, ["admin"])[0] for c in ("bench-latency", "bench-crisis")}
        store.dispose()
        logs = Path(tempfile.mkdtemp(prefix="haven-bench-"))
        gc_folder = logs / "gc"
        gc_log = {"HAVEN_BENCH_GC_LOG": str(gc_folder), "PYTHONPATH": gc_log_path()} if args.gc_log else {}
        gc_folder.mkdir()
        env = haven_env(
            **gc_log,
            HAVEN_REDIS_URL=REDIS_URL,
            HAVEN_REDIS_KEY_PREFIX=prefix,
            HAVEN_DATABASE_URL=db_url,
            HAVEN_POLICY_DIR=str(policies),
            HAVEN_WORKER_HEARTBEAT_FILE=str(logs / "alive"),
            **({"HAVEN_INGEST_GROUP_MS": str(args.group_ms)} if args.group_ms is not None else {}),
        )
        worker = start_worker(
            env,
            logs / "worker.log",
            *("--processes", str(args.processes), "--crisis-processes", str(args.crisis_processes)),
            *("--concurrency", str(args.concurrency), "--pool", args.pool),
        )
        try:
            api, base = start_api(env, logs / "api.log")
            try:
                sending = time.time()
                run_all(args, base, secret, keys, db_url, (ordinary, calm, crisis), results)
                if args.gc_log:
                    results["gc_full_passes"] = gc_passes(gc_folder, sending, time.time())
            finally:
                api.stop()
        finally:
            worker.stop()
            delete_keys(REDIS_URL, prefix)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
    results["setup"] = {
        "worker_processes": args.processes,
        "worker_crisis_processes": args.crisis_processes,
        "worker_concurrency": args.concurrency,
        "worker_pool": args.pool,
        "cpus": os.cpu_count(),
        "policy_pack": f"policies/ at {head.stdout.strip()}",
    }
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
