"""The container image: Dockerfile and .dockerignore, checked without a Docker engine.

No engine runs here, so the build context is assembled the way Docker would (the
.dockerignore rules applied to the repository), the Dockerfile's instructions are read
and checked against it and against the chart, and the wheel its build stage makes is
built from that context with pip, as the build stage does.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.helm.conftest import CHART
from tests.helm.toolchain import REPO

DOCKERFILE = REPO / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def ignore_rules() -> list[tuple[bool, str]]:
    rules = []
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            rules.append((negated, line.lstrip("!").rstrip("/")))
    return rules


def _matches(pattern: str, path: str) -> bool:
    """Docker's rule: a pattern matches a path or any folder above it."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    if pattern.startswith("**/"):
        tail = pattern[3:]
        return any(fnmatch.fnmatchcase(part, tail) for part in parts)
    return any(fnmatch.fnmatchcase(c, pattern) and c.count("/") == pattern.count("/") for c in candidates)


def in_context(path: str, rules: list[tuple[bool, str]]) -> bool:
    included = True
    for negated, pattern in rules:
        if _matches(pattern, path):
            included = negated
    return included


def build_context(dest: Path) -> list[str]:
    rules = ignore_rules()
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    kept = sorted(p for p in tracked if (REPO / p).is_file() and in_context(p, rules))
    for path in kept:
        (dest / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, dest / path)
    return kept


def test_ignore_rules_behave_like_docker() -> None:
    rules = [(False, "*"), (True, "service"), (False, "**/__pycache__")]
    assert in_context("service/app.py", rules)
    assert not in_context("service/__pycache__/app.pyc", rules)
    assert not in_context("tests/helm/test_image.py", rules)
    assert not in_context(".venv/bin/python", rules)


def test_context_holds_only_what_the_image_needs(tmp_path: Path) -> None:
    kept = build_context(tmp_path)
    assert {p.split("/")[0] for p in kept} == {
        "pyproject.toml",
        "setup.py",
        "README.md",
        "LICENSE",
        "requirements",
        "service",
        "plugins",
        "policies",
    }
    assert "requirements/service.lock" in kept
    assert not [p for p in kept if "__pycache__" in p or p.endswith(".pyc")]
    assert "service/haven/cli/main.py" in kept


def test_every_copy_source_is_in_the_context() -> None:
    rules = ignore_rules()
    for word, args in instructions():
        if word != "COPY" or "--from" in args:
            continue
        sources = [a for a in args.split() if not a.startswith("--")][:-1]
        for source in sources:
            assert (REPO / source).exists(), source
            assert in_context(source, rules), f"COPY {source}: excluded by .dockerignore"


def test_dockerfile_is_multi_stage_slim_and_non_root() -> None:
    steps = instructions()
    args = dict(a.split("=", 1) for w, a in steps if w == "ARG" and "=" in a)
    froms = [a for w, a in steps if w == "FROM"]
    assert len(froms) >= 2, "multi-stage"
    for line in froms:
        image = line.split()[0]
        image = args.get(image.strip("${}"), image)
        # An exact release (python:3.11.N-slim-<debian>), never a moving tag.
        assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image), image
    final_stage = max(i for i, (w, _) in enumerate(steps) if w == "FROM")
    users = [a for w, a in steps[final_stage:] if w == "USER"]
    assert users, "the final stage sets USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) > 0, "a numeric, non-root USER (runAsNonRoot can check it)"
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["podSecurityContext"]["runAsUser"] == int(uid)
    assert ("ENTRYPOINT", '["haven"]') in steps
    assert not [a for w, a in steps[final_stage:] if w == "RUN" and "build-essential" in a]


def test_image_environment_fits_a_read_only_root() -> None:
    env: dict[str, str] = {}
    for word, args in instructions():
        if word == "ENV":
            env.update(re.findall(r"(\w+)=(\S+)", args))
    assert env["HOME"] == "/tmp"
    assert env["TMPDIR"] == "/tmp"
    assert env["HAVEN_WORKER_HEARTBEAT_FILE"].startswith("/tmp/")
    # The default pack is package data inside the wheel, so nothing sets HAVEN_POLICY_DIR.
    assert "HAVEN_POLICY_DIR" not in env
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    exposed = {int(p) for w, a in instructions() if w == "EXPOSE" for p in a.split()}
    assert exposed == {values["api"]["port"], values["worker"]["metricsPort"]}


def test_the_build_stage_wheel_carries_the_app(tmp_path: Path) -> None:
    context = tmp_path / "context"
    build_context(context)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
            "-w",
            str(tmp_path / "wheels"),
            str(context),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"pip wheel failed:\n{done.stderr[-3000:]}")
    (wheel,) = (tmp_path / "wheels").glob("haven-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert "haven = haven.cli.main:main" in entry_points
    assert "haven/store/migrations/env.py" in names
    assert "haven/store/migrations/script.py.mako" in names
    assert any(n.startswith("haven/store/migrations/versions/") for n in names)
    assert "haven/cli/main.py" in names
    assert "haven/pack/crisis.yaml" in names
    assert "haven/pack/templates/crisis-resources.md" in names
    assert "haven/pack/resources/crisis-lines.yaml" in names
    assert not [n for n in names if n.startswith(("service/", "plugins/"))]


def test_image_version_label_follows_the_project_and_chart() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    args = dict(a.split("=", 1) for w, a in instructions() if w == "ARG" and "=" in a)
    assert args["HAVEN_VERSION"] == project == chart["appVersion"]


def test_chart_says_where_the_project_lives() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    for key in ("home", "icon"):
        assert chart[key].startswith("https://"), key
    assert chart["sources"] and all(s.startswith("https://") for s in chart["sources"])
    assert chart["maintainers"] and all(m["name"] and (m.get("email") or m.get("url")) for m in chart["maintainers"])
