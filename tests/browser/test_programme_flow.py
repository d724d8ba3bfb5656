"""An invited person opts in on a phone and sees a personal feed with reasons; after leaving,
they see no suggestion."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import DEMO_PASSWORD, login

pytestmark = pytest.mark.browser


def test_invited_person_opts_in_sees_a_feed_then_leaves(demo: str, new_page: Any) -> None:
    from django.contrib.auth import get_user_model

    from chorus.feed.models import AmbassadorProfile
    from chorus.orgs.models import Membership, Organization
    from chorus.program.models import Participation

    org = Organization.objects.get(slug="acme")
    user = get_user_model().objects.create_user("lou@acme.example", DEMO_PASSWORD, first_name="Lou")
    member = Membership.objects.create(org=org, user=user, role="ambassador")
    Participation.objects.create(org=org, membership=member, status="invited")
    profile = AmbassadorProfile.objects.create(org=org, membership=member, languages=["en", "fr"])
    profile.interests.set(org.topics.filter(name="Cloud"))

    page = new_page(viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True)
    login(page, demo, "lou@acme.example")
    page.goto(demo + "/o/acme/feed/")
    assert page.locator("ul.feed li.item-card").count() == 0
    page.goto(demo + "/o/acme/")
    page.get_by_role("link", name="Read and decide").click()
    assert "What data is used" in page.locator("main").inner_text()
    page.get_by_label("I have read the above and I want to take part.").check()
    page.get_by_role("button", name="Join the programme").click()
    assert "Welcome to the programme" in page.locator(".messages").inner_text()

    page.goto(demo + "/o/acme/feed/")
    cards = page.locator("ul.feed li.item-card")
    assert cards.count() > 0
    first = cards.first
    first.get_by_text("Why this suggestion?").click()
    assert "Matches your topics: Cloud" in first.inner_text()

    page.goto(demo + "/o/acme/programme/leave/")
    page.get_by_label("Anonymise my contributions", exact=False).check()
    page.get_by_role("button", name="Leave the programme").click()
    page.goto(demo + "/o/acme/feed/")
    assert page.locator("ul.feed li.item-card").count() == 0
    assert Participation.objects.get(membership=member).status == "left"
