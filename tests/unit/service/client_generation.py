"""Generates a Python client from the OpenAPI document Haven serves, with openapi-python-client.

The test suite generates one and checks it against the copy shipped in docs/client/; after an
API change, regenerate that copy with:

    .venv/bin/python -m tests.unit.service.client_generation
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "docs" / "client" / "haven_client"
PACKAGE = "haven_client"
_BIN = Path(sys.executable).parent


def generate(document: dict[str, Any], out: Path) -> Path:
    """Writes the package `haven_client` into `out` (which must not exist) and returns its folder.

    Run in a folder of its own, outside the checkout, so that the generator's ruff hooks use
    ruff's defaults rather than this project's rules."""
    with tempfile.TemporaryDirectory() as work:
        spec = Path(work) / "openapi.json"
        spec.write_text(json.dumps(document))
        config = Path(work) / "config.json"
        config.write_text(
            json.dumps(
                {
                    "package_name_override": PACKAGE,
                    "project_name_override": "haven-client",
                    # A policy document is YAML: the client sends and receives it as bytes.
                    "content_type_overrides": {"application/yaml": "application/octet-stream"},
                    "post_hooks": [
                        f"{_BIN / 'ruff'} check . --fix-only --quiet --no-cache",
                        f"{_BIN / 'ruff'} format --quiet --no-cache .",
                    ],
                }
            )
        )
        target = Path(work) / PACKAGE
        subprocess.run(
            [
                str(_BIN / "openapi-python-client"),
                "generate",
                f"--path={spec}",
                "--meta=none",
                f"--config={config}",
                f"--output-path={target}",
                "--fail-on-warning",
            ],
            check=True,
            cwd=work,
            capture_output=True,
        )
        shutil.copytree(target, out, ignore=shutil.ignore_patterns(".ruff_cache", "__pycache__"))
    return out


def served_document() -> dict[str, Any]:
    """The document an embedded Haven with no plugin on serves at /schema/openapi.json."""
    from haven.app import create_app
    from haven.config import Settings
    from haven.services import build_services
    from litestar.testing import TestClient

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env({"HAVEN_EMBEDDED_DB_PATH": str(Path(folder) / "haven.db")})
        services = build_services(settings)
        try:
            with TestClient(create_app(settings, services)) as client:
                document: dict[str, Any] = client.get("/schema/openapi.json").json()
        finally:
            services.store.dispose()
    return document


if __name__ == "__main__":
    shutil.rmtree(SHIPPED, ignore_errors=True)
    generate(served_document(), SHIPPED)
    print(f"wrote {SHIPPED.relative_to(ROOT)}")
