"""The console in a real browser (Debian's chromium, driven by Playwright) against a running
Haven in full mode (`haven serve` and a `haven worker` on Redis and PostgreSQL): sign-in,
the queue crisis first with crisis evidence hidden until opened, claim, acknowledge, overturn,
uphold, the history, the explain box, hostile post text shown as text, the page's policy,
its contrast, and not one request to another origin.

Set HAVEN_TEST_CONSOLE_SCREENSHOT to a path to save a screenshot of the queue there
(scripts/console-screenshot makes docs/console.png with it)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from haven.store.sql import SqlStore
from playwright.sync_api import Browser, Page, Request, Route, expect, sync_playwright

from tests.integration.harness import wait_until
from tests.unit.service.test_console import STRICT_POLICY

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">'
CRISIS = f"{HOSTILE} I am going to end my life tonight"
FLAGGED = "shut up you idiot"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromium for the module; scripts/packages installs it when it is missing."""
    if not CHROMIUM.exists():
        subprocess.run([str(REPO / "scripts" / "packages")], check=True, stdin=subprocess.DEVNULL, timeout=900)
    # Playwright is told where the browser is: it never fetches one of its own.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def submit(base: str, secret: str, external_id: str, body: str, **post: object) -> str:
    headers = {"authorization": f"Bearer {secret}"}
    payload = {"platform": "api", "community": post.pop("community"), "external_id": external_id, "body": body}
    payload["author"] = post.pop("author", {"id": "member-1"})
    payload.update(post)
    accepted = httpx.post(f"{base}/v1/posts", json=payload, headers=headers, timeout=10)
    assert accepted.status_code == 202, accepted.text
    decision_id: str = accepted.json()["id"]
    wait_until(
        lambda: (
            httpx.get(f"{base}/v1/decisions/{decision_id}", headers=headers, timeout=10).json()["status"] == "decided"
        ),
        timeout=30,
    )
    return decision_id


def item(page: Page, decision_id: str) -> object:
    return page.locator(f'article[data-decision="{decision_id}"]')


CONTRAST = """() => {
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const rgb = (s) => s.match(/[\\d.]+/g).map(Number);
  const background = (node) => {
    for (; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const node of document.querySelectorAll("body *")) {
    const own = [...node.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !node.getClientRects().length) continue;
    const a = lum(rgb(getComputedStyle(node).color)), b = lum(background(node));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(`${node.tagName}.${node.className}: ${ratio.toFixed(2)}`);
  }
  return low;
}"""


def test_a_moderator_works_the_queue_and_a_policy_author_explains_in_the_console(
    browser: Browser, api_server: str, store: SqlStore, community: str
) -> None:
    base = api_server
    secret, _ = store.create_api_key(community, ["admin"])
    crisis = submit(base, secret, "c1", CRISIS, community=community, author={"id": HOSTILE})
    flagged = submit(base, secret, "f1", FLAGGED, community=community, url="javascript:window.__pwned = 4")

    context = browser.new_context(viewport={"width": 1100, "height": 900})
    elsewhere: list[str] = []
    asked: list[str] = []
    origin = urlsplit(base)

    def only_haven(route: Route, request: Request) -> None:
        parts = urlsplit(request.url)
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            elsewhere.append(request.url)
            route.abort()
            return
        route.continue_()

    context.route("**/*", only_haven)
    page = context.new_page()
    page.on("request", lambda request: asked.append(request.url))
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )

    answer = page.goto(f"{base}/console/")
    assert answer is not None and answer.status == 200
    assert answer.headers["content-security-policy"] == STRICT_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"

    # Sign in by keyboard: a wrong key first, then the right one.
    page.get_by_label("API key").fill("not-a-key")
    page.get_by_label("Your name, as other moderators will see it").fill("mod-alex")
    page.get_by_label("API key").press("Enter")
    expect(page.locator("#sign-in-error")).to_contain_text("Haven does not know this API key")
    expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("sessionStorage.length") == 0
    page.get_by_label("API key").fill(secret)
    page.get_by_label("API key").press("Enter")
    expect(page.locator("#who-name")).to_have_text("Signed in as mod-alex")
    expect(page.locator("#status")).to_contain_text("2 items waiting, 1 of them crisis")
    assert page.evaluate("Object.keys(localStorage).length") == 0

    # Crisis first; its words stay out of the page until the moderator opens it.
    articles = page.locator("article[data-decision]")
    expect(articles).to_have_count(2)
    assert [articles.nth(i).get_attribute("data-decision") for i in range(2)] == [crisis, flagged]
    crisis_item, flagged_item = item(page, crisis), item(page, flagged)
    expect(crisis_item.locator(".badge.crisis").first).to_have_text("Crisis")
    expect(crisis_item.locator(".evidence")).to_contain_text("hidden until you open it")
    expect(crisis_item.locator(".evidence")).not_to_contain_text("end my life")
    # A javascript: address from the post never becomes a link.
    expect(flagged_item.locator('a[href^="javascript"]')).to_have_count(0)
    expect(flagged_item).to_contain_text("javascript:window.__pwned = 4")

    open_button = crisis_item.get_by_role("button", name="Open crisis evidence")
    open_button.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.press("Enter")
    expect(crisis_item.locator(".evidence mark")).to_have_text("end my life")
    expect(crisis_item).to_contain_text("claimed by mod-alex")
    expect(page.locator("#status")).to_contain_text("Opened and claimed")

    flagged_item.get_by_role("button", name="Claim").click()
    expect(page.locator("#status")).to_contain_text("Claimed until")
    expect(flagged_item).to_contain_text("claimed by mod-alex")
    # A claim opens the item: the API hands its evidence to the moderator who holds it.
    expect(flagged_item.locator(".evidence mark")).to_have_text("you idiot")

    screenshot = os.environ.get("HAVEN_TEST_CONSOLE_SCREENSHOT")
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)
    assert page.evaluate(CONTRAST) == []

    crisis_item.get_by_role("button", name="Acknowledge escalation").click()
    expect(page.locator("#status")).to_contain_text("Escalation acknowledged by mod-alex")
    expect(crisis_item.locator(".badge.ok")).to_have_text("Acknowledged by mod-alex")

    flagged_item.get_by_label("Note for your review (optional)").fill("banter between old friends")
    flagged_item.get_by_role("button", name="Overturn").click()
    expect(page.locator("#status")).to_contain_text("Overturned: the item left the queue")
    expect(articles).to_have_count(1)
    crisis_item.get_by_label("Note for your review (optional)").fill("reached them by phone")
    crisis_item.get_by_role("button", name="Uphold").click()
    expect(page.locator("#status")).to_contain_text("Upheld: the item left the queue")
    expect(articles).to_have_count(0)
    expect(page.locator("#queue-empty")).to_be_visible()

    reviews = httpx.get(f"{base}/v1/decisions/{flagged}", headers={"authorization": f"Bearer {secret}"}).json()
    assert [(r["outcome"], r["moderator"], r["note"]) for r in reviews["reviews"]] == [
        ("overturned", "mod-alex", "banter between old friends")
    ]

    # The history, reached as an alert's console link reaches it.
    page.goto(f"{base}/console/#decision/{crisis}")
    timeline = page.locator(".timeline li")
    expect(timeline.locator("text=Escalation acknowledged").first).to_be_visible()
    kinds = [timeline.nth(i).get_attribute("data-kind") for i in range(timeline.count())]
    assert kinds.index("escalation.acknowledged") < kinds.index("review")
    expect(page.locator('.timeline li[data-kind="escalation.acknowledged"]')).to_contain_text("by mod-alex")
    expect(page.locator('.timeline li[data-kind="review"]')).to_contain_text("upheld: reached them by phone")
    # The author's id is hostile text from the platform: shown as text, never parsed.
    expect(page.locator("#history-body")).to_contain_text(HOSTILE)
    expect(page.locator("#history-body img")).to_have_count(0)

    # The explain box marks the evidence, and shows a post's markup as text.
    page.get_by_role("link", name="Explain").click()
    page.get_by_label("Text", exact=True).fill(CRISIS)
    page.get_by_role("button", name="Explain").click()
    result = page.locator("#explain-result")
    expect(result.locator("h3").first).to_have_text("Verdict: escalate")
    expect(result.locator(".explained mark")).to_have_text("end my life")
    expect(result.locator(".explained")).to_contain_text(HOSTILE)
    expect(result.locator(".fired li").first).to_contain_text("crisis")
    expect(result.locator("script, img")).to_have_count(0)
    expect(page.locator("#status")).to_contain_text("fire: verdict escalate")

    assert page.evaluate("window.__pwned") is None
    assert violations == []
    assert elsewhere == []
    assert all(urlsplit(url).netloc == origin.netloc for url in asked), asked
    assert not [url for url in asked if urlsplit(url).path == "/console/x"]  # the hostile <img> never loaded
    context.close()
