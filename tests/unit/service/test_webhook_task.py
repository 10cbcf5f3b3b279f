"""The Celery webhook task: a failure of Haven's own (database away) is retried, not dropped."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from haven import tasks
from haven.config import Settings

from tests.unit.service.conftest import attempt_failing_once


def test_a_delivery_whose_attempt_raises_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings.from_env(
        {
            "HAVEN_REDIS_URL": "redis://127.0.0.1:1/0",
            "HAVEN_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
            "HAVEN_WORKER_HEARTBEAT_FILE": str(tmp_path / "alive"),
        }
    )
    app = tasks.create_celery_app(settings)
    monkeypatch.setattr(tasks, "runtime", lambda: SimpleNamespace(settings=settings, store=None, http=None))
    calls: list[str] = []

    monkeypatch.setattr(tasks, "attempt_delivery", attempt_failing_once(calls))
    # Eager: a retry runs again at once, in this thread.
    result = app.tasks[tasks.DELIVER_WEBHOOK].apply(args=["msg_1"])
    assert result.successful(), result.traceback
    assert calls == ["msg_1", "msg_1"]
