"""What a platform operator gets from pip: the wheels of Haven and its three adapters, built
from the image's build context, installed into a fresh virtual environment outside the
checkout, run there embedded with nothing else. The default policy pack comes from the
installed package data; the first post ("I want to end my life tonight") is escalated;
`haven keys create` and `haven serve`, started from two different folders, share the
per-user database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from haven.console import ASSETS

from tests.helm.test_image import REPO, build_context
from tests.integration.harness import start_api, wait_until
from tests.packaging.environments import fresh_venv, full_install

pytestmark = pytest.mark.integration

DISTRIBUTIONS = ("haven", "haven_slack", "haven_discourse", "haven_reddit")
ADAPTERS = ("plugins/slack", "plugins/discourse", "plugins/reddit")


def run(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_wheels_install_into_an_empty_environment_and_escalate_a_first_post(tmp_path: Path) -> None:
    context = tmp_path / "context"
    build_context(context)
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(wheels), ".", *ADAPTERS], cwd=context)  # fmt: skip
    built = sorted(wheels.glob("*.whl"))
    assert sorted(w.name.split("-")[0] for w in built) == sorted(DISTRIBUTIONS)
    with zipfile.ZipFile(next(w for w in built if w.name.startswith("haven-"))) as archive:
        names = archive.namelist()
        assert not [n for n in names if n.split("/")[0] in ("service", "plugins", "policies", "tests")]
        # The console's pages are package data: an installed Haven serves them with no checkout.
        assert {f"haven/console/static/{name}" for name in ASSETS} <= set(names)
        # The scan's compiled loops are built into the wheel (this machine has a compiler).
        assert [n for n in names if n.startswith("haven/policy/_scan_core.") and n.endswith(".so")], names

    operator = tmp_path / "operator"  # no checkout anywhere near
    python = fresh_venv(operator / "venv", tmp_path / "dependencies")
    if full_install():  # as docs/operations.md tells an operator: the locked versions from the index
        lock = context / "requirements" / "service.lock"
        run([str(python), "-m", "pip", "install", "--quiet", "--require-hashes", "-r", str(lock)])
    # Then the wheels by file, nothing else (the dependencies are there, or linked in).
    run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", *map(str, built)])
    run([str(python), "-m", "pip", "check"])  # every declared dependency is there
    haven = str(operator / "venv" / "bin" / "haven")
    home = operator / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAVEN_", "XDG_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), HAVEN_LOG_LEVEL="INFO")
    here, there = operator / "here", operator / "there"
    here.mkdir()
    there.mkdir()

    located = run([str(python), "-c", "import haven, haven_reddit; print(haven.__file__, haven_reddit.__file__)"])
    assert all(str(operator / "venv") in path for path in located.stdout.split()), located.stdout
    key = run([haven, "keys", "create", "my-community", "--scope", "ingest", "--scope", "read"], cwd=here, env=env)
    database = home / ".local" / "share" / "haven" / "haven.db"
    assert str(database) in key.stderr
    secret = key.stdout.strip()

    api, base = start_api(env, tmp_path / "api.log", executable=haven, cwd=there)
    try:
        logs = api.logs()
        assert f"running embedded: SQLite database {database}" in logs
        started = next(json.loads(line) for line in logs.splitlines() if '"haven.starting"' in line)
        assert Path(started["policy_dir"]).is_relative_to(operator / "venv"), started  # package data
        assert started["compiled_scan"] is True, started  # the wheel's extension loads outside the checkout
        headers = {"authorization": f"Bearer {secret}"}
        post = {
            "platform": "api",
            "community": "my-community",
            "external_id": "1",
            "author": {"id": "u1"},
            "body": "I want to end my life tonight",
        }
        accepted = httpx.post(f"{base}/v1/posts", json=post, headers=headers, timeout=10)
        assert accepted.status_code == 202, accepted.text
        decision_id = accepted.json()["id"]

        def decided() -> dict[str, object] | None:
            found: dict[str, object] = httpx.get(
                f"{base}/v1/decisions/{decision_id}", headers=headers, timeout=10
            ).json()
            return found if found.get("status") == "decided" else None

        decision = wait_until(decided, timeout=30)["decision"]
        assert decision["verdict"] == "escalate"
        assert any(match["category"].startswith("crisis") for match in decision["matches"]), decision
        for name in ASSETS:
            served = httpx.get(f"{base}/console/{name}", timeout=10)
            assert served.status_code == 200, name
            assert served.content == (REPO / "service" / "haven" / "console" / "static" / name).read_bytes()
    finally:
        api.stop()
    assert not list(here.iterdir()) and not list(there.iterdir())  # nothing written where it was started
