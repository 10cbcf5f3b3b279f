"""`haven plugins reddit ...` commands: the long-running poller and a cursor view."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from haven_reddit.plugin import RedditPlugin


def register(plugin: RedditPlugin, commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    poll = commands.add_parser(
        "poll", help="poll the configured subreddits, hand new items to Haven, act on moderators' modmail commands"
    )
    poll.add_argument("--once", action="store_true", help="one pass over every subreddit, then exit")
    poll.set_defaults(handler=lambda args: run_poll(plugin, once=args.once))

    cursors = commands.add_parser("cursors", help="show where each subreddit's poller stands")
    cursors.set_defaults(handler=lambda args: show_cursors(plugin))


def run_poll(plugin: RedditPlugin, *, once: bool, max_passes: int | None = None) -> int:
    passes = 0
    try:
        while True:
            report = plugin.poller.poll_once()
            commands = plugin.commands.poll_once()
            passes += 1
            errors = report.errors + commands.errors
            summary = {
                "requests": report.requests + commands.requests,
                "fetched": report.fetched,
                "ingested": report.ingested,
                "skipped": report.skipped,
                "catch_ups": report.catch_ups,
                "commands": commands.handled,
                "refused": commands.refused,
                "errors": errors,
            }
            print(json.dumps(summary), file=sys.stderr if errors else sys.stdout, flush=True)
            if once:
                return 1 if errors else 0
            if max_passes is not None and passes >= max_passes:
                return 0
            plugin.sleep(plugin.settings.poll_interval)
    except KeyboardInterrupt:
        return 0


def show_cursors(plugin: RedditPlugin) -> int:
    for stream in plugin.poller.streams:
        cursor = plugin.poller.cursor(stream) if stream.cursor else None
        where = cursor[0] if cursor else ("(no cursor yet)" if stream.cursor else "(no cursor: seen marks)")
        print(f"r/{stream.subreddit} {stream.name}: {where}")
    return 0
