"""What an operator sees of the plugins: `haven plugins` lists which are on and why the
others are off (naming a variable, never a value), and `haven scheduler` puts the
plugins' periodic tasks (the Reddit poller) in its beat schedule."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from haven.config import Settings
from haven.plugins.dispatch import PLUGIN_PERIODIC
from haven.queues import DEFAULT_QUEUE
from haven.services import build_services
from haven.tasks import create_celery_app

from tests.integration.harness import HavenProcess, delete_keys, haven_env, new_key_prefix, run_haven, wait_until

pytestmark = pytest.mark.integration

# Values no output may show: each is unique to this run.
RUN = uuid.uuid4().hex[:10]
SLACK = {
    "HAVEN_SLACK_SIGNING_SECRET": f"slack-signing-{RUN}",
    "HAVEN_SLACK_BOT_TOKEN": f"xoxb-{RUN}",
    "HAVEN_SLACK_MODERATOR_CHANNEL": "C0MODS",
    "HAVEN_SLACK_COMMUNITIES": "T0HAVEN=recovery",
    "HAVEN_SLACK_API_BASE_URL": "http://127.0.0.1:9/api",  # never called: the plugins only start
}
REDDIT = {
    "HAVEN_REDDIT_CLIENT_ID": f"reddit-id-{RUN}",
    "HAVEN_REDDIT_CLIENT_SECRET": f"reddit-secret-{RUN}",
    "HAVEN_REDDIT_USERNAME": "recovery_haven",
    "HAVEN_REDDIT_PASSWORD": f"reddit-password-{RUN}",
    "HAVEN_REDDIT_USER_AGENT": "python:org.example.haven:v0.1.0 (by /u/recovery_haven)",
    "HAVEN_REDDIT_SUBREDDITS": "ChronicPain=pain",
    "HAVEN_REDDIT_POLL_INTERVAL": "2",
    "HAVEN_REDDIT_API_URL": "http://127.0.0.1:9",
    "HAVEN_REDDIT_AUTH_URL": "http://127.0.0.1:9",
}


def listed(output: str) -> dict[str, str]:
    """`haven plugins`' table (PLUGIN, VERSION, STATE, WHY OFF) as name -> "on" or "off: why"."""
    header, *lines = output.splitlines()
    assert header.split() == ["PLUGIN", "VERSION", "STATE", "WHY", "OFF"]
    rows = {}
    for line in lines:
        if not line.strip():
            break  # the hint after the table
        name, _version, state, *why = re.split(r"\s{2,}", line.strip(), maxsplit=3)
        rows[name] = f"{state}: {why[0]}" if why else state
    return rows


def test_plugins_lists_on_and_off_with_the_missing_variable_named(tmp_path: Path) -> None:
    without_secret = {k: v for k, v in REDDIT.items() if k != "HAVEN_REDDIT_CLIENT_SECRET"}
    env = haven_env(
        HAVEN_EMBEDDED_DB_PATH=str(tmp_path / "haven.db"),
        HAVEN_DISCOURSE_WEBHOOK_SECRET=f"discourse-secret-{RUN}",
        **SLACK,
        **without_secret,
    )

    shown = run_haven("plugins", env=env)

    assert shown.returncode == 0, shown.stderr
    plugins = listed(shown.stdout)
    assert plugins["slack"] == "on"
    assert plugins["reddit"] == "off: HAVEN_REDDIT_CLIENT_SECRET is not set"
    assert plugins["discourse"].startswith("off: HAVEN_DISCOURSE_")
    assert plugins["discourse"].endswith(" is not set")
    assert RUN not in shown.stdout + shown.stderr  # no secret, token or id, in the list or the logs


def test_a_malformed_setting_is_named_without_its_value(tmp_path: Path) -> None:
    env = haven_env(
        HAVEN_EMBEDDED_DB_PATH=str(tmp_path / "haven.db"),
        **{**SLACK, "HAVEN_SLACK_COMMUNITIES": f"T0HAVEN=recovery,private-space-{RUN}"},
    )

    shown = run_haven("plugins", env=env)

    assert shown.returncode == 0, shown.stderr
    assert listed(shown.stdout)["slack"] == (
        "off: HAVEN_SLACK_COMMUNITIES: entry 2 must read TEAM=community or TEAM/CHANNEL=community"
    )
    assert RUN not in shown.stdout + shown.stderr


def test_scheduler_beat_schedule_has_the_plugins_periodic_tasks(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, redis_key_prefix: str, postgres_url: str
) -> None:
    env = haven_env(
        HAVEN_REDIS_URL=redis_url,
        HAVEN_REDIS_KEY_PREFIX=redis_key_prefix,
        HAVEN_DATABASE_URL=postgres_url,
        **SLACK,
        **REDDIT,
    )
    for name in [k for k in os.environ if k.startswith("HAVEN_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()

    # What `haven scheduler` builds: the services with every installed plugin, then the app.
    services = build_services(settings)
    try:
        assert sorted(services.plugins.active) == ["reddit", "slack"]
        assert services.platform is not None
        schedule = services.platform.schedule()
    finally:
        services.close()
    app = create_celery_app(settings, schedule=schedule)

    assert schedule == {
        "plugin-reddit-poll": {
            "task": PLUGIN_PERIODIC,
            "schedule": 2.0,
            "args": ["reddit", "poll"],
            "options": {"queue": DEFAULT_QUEUE},
        },
        # Moderators' `!haven ...` replies in the alerts' modmail.
        "plugin-reddit-modmail": {
            "task": PLUGIN_PERIODIC,
            "schedule": 2.0,
            "args": ["reddit", "modmail"],
            "options": {"queue": DEFAULT_QUEUE},
        },
    }  # Slack has no periodic task
    beat = app.conf.beat_schedule
    assert beat["plugin-reddit-poll"] == schedule["plugin-reddit-poll"]
    assert "retention-purge" in beat  # the service's own tasks stay


def test_scheduler_sends_the_plugins_periodic_task_when_due(tmp_path: Path, redis_url: str, postgres_url: str) -> None:
    prefix = new_key_prefix()
    heartbeat = tmp_path / "scheduler.alive"
    env = haven_env(
        HAVEN_REDIS_URL=redis_url,
        HAVEN_REDIS_KEY_PREFIX=prefix,
        HAVEN_DATABASE_URL=postgres_url,
        HAVEN_WORKER_HEARTBEAT_FILE=str(heartbeat),
        **REDDIT,
    )
    assert run_haven("health", "scheduler", env=env).returncode == 1  # not started yet
    scheduler = HavenProcess(("scheduler",), env, tmp_path / "scheduler.log").start()
    try:
        wait_until(lambda: "Sending due task plugin-reddit-poll (haven.plugin_periodic)" in scheduler.logs())
        # Its liveness probe: the heartbeat the scheduler keeps fresh while it runs.
        assert run_haven("health", "scheduler", "--max-age", "30", env=env).returncode == 0
    finally:
        scheduler.stop()
        delete_keys(redis_url, prefix)
    assert RUN not in scheduler.logs()


def test_a_plugins_help_lists_its_commands_and_an_off_plugin_says_why(tmp_path: Path) -> None:
    env = haven_env(HAVEN_EMBEDDED_DB_PATH=str(tmp_path / "haven.db"), **REDDIT)
    shown = run_haven("plugins", "reddit", "--help", env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("usage: haven plugins reddit")
    assert "poll" in shown.stdout and "cursors" in shown.stdout
    assert "plugin." not in shown.stderr  # no log lines of the plugins that are off

    off = run_haven("plugins", "reddit", "--help", env=haven_env(HAVEN_EMBEDDED_DB_PATH=str(tmp_path / "haven.db")))
    assert off.returncode == 0, off.stderr
    assert "the plugin is off (HAVEN_REDDIT_CLIENT_ID is not set)" in off.stdout
    assert "HAVEN_REDDIT_*" in off.stdout
