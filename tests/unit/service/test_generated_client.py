"""A real generator (openapi-python-client) makes a working client from the served document,
and it is the one shipped in docs/client/."""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.unit.service.client_generation import PACKAGE, SHIPPED, generate
from tests.unit.service.test_bad_input import a_post


@pytest.fixture
def generated(client: TestClient, tmp_path: Path) -> Path:  # type: ignore[type-arg]
    return generate(client.get("/schema/openapi.json").json(), tmp_path / "src" / PACKAGE)


@pytest.fixture
def haven_client(generated: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.syspath_prepend(str(generated.parent))
    yield importlib.import_module(PACKAGE)
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def shape(folder: Path) -> dict[str, str]:
    """Each module's syntax tree: the same code whatever ruff version laid it out."""
    return {str(p.relative_to(folder)): ast.dump(ast.parse(p.read_text())) for p in sorted(folder.rglob("*.py"))}


def test_the_shipped_client_is_what_the_generator_makes_today(generated: Path) -> None:
    # On failure: regenerate with `.venv/bin/python -m tests.unit.service.client_generation`.
    assert shape(generated) == shape(SHIPPED)


def test_the_generated_client_submits_and_reads_a_decision(
    haven_client: ModuleType,
    client: TestClient,  # type: ignore[type-arg]
    auth: dict[str, str],
) -> None:
    submit_post = importlib.import_module(f"{PACKAGE}.api.posts.submit_post")
    get_decision = importlib.import_module(f"{PACKAGE}.api.decisions.get_decision")
    list_decisions = importlib.import_module(f"{PACKAGE}.api.decisions.list_decisions")
    models = importlib.import_module(f"{PACKAGE}.models")
    api = haven_client.AuthenticatedClient(base_url=str(client.base_url), token="unused")
    client.headers.update(auth)  # the in-process transport stands in for the network
    api.set_httpx_client(client)

    post: Any = models.Post(
        platform="api",
        community="group",
        external_id="gen-1",
        author=models.Author(id="u1"),
        body="I want to end my life tonight",
    )
    accepted = submit_post.sync(client=api, body=post)
    assert isinstance(accepted, models.Accepted)
    assert accepted.status == models.AcceptedStatus.QUEUED
    read = get_decision.sync(accepted.id, client=api)
    assert isinstance(read, models.DecisionResource)
    assert read.id == accepted.id
    listed = list_decisions.sync(client=api)
    assert isinstance(listed, models.DecisionList)

    refused = submit_post.sync(client=api, body=models.Post.from_dict(a_post(body="x" * 1001)))
    assert isinstance(refused, models.ProblemDetails)
    assert refused.status == 422
    assert refused.pointer == "/body"
