"""A program manager builds a campaign item from a local page; an ambassador's suggestion
is declined and the reason reaches them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import login
from tests.servers import local_server

pytestmark = pytest.mark.browser

PAGE = b"""<!doctype html><html lang="en"><head>
<meta property="og:title" content="Acme opens a solar-powered data centre">
<meta property="og:description" content="Our new site in Lyon runs on 100% renewable energy.">
<meta property="og:image" content="/images/solar.png">
<meta property="og:site_name" content="Acme Newsroom">
<title>ignored</title></head><body>Hello</body></html>"""


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (0, 128, 0)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


def test_program_manager_publishes_a_campaign_item_with_captions(
    demo: str, new_page: Any, settings: Any, tmp_path: Any
) -> None:
    settings.CHORUS_ALLOW_PRIVATE_URLS = True  # the "article" is served on 127.0.0.1
    settings.MEDIA_ROOT = str(tmp_path)
    with local_server() as server:
        server.respond("/news/solar", PAGE)
        server.respond("/images/solar.png", PNG, "image/png")
        page = new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
        login(page, demo, "pm@acme.example")
        switch = page.locator("form.language button[value=en]")
        if switch.count():
            switch.click()
        page.goto(demo + "/o/acme/campaigns/new/")
        page.get_by_label("Name").fill("Green data centres")
        page.get_by_label("Slug").fill("green-data-centres")
        page.get_by_label("Objective").select_option("awareness")
        page.get_by_role("button", name="Save").click()
        assert "Green data centres" in page.locator("main").inner_text()

        page.goto(demo + "/o/acme/content/new/")
        page.get_by_label("URL").fill(server.url("/news/solar"))
        page.get_by_label("Campaign").select_option(label="Green data centres")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url("**/content/*/")
        assert (
            page.get_by_role("heading", level=1).inner_text()
            == "Acme opens a solar-powered data centre"
        )
        assert "Acme Newsroom" in page.locator("main").inner_text()
        # The preview image was copied and is served by Chorus itself.
        image = page.locator("img.item-image")
        assert image.get_attribute("src").startswith("/media/content/")
        page.wait_for_function("document.querySelector('img.item-image').complete")
        assert page.evaluate("document.querySelector('img.item-image').naturalWidth") == 2

        # A caption too long for X: the live counter says so before saving.
        page.get_by_label("Network").select_option("x")
        page.get_by_label("Text").fill("Solar " * 60 + server.url("/news/solar"))
        page.locator("#caption-counter li[data-network=x].error").wait_for()
        page.get_by_role("button", name="Add the caption").click()
        assert "Too long for X" in page.locator("main").inner_text()
        page.get_by_label("Network").select_option("linkedin")
        page.get_by_label("Text").fill("Proud of this one: our Lyon site now runs on the sun.")
        page.get_by_role("button", name="Add the caption").click()
        captions = page.locator("ul.captions > li")
        assert captions.count() == 2
        assert "Too long for LinkedIn" not in page.locator("main").inner_text()

        page.get_by_role("link", name="Edit", exact=True).click()
        page.get_by_label("Status").select_option("published")
        page.get_by_role("button", name="Save").click()
        assert "Published" in page.locator("main .meta").first.inner_text()
        assert [path for path, _headers in server.requests] == ["/news/solar", "/images/solar.png"]


def test_ambassador_suggestion_is_declined_with_a_reason(demo: str, new_page: Any) -> None:
    ambassador = new_page(viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True)
    login(ambassador, demo, "ambassador@acme.example")
    ambassador.goto(demo + "/o/acme/suggestions/")
    ambassador.get_by_label("Link").fill("https://news.example.com/acme-wins-award")
    ambassador.get_by_label("Why is it worth sharing?").fill("Great for our employer brand")
    ambassador.get_by_role("button", name="Send the suggestion").click()
    assert "Thank you" in ambassador.locator(".messages").inner_text()

    manager = new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    login(manager, demo, "pm@acme.example")
    manager.locator("form.language button[value=en]").click()
    manager.goto(demo + "/o/acme/suggestions/")
    card = manager.locator("li.item-card", has_text="acme-wins-award")
    card.get_by_label("Reason, shown to the person").fill("We shared this award last month.")
    card.get_by_role("button", name="Decline").click()
    assert "Declined" in manager.locator(".messages").inner_text()

    ambassador.reload()
    mine = ambassador.locator("li.item-card", has_text="acme-wins-award")
    assert "We shared this award last month." in mine.inner_text()
