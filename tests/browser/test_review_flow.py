"""Optional review from a phone: a reviewer approves a held post, and its author is told."""

from __future__ import annotations

from typing import Any

import pytest

from chorus.content.models import ContentItem
from chorus.governance.models import ReviewScope
from chorus.orgs.models import Membership
from chorus.sharing import actions
from chorus.sharing.models import Share
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_reviewer_approves_from_a_phone_and_the_author_is_told(demo: str, new_page: Any) -> None:
    author = Membership.objects.get(org__slug="acme", user__email="ambassador@acme.example")
    reviewer = Membership.objects.get(org__slug="acme", user__email="manager@acme.example")
    Membership.objects.filter(pk=reviewer.pk).update(is_reviewer=True)
    ReviewScope.objects.create(org=author.org, membership=author, first_shares=None)
    item = next(
        item
        for item in ContentItem.objects.filter(org=author.org, internal_only=False)
        if item.is_live()
    )
    share = actions.do_compose(author, item, "whatsapp", "Held for review: proud of this.")
    assert share.status == Share.Status.REVIEW

    page = new_page(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    login(page, demo, "manager@acme.example")
    page.goto(demo + "/o/acme/review/")
    card = page.locator("li[data-review]").filter(has_text="Held for review")
    assert "reviewed" in card.locator("[data-reason]").inner_text()
    # Phone-friendly: the card and its buttons fit the screen, no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    card.get_by_role("button", name="Approve", exact=True).tap()
    page.wait_for_url("**/o/acme/review/")
    assert "Decided" in page.locator(".messages").inner_text()
    share.refresh_from_db()
    assert share.status == Share.Status.DRAFT  # shared from the device: theirs to open now

    page = new_page(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    login(page, demo, "ambassador@acme.example")
    page.goto(demo + "/o/acme/notifications/")
    assert "was approved" in page.locator("main").inner_text()
