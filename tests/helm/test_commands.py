"""Every command the chart runs is one the `haven` CLI accepts.

The image's entry point is `haven`, so a container's args are a `haven` command line;
probes call `haven` itself. Each is parsed by the CLI's own parser.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.cli.main import build_parser

CASES_WITH_EVERY_COMMAND = ("defaults", "everything-on", "minimal")


def command_lines(rendered: dict[str, Any], case: str) -> list[tuple[str, list[str]]]:
    lines = []
    for obj in rendered[case]["objects"]:
        if obj["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        for container in obj["spec"]["template"]["spec"]["containers"]:
            if not container["image"].startswith("haven"):
                continue  # the bundled stores
            where = f"{obj['kind']}/{obj['metadata']['name']}"
            lines.append((where, list(container["args"])))
            probe = container.get("livenessProbe", {}).get("exec", {}).get("command")
            if probe:
                assert probe[0] == "haven"
                lines.append((f"{where} liveness", probe[1:]))
    return lines


@pytest.mark.parametrize("case", CASES_WITH_EVERY_COMMAND)
def test_the_cli_accepts_every_command_the_chart_runs(rendered: dict[str, Any], case: str) -> None:
    parser = build_parser()
    seen = set()
    for where, argv in command_lines(rendered, case):
        try:
            args = parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"{where}: `haven {' '.join(argv)}` is refused by the CLI")
        assert callable(args.handler), where
        seen.add(argv[0])
    if case == "defaults":
        assert seen == {"serve", "worker", "scheduler", "migrate", "health"}


def test_worker_queues_are_queues_the_service_knows(rendered: dict[str, Any]) -> None:
    from service.queues import QUEUES

    for _, argv in command_lines(rendered, "defaults"):
        if argv[0] == "worker":
            queues = argv[argv.index("--queues") + 1].split(",")
            assert set(queues) <= set(QUEUES)
