"""The chart and the service agree: every command the chart runs is one the `haven` CLI
accepts, and every setting it gives is one the service reads and accepts.

The image's entry point is `haven`, so a container's args are a `haven` command line;
probes call `haven` itself. Each is parsed by the CLI's own parser, and each container's
environment by the service's own settings loader.
"""

from __future__ import annotations

from typing import Any

import pytest
from haven.cli.main import build_parser

CASES_WITH_EVERY_COMMAND = ("defaults", "everything-on", "minimal")
# Read by the plugins, not by haven.config.
PLUGIN_PREFIXES = ("HAVEN_SLACK_", "HAVEN_DISCOURSE_", "HAVEN_REDDIT_")


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
    from haven.queues import QUEUES

    for _, argv in command_lines(rendered, "defaults"):
        if argv[0] == "worker":
            queues = argv[argv.index("--queues") + 1].split(",")
            assert set(queues) <= set(QUEUES)


def container_environment(rendered: dict[str, Any], case: str, deployment: str) -> dict[str, str]:
    """The plain environment a Haven container gets: its ConfigMaps and the chart's Secret
    through envFrom, then its literal env (Secrets the operator manages stay unresolved)."""
    import base64

    objects = {(o["kind"], o["metadata"]["name"]): o for o in rendered[case]["objects"]}
    (container,) = objects[("Deployment", deployment)]["spec"]["template"]["spec"]["containers"]
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(objects[("ConfigMap", source["configMapRef"]["name"])]["data"])
        elif ("Secret", source["secretRef"]["name"]) in objects:
            data = objects[("Secret", source["secretRef"]["name"])]["data"]
            env.update({k: base64.b64decode(v).decode() for k, v in data.items()})
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    return env


@pytest.mark.parametrize("case", ["defaults", "everything-on", "existing-policies"])
def test_the_service_accepts_the_settings_the_chart_gives(rendered: dict[str, Any], case: str, tmp_path: Any) -> None:
    from haven.config import Settings, documented_variables

    known = {name for name, _, _ in documented_variables()}
    for deployment in ("rel-haven-api", "rel-haven-worker-crisis", "rel-haven-scheduler"):
        env = container_environment(rendered, case, deployment)
        settings = {k: v for k, v in env.items() if k.startswith("HAVEN_")}
        plugin_credentials = {k for k in settings if k.startswith(PLUGIN_PREFIXES)}
        unknown = set(settings) - known - plugin_credentials
        assert unknown == set(), f"{deployment}: settings the service does not read: {unknown}"
        # The policy folder is a mount in the pod; here any folder will do.
        if "HAVEN_POLICY_DIR" in settings:
            settings["HAVEN_POLICY_DIR"] = str(tmp_path)
        parsed = Settings.from_env(settings)
        assert parsed.server.port == 8000
        assert parsed.worker.metrics_port == 9101
        assert not parsed.embedded, "the chart always runs the full mode (Redis and PostgreSQL)"
        assert parsed.database.url is not None
