"""Every page each demo role can reach, on a phone and a desktop: none wider than the screen,
no console error, and no serious or critical axe-core violation.

The pages are found by walking the links the pages themselves show (their navigation first,
then their own same-origin links, breadth-first), not from a list kept by hand: a new page
is checked as soon as something links to it. One page per URL pattern is enough (one item's
detail stands for all items), and only GET links are followed; links that change something,
leave the site or download a file are skipped.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

# The axe-core the npm lock pins, read from node_modules when the test runs.
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.impact} ${v.id} (${v.help}): ${v.nodes.slice(0, 5)
      .map(n => n.target.join(' ')).join(', ')}`);
}
"""
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
ROLES = [
    "admin@acme.example",
    "pm@acme.example",
    "manager@acme.example",
    "ambassador@acme.example",
]
# Views a GET may still not be visited for: they sign out, switch language, download a file,
# record something (a click, a notification read) or send the browser to another site.
SKIPPED = {
    "account_logout",
    "set_language",
    "my_data",
    "member_data",
    "dashboard_csv",
    "dashboard_xlsx",
    "link_redirect",
    "tracking_script",
    "notification_open",
    "connect_linkedin",
    "connect_x",
    "connect_mastodon",
    "connect_bluesky",
    "sso_start",
    "sso_saml_metadata",
    "media",
    "manifest",
    "service_worker",
    "healthz",
}
SKIPPED_PREFIXES = ("/api/", "/scim/", "/static/", "/admin/")


def pattern(path: str) -> str | None:
    """The URL pattern a path belongs to, or None when it is not a page to visit."""
    if path.startswith(SKIPPED_PREFIXES):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.url_name in SKIPPED:
        return None
    return match.route or path


class Tab:
    """A logged-in page at one viewport, remembering its console errors."""

    def __init__(self, chromium: Any, viewport: dict[str, int], state: Any) -> None:
        self.context = chromium.new_context(viewport=viewport, storage_state=state)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def check(self, url: str) -> tuple[list[str], list[str]]:
        """Open a page; return what is wrong with it and the links it shows."""
        self.errors.clear()
        problems = []
        response = self.page.goto(url, wait_until="load")
        status = response.status if response is not None else 0
        if status != 200:
            problems.append(f"answered {status}")
        # What the page loads after it shows (htmx) is part of it; a request in flight also
        # dims what it replaces, which axe would read as a contrast failure.
        self.page.locator(".htmx-request").first.wait_for(state="detached", timeout=10_000)
        width = self.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            problems.append(f"{width[0]} px wide for a {width[1]} px screen")
        # Evaluated rather than added as a <script>: the page's Content-Security-Policy stays
        # in force, so a violation of it shows up as a console error below.
        self.page.evaluate(AXE.read_text())
        problems.extend(self.page.evaluate(RUN_AXE))
        problems.extend(f"console error: {text}" for text in self.errors)
        links = self.page.eval_on_selector_all(
            "a[href]:not([download])", "links => links.map(link => link.href)"
        )
        return problems, links

    def close(self) -> None:
        self.context.close()


def walk(chromium: Any, base: str, email: str | None) -> Iterator[tuple[str, str, list[str]]]:
    """Visit every page reachable from the home page; yield (viewport, path, problems)."""
    context = chromium.new_context(viewport=VIEWPORTS["desktop"])
    try:
        page = context.new_page()
        if email is not None:
            login(page, base, email)
        state = context.storage_state()
    finally:
        context.close()
    tabs = {name: Tab(chromium, viewport, state) for name, viewport in VIEWPORTS.items()}
    origin = urlsplit(base)
    start = "/o/acme/" if email is not None else "/accounts/login/"
    queue = deque([start])
    seen = {pattern(start)}
    try:
        while queue:
            path = queue.popleft()
            for name, tab in tabs.items():
                problems, links = tab.check(base + path)
                yield name, path, problems
                for link in links:
                    parts = urlsplit(link)
                    if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
                        continue
                    key = pattern(parts.path)
                    if key is None or key in seen:
                        continue
                    seen.add(key)
                    queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    finally:
        for tab in tabs.values():
            tab.close()


def test_every_reachable_page_holds_on_a_phone_and_a_desktop(demo: str, chromium: Any) -> None:
    found: list[str] = []
    visited: dict[str, int] = {}
    started = time.monotonic()
    for email in [None, *ROLES]:
        who = email or "anonymous"
        pages = set()
        for viewport, path, problems in walk(chromium, demo, email):
            pages.add(path)
            found.extend(f"{who} {viewport} {path}: {problem}" for problem in problems)
        visited[who] = len(pages)
    print(f"pages per role {visited} in {time.monotonic() - started:.0f} s")
    # A role that reaches almost nothing means the walk itself broke (a failed sign-in…).
    assert all(count >= 5 for who, count in visited.items() if who != "anonymous"), visited
    assert found == [], "\n".join(found)
