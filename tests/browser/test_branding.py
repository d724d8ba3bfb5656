"""An organisation's branding in real Chromium: the accent colour reaches the header through a
data- attribute read by the bundle (the CSP forbids inline styles), the logo is shown, and
the Organisation settings page saves both."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_an_admin_brands_the_organisation(
    demo: str, new_page: Any, tmp_path: Any, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    logo = tmp_path / "logo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), (15, 118, 110)).save(buffer, "PNG")
    logo.write_bytes(buffer.getvalue())

    page = new_page(viewport={"width": 1280, "height": 800}, locale="en-US")
    login(page, demo, "admin@acme.example")
    page.goto(f"{demo}/o/acme/settings/organisation/")
    page.get_by_label("Accent colour").fill("#0F766E")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_label("Logo").set_input_files(str(logo))
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector(".messages .success")

    header = page.locator("header.topbar")
    assert header.get_attribute("data-accent-color") == "#0f766e"
    accent = page.evaluate(
        "getComputedStyle(document.querySelector('header.topbar'))"
        ".getPropertyValue('--org-accent').trim()"
    )
    assert accent == "#0f766e"
    assert "rgb(15, 118, 110)" in page.evaluate(
        "getComputedStyle(document.querySelector('header.topbar')).boxShadow"
    )
    # The logo loaded (a broken image has no natural width).
    assert page.evaluate("document.querySelector('img.org-logo').naturalWidth") == 64
    assert len(list((tmp_path / "media" / "orgs" / "logos").glob("*.png"))) == 1
    # The new_page fixture fails the test on any Content-Security-Policy violation.
