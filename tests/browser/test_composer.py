"""The composer in real Chromium: each network keeps its own text (across tab switches and a
reload), device shares are not held by the gap Chorus keeps between its own posts, and a
post Chorus would publish too soon is offered the next moment the policy allows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time, timedelta
from typing import Any

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def ambassador(demo: str) -> Iterator[Any]:
    """The demo ambassador, with quiet hours off (whatever the hour the suite runs at) and
    no weekly target, so that only the gap between posts can stand in the way."""
    from chorus.feed.models import AmbassadorProfile
    from chorus.orgs.models import Membership
    from chorus.sharing.models import Share, SharingPolicy

    member = Membership.objects.get(org__slug="acme", user__email="ambassador@acme.example")
    SharingPolicy.objects.update_or_create(
        org=member.org,
        defaults={"quiet_start": time(0), "quiet_end": time(0), "min_own_words": 0},
    )
    AmbassadorProfile.objects.update_or_create(
        membership=member, defaults={"org": member.org, "weekly_cadence": 0}
    )
    Share.objects.filter(membership=member).delete()
    yield member


def shareable_item(member: Any) -> Any:
    from chorus.content.models import ContentItem

    return next(
        item
        for item in ContentItem.objects.filter(org=member.org).order_by("pk")
        if item.is_live() and not item.internal_only and item.url
    )


def test_each_network_keeps_its_text_across_tabs_and_a_reload(
    demo: str, new_page: Any, ambassador: Any
) -> None:
    item = shareable_item(ambassador)
    page = new_page(viewport=DESKTOP, locale="en-US")
    login(page, demo, "ambassador@acme.example")
    page.goto(f"{demo}/o/acme/compose/{item.pk}/?network=linkedin")
    tabs = page.get_by_role("navigation", name="Network")
    assert tabs.get_by_role("link", name="LinkedIn").get_attribute("aria-current") == "page"
    box = page.get_by_label("Your post")
    box.fill("Words for LinkedIn")
    page.wait_for_selector("#check >> text=characters on LinkedIn")

    tabs.get_by_role("link", name="X", exact=True).click()
    page.wait_for_url("**network=x")
    assert tabs.get_by_role("link", name="X", exact=True).get_attribute("aria-current") == "page"
    assert tabs.get_by_role("link", name="LinkedIn").get_attribute("aria-current") is None
    assert box.input_value() != "Words for LinkedIn"  # X starts from its own caption
    box.fill("Words for X")

    tabs.get_by_role("link", name="LinkedIn").click()
    page.wait_for_url("**network=linkedin")
    assert box.input_value() == "Words for LinkedIn"
    page.wait_for_selector("#check >> text=characters on LinkedIn")
    page.reload()
    assert box.input_value() == "Words for LinkedIn"
    tabs.get_by_role("link", name="X", exact=True).click()
    page.wait_for_url("**network=x")
    assert box.input_value() == "Words for X"


def test_a_device_share_right_after_another_is_accepted(
    demo: str, new_page: Any, ambassador: Any
) -> None:
    from chorus.sharing.models import Share

    item = shareable_item(ambassador)
    page = new_page(viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True)
    login(page, demo, "ambassador@acme.example")
    for network in ("whatsapp", "email"):
        page.goto(f"{demo}/o/acme/compose/{item.pk}/?network={network}")
        page.get_by_label("Your post").fill(f"Why it matters to me, on {network}.")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url("**/intent/")
        page.get_by_role("button", name="I posted it").click()
        page.wait_for_url("**/shares/")
        assert "Thank you" in page.locator(".messages").inner_text()
    published = Share.objects.filter(membership=ambassador, status=Share.Status.PUBLISHED)
    assert sorted(published.values_list("network", flat=True)) == ["email", "whatsapp"]


def test_a_post_too_soon_is_offered_the_next_allowed_time(
    demo: str, new_page: Any, ambassador: Any
) -> None:
    from django.utils import formats, timezone, translation

    from chorus.orgs.models import Organization
    from chorus.sharing.models import Share
    from chorus.sharing.scheduling import next_allowed, org_zone
    from tests.factory import make_connection, make_share

    Organization.objects.filter(pk=ambassador.org_id).update(time_zone="Europe/Paris")
    ambassador.org.refresh_from_db()
    item = shareable_item(ambassador)
    make_connection(ambassador, "mastodon", access_token="token", instance="https://m.example")
    planned = timezone.now() + timedelta(hours=1)
    make_share(ambassador, item, status=Share.Status.SCHEDULED, scheduled_for=planned)

    page = new_page(viewport=DESKTOP, locale="en-US")
    login(page, demo, "ambassador@acme.example")
    page.goto(f"{demo}/o/acme/compose/{item.pk}/?network=mastodon")
    page.get_by_label("Your post").fill("My own take on this.")
    page.get_by_label("Now").check()
    page.get_by_role("button", name="Share", exact=True).click()
    offer = page.get_by_test_id("next-allowed")
    offer.wait_for()
    assert "less than 3 hours away" in page.locator(".errors").inner_text()

    expected = next_allowed(ambassador, "mastodon", timezone.now())
    assert expected is not None and expected >= planned + timedelta(hours=3)
    with translation.override("en"):
        shown = formats.date_format(
            timezone.localtime(expected, org_zone(ambassador.org)), "DATETIME_FORMAT"
        )
    assert shown in offer.inner_text() and "Europe/Paris" in offer.inner_text()

    page.get_by_role("button", name="Schedule it then").click()
    page.wait_for_url("**/shares/")
    share = Share.objects.filter(membership=ambassador, network="mastodon").latest("pk")
    assert share.status == Share.Status.SCHEDULED
    assert share.scheduled_for == expected
