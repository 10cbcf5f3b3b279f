"""An embedded Haven app in-process (SQLite in a temporary folder, no Redis)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from haven.app import create_app
from haven.config import Settings
from haven.services import Services, build_services
from haven.webhooks.delivery import AttemptResult
from litestar.testing import TestClient

from tests.integration.harness import WebhookReceiver, webhook_receiver
from tests.unit.service.moderators import TEST_POLICIES, Running, loop_settings


@pytest.fixture
def embedded_settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "HAVEN_EMBEDDED_DB_PATH": str(tmp_path / "haven.db"),
            "HAVEN_POLICY_DIR": str(TEST_POLICIES),
            "HAVEN_MAX_BODY_BYTES": "65536",
            "HAVEN_MAX_TEXT_CHARS": "1000",
        }
    )


@pytest.fixture
def services(embedded_settings: Settings) -> Iterator[Services]:
    built = build_services(embedded_settings)
    yield built
    built.store.dispose()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(create_app(services.settings, services)) as running:
        yield running


@pytest.fixture
def key(services: Services) -> str:
    secret, _ = services.store.create_api_key("group", ["ingest", "read"])
    return secret


@pytest.fixture
def auth(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def failing_first(times: int, then: Callable[..., Any], calls: list[Any]) -> Callable[..., Any]:
    """`then`, except that the first `times` calls raise (the database away, an engine bug);
    every call's arguments are appended to `calls`."""

    def call(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) <= times:
            raise OSError("failing on purpose")
        return then(*args, **kwargs)

    return call


def attempt_failing_once(calls: list[str]) -> Callable[..., AttemptResult]:
    """A stand-in for `attempt_delivery` that raises once (database away), then delivers."""

    def attempt(store: Any, http: Any, delivery_id: str, **_: Any) -> AttemptResult:
        calls.append(delivery_id)
        if len(calls) == 1:
            raise OSError("database away")
        return AttemptResult("delivered", 1)

    return attempt


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    started: list[tuple[TestClient, Services]] = []  # type: ignore[type-arg]

    def run(secret: str | None = None, **overrides: str) -> Running:
        settings = loop_settings(tmp_path, **overrides)
        services = build_services(settings)
        if secret is None:
            secret, _ = services.store.create_api_key("g", ["admin"])
        client = TestClient(create_app(settings, services))
        client.__enter__()
        started.append((client, services))
        return Running(client, services, secret)

    yield run
    for client, services in started:
        client.__exit__(None, None, None)
        services.store.dispose()
