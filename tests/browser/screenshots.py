"""`make screenshots`: the feed, the composer, the programme manager's home and the dashboard,
on a phone (390x844) and a desktop (1366x900), written to docs/screenshots/ as PNG.

It sets up a throw-away instance with the demo organisation (its own SQLite database and
files in a temporary directory), serves it on 127.0.0.1 and drives Debian's Chromium
(CHROMIUM, default /usr/bin/chromium) with Playwright. The server stops at the end, even on
a failure. Run: .venv/bin/python -m tests.browser.screenshots [output directory]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.browser.conftest import CHROMIUM_ARGS
from tests.processes import chorus, clean_environ, free_port, repo_root, start_web

PASSWORD = "screenshots-demo-password"
SIZES = {"phone": (390, 844), "desktop": (1366, 900)}


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    # In English, whatever the demo person's own language (kept for them by the switch).
    english = page.locator("form.language button[value=en]")
    if english.count():
        english.click()
        page.wait_for_load_state()


def optimise(path: Path) -> None:
    """The same pixels in fewer bytes (zlib's best effort): the images live in the repository."""
    from PIL import Image

    with Image.open(path) as image:
        image.load()
    image.save(path, optimize=True)


def shoot(page: Any, path: Path) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(path), animations="disabled", caret="initial")
    optimise(path)
    print(f"{path} ({path.stat().st_size // 1024} KB)")


def take(base: str, out: Path, chromium: Any) -> None:
    for size, (width, height) in SIZES.items():
        options = {
            "viewport": {"width": width, "height": height},
            "locale": "en-US",
            "color_scheme": "light",
            "is_mobile": size == "phone",
            "has_touch": size == "phone",
        }
        ambassador = chromium.new_context(**options)
        try:
            page = ambassador.new_page()
            sign_in(page, base, "ambassador@acme.example")
            page.goto(f"{base}/o/acme/feed/")
            shoot(page, out / f"feed-{size}.png")
            page.locator("ul.feed li.item-card a.button").first.click()
            page.wait_for_url("**/compose/**")
            page.get_by_role("navigation", name="Network").get_by_role(
                "link", name="LinkedIn"
            ).click()
            page.wait_for_url("**network=linkedin")
            page.wait_for_selector("#check [data-testid=counter]")
            shoot(page, out / f"composer-{size}.png")
        finally:
            ambassador.close()
        manager = chromium.new_context(**options)
        try:
            page = manager.new_page()
            sign_in(page, base, "pm@acme.example")
            page.goto(f"{base}/o/acme/")
            shoot(page, out / f"today-{size}.png")
            page.goto(f"{base}/o/acme/dashboard/")
            shoot(page, out / f"dashboard-{size}.png")
        finally:
            manager.close()


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chorus-screenshots-") as var:
        environ = clean_environ(CHORUS_VAR_DIR=var, CHORUS_DEMO="1", CHORUS_DEMO_PASSWORD=PASSWORD)
        environ["PYTHONPATH"] = str(repo_root())
        chorus(["migrate", "--no-input", "-v0"], environ)
        chorus(["collectstatic", "--no-input", "-v0"], environ)
        chorus(["demo", "--password", PASSWORD], environ)
        web = start_web(environ, free_port())
        try:
            executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                try:
                    take(f"http://127.0.0.1:{web.port}", out, browser)
                finally:
                    browser.close()
        finally:
            web.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else repo_root() / "docs" / "screenshots")
