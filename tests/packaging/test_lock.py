"""The lock files: every dependency pyproject.toml declares is pinned there, at a version
its specifier allows, with hashes; dev.lock pins everything service.lock does the same way."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def pins(lock: str) -> dict[str, str]:
    text = (REPO / "requirements" / lock).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    found = {}
    for entry in entries:
        match = PIN.match(entry)
        if match:
            assert "--hash=sha256:" in entry, f"{lock}: {match.group(1)} has no hash"
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = list(project["dependencies"]) + [r for extra in extras for r in project["optional-dependencies"][extra]]
    build = tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]["requires"]
    return [Requirement(r) for r in names + build]


def test_every_declared_dependency_is_locked_at_an_allowed_version() -> None:
    for lock, extras in (("service.lock", ()), ("dev.lock", ("dev",))):
        locked = pins(lock)
        for requirement in declared(*extras):
            name = canonicalize_name(requirement.name)
            assert name in locked, f"{lock} lacks {name}: rerun the compile command in docs/dependencies.md"
            assert requirement.specifier.contains(locked[name], prereleases=True), (lock, name, locked[name])


def test_adapters_need_nothing_the_lock_lacks() -> None:
    locked = pins("service.lock")
    for project in sorted((REPO / "plugins").glob("*/pyproject.toml")):
        for raw in tomllib.loads(project.read_text())["project"]["dependencies"]:
            requirement = Requirement(raw)
            if requirement.name != "haven":
                assert canonicalize_name(requirement.name) in locked, (project, raw)


def test_dev_lock_agrees_with_service_lock() -> None:
    service, dev = pins("service.lock"), pins("dev.lock")
    assert {name: dev.get(name) for name in service} == service
