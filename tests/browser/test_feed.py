"""The feed and the composer in real Chromium: each card shows a picture or its placeholder
and its reason, "not for me" hides a card and "undo" brings it back in place, "load more"
adds the next cards, and the composer's counter follows the typing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "en-US", "is_mobile": True}


def test_cards_show_a_picture_or_placeholder_and_a_reason_and_not_for_me_can_be_undone(
    demo: str, new_page: Any
) -> None:
    from chorus.feed.models import Feedback
    from chorus.orgs.models import Membership

    member = Membership.objects.get(org__slug="acme", user__email="ambassador@acme.example")
    page = new_page(**PHONE)
    login(page, demo, "ambassador@acme.example")
    page.goto(demo + "/o/acme/feed/")
    cards = page.locator("ul.feed li.item-card")
    first = cards.first
    # A picture that loaded, or the drawn placeholder: something visible, never a broken image.
    media = first.get_by_test_id("card-media")
    assert media.is_visible()
    assert media.bounding_box()["height"] > 100
    pictures = media.locator("img")
    if pictures.count():
        assert pictures.evaluate("img => img.complete && img.naturalWidth > 0")
    else:
        assert "placeholder" in (media.get_attribute("class") or "")
    reason = first.get_by_test_id("reason")
    assert reason.is_visible() and reason.inner_text().strip()
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    card_id = first.get_attribute("id")
    title = first.locator(".card-title").inner_text()
    count = cards.count()
    first.get_by_role("button", name="Not for me").click()
    hidden = page.locator(f"#{card_id}")
    hidden.get_by_role("button", name="Undo").wait_for()
    assert title in hidden.inner_text()
    assert Feedback.objects.filter(membership=member).count() == 1
    hidden.get_by_role("button", name="Undo").click()
    page.locator(f"#{card_id} >> role=button[name='Not for me']").wait_for()
    assert page.locator("ul.feed li.item-card").nth(0).get_attribute("id") == card_id
    assert cards.count() == count
    assert Feedback.objects.filter(membership=member).count() == 0
    # The card is still there after a reload: the undo was kept by the server.
    page.reload()
    assert page.locator(f"#{card_id}").count() == 1

    # "Load more": the next cards join the list, none twice.
    page.get_by_role("link", name="Load more suggestions").click()
    page.locator("ul.feed li.item-card").nth(count).wait_for()
    ids = page.locator("ul.feed li.item-card").evaluate_all("cards => cards.map(c => c.id)")
    assert len(ids) == len(set(ids)) > count
    assert page.url.endswith("/o/acme/feed/")


def test_the_composer_counter_follows_the_typing(demo: str, new_page: Any) -> None:
    from chorus.content.models import ContentItem

    item = next(
        item
        for item in ContentItem.objects.filter(org__slug="acme").order_by("pk")
        if item.is_live() and not item.internal_only and item.url
    )
    page = new_page(**PHONE)
    login(page, demo, "ambassador@acme.example")
    page.goto(f"{demo}/o/acme/compose/{item.pk}/?network=linkedin")
    counter = page.get_by_test_id("counter")
    assert "characters on LinkedIn" in counter.inner_text()
    assert page.get_by_test_id("link-card").is_visible()
    box = page.get_by_label("Your post")
    box.fill("Short and mine.")
    # The tracked link is always added, so the count is the text plus the link.
    link = page.locator("input[name=link_url]").input_value()
    expected = f"{len('Short and mine.') + 2 + len(link)} / 3000 characters on LinkedIn"
    page.wait_for_selector(f"[data-testid=counter] >> text={expected}")
    page.wait_for_selector("#check .post-body >> text=Short and mine.")
    box.fill("Short and mine. " * 200)
    page.wait_for_selector("[data-testid=counter].error")
    assert "3000 characters on LinkedIn" in counter.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
