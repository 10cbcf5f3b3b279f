"""The console's files as Haven serves them: public, strict Content-Security-Policy on every
answer (errors too), nothing inline that the policy would have to allow, no HTML parsing of
strings in the scripts. The browser test (tests/integration/test_console_browser.py) drives it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib.resources import files

import pytest
from haven.console import ASSETS, SECURITY_HEADERS
from litestar.testing import TestClient

STRICT_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
STATIC = files("haven.console") / "static"


def assert_locked_down(headers: dict[str, str] | object) -> None:
    assert headers["content-security-policy"] == STRICT_POLICY  # type: ignore[index]
    assert headers["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert headers["referrer-policy"] == "no-referrer"  # type: ignore[index]


@pytest.mark.parametrize("path", ["/console", "/console/"])
def test_the_console_page_is_served_without_a_key_under_a_strict_policy(client: TestClient, path: str) -> None:  # type: ignore[type-arg]
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>Haven console</title>" in page.text
    assert_locked_down(page.headers)


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_every_asset_is_served_with_its_type_and_the_policy(client: TestClient, name: str) -> None:  # type: ignore[type-arg]
    answer = client.get(f"/console/{name}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == ASSETS[name]
    assert answer.content == (STATIC / name).read_bytes()
    assert_locked_down(answer.headers)


def test_errors_under_the_console_carry_the_policy_too(client: TestClient) -> None:  # type: ignore[type-arg]
    missing = client.get("/console/secrets.txt")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert_locked_down(missing.headers)
    refused = client.post("/console/", content=b"x")
    assert refused.status_code == 405
    assert_locked_down(refused.headers)
    # The API's own answers are not the console's: they keep theirs.
    assert "content-security-policy" not in client.get("/healthz").headers


def test_every_file_in_the_folder_is_listed_and_the_list_holds_no_path(client: TestClient) -> None:  # type: ignore[type-arg]
    shipped = {entry.name for entry in STATIC.iterdir()}
    assert shipped == set(ASSETS)
    assert client.get("/console/..%2Fapp.py").status_code == 404
    assert client.get("/console/%2E%2E/__init__.py").status_code == 404


class _Inline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style" or "style" in names or any(name.startswith("on") for name in names):
            self.found.append(tag)
        if tag == "script" and "src" not in names:
            self.found.append("inline script")
        for name, value in attrs:
            if name in ("src", "href") and value and re.match(r"^(https?:)?//", value):
                self.found.append(f"{tag} from elsewhere: {value}")


def test_the_page_has_nothing_inline_and_loads_nothing_from_elsewhere() -> None:
    parser = _Inline()
    parser.feed((STATIC / "index.html").read_text())
    assert parser.found == []


@pytest.mark.parametrize("name", [n for n in sorted(ASSETS) if n.endswith(".js")])
def test_scripts_never_parse_strings_as_html_nor_call_elsewhere(name: str) -> None:
    source = (STATIC / name).read_text()
    for sink in (".innerHTML", ".outerHTML", ".insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, f"{name} uses {sink}"
    assert not re.search(r"""fetch\(\s*["'`]https?:""", source)
    assert "localStorage" not in source  # the key lives in sessionStorage only


def test_the_policy_has_every_directive_the_console_relies_on() -> None:
    assert SECURITY_HEADERS["content-security-policy"] == STRICT_POLICY
