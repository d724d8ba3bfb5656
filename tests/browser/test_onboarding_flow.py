"""On a phone: an invited person opts in, goes through every onboarding step for real
(profile, topics, guide, a Mastodon connection on the local mock server, a first share),
sees a personal feed with reasons; after leaving, nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from typing import Any

import pytest

from tests.browser.conftest import DEMO_PASSWORD, login
from tests.sharing.mastodon_server import MockMastodon

pytestmark = pytest.mark.browser


@pytest.fixture
def no_quiet_hours(demo: str) -> Iterator[None]:
    """ "Share now" is refused in the organisation's quiet hours (21:00-07:00 by default):
    none while this test runs, whatever the hour the suite runs at."""
    from chorus.orgs.models import Organization
    from chorus.sharing.models import SharingPolicy

    org = Organization.objects.get(slug="acme")
    policy, _created = SharingPolicy.objects.get_or_create(org=org)
    before = (policy.quiet_start, policy.quiet_end)
    SharingPolicy.objects.filter(pk=policy.pk).update(quiet_start=time(0), quiet_end=time(0))
    yield
    SharingPolicy.objects.filter(pk=policy.pk).update(quiet_start=before[0], quiet_end=before[1])


def test_opt_in_onboarding_first_share_feed_and_leaving(
    demo: str, new_page: Any, mastodon: MockMastodon, settings: Any, no_quiet_hours: None
) -> None:
    from django.contrib.auth import get_user_model

    from chorus.orgs.models import Membership, Organization
    from chorus.program.models import Participation
    from chorus.sharing.models import Connection, Share

    settings.CHORUS_ALLOW_PRIVATE_URLS = True  # the Mastodon server runs on 127.0.0.1
    org = Organization.objects.get(slug="acme")
    user = get_user_model().objects.create_user("noa@acme.example", DEMO_PASSWORD, first_name="Noa")
    member = Membership.objects.create(org=org, user=user, role="ambassador")
    Participation.objects.create(org=org, membership=member, status="invited")

    page = new_page(viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True)
    login(page, demo, "noa@acme.example")
    page.goto(demo + "/o/acme/programme/join/")
    page.get_by_label("I have read the above and I want to take part.").check()
    page.get_by_role("button", name="Join the programme").click()

    page.goto(demo + "/o/acme/start/")
    assert "0 of 5 done" in page.locator("main").inner_text()

    # Profile and topics: the ambassador profile form.
    page.get_by_role("link", name="Complete your ambassador profile").click()
    page.get_by_label("Cloud").first.check()
    page.get_by_label("I post on Mastodon").check()
    page.get_by_label("Audience on Mastodon").select_option("medium")
    page.get_by_role("button", name="Save").click()
    page.goto(demo + "/o/acme/start/")
    assert "2 of 5 done" in page.locator("main").inner_text()

    # The guide.
    page.get_by_role("link", name="Read the ambassador guide").click()
    page.get_by_role("button", name="I have read it").click()
    assert "3 of 5 done" in page.locator("main").inner_text()

    # A network: Mastodon's OAuth on the local server, through its account picker.
    page.get_by_role("link", name="Connect a social network").click()
    page.get_by_label("Your server").fill(mastodon.url)
    page.get_by_role("button", name="Connect Mastodon").click()
    page.get_by_role("link", name="Continue to Mastodon").click()
    page.locator("form button[name=username]").first.click()
    page.wait_for_url(lambda url: "/o/acme/networks/" in url)
    assert "Mastodon is connected" in page.locator(".messages").inner_text()
    assert Connection.objects.get(membership=member).status == "active"

    # A personal feed with reasons, and a first share from it.
    page.goto(demo + "/o/acme/feed/")
    cards = page.locator("ul.feed li.item-card")
    assert cards.count() > 0
    first = cards.first
    first.get_by_text("Why this suggestion?").click()
    assert "Matches your topics: Cloud" in first.inner_text()
    first.get_by_role("link", name="Share").click()
    page.get_by_role("link", name="Mastodon").click()
    box = page.get_by_label("Your post")
    box.fill("What I like here: it is concrete. " + box.input_value())
    page.wait_for_selector("#check >> text=in your own words")
    page.get_by_role("button", name="Share", exact=True).click()
    page.wait_for_url(lambda url: "/o/acme/shares/" in url)
    share = Share.objects.get(membership=member)
    assert share.status == "published", share.error
    assert any("What I like here" in status["content"] for status in mastodon.statuses())

    page.goto(demo + "/o/acme/start/")
    assert "5 of 5 done" in page.locator("main").inner_text()
    assert "All done" in page.locator("main").inner_text()

    # Leaving: no feed, no connection.
    page.goto(demo + "/o/acme/programme/leave/")
    page.get_by_label("Keep them attributed to me in the programme's figures").check()
    page.get_by_role("button", name="Leave the programme").click()
    page.goto(demo + "/o/acme/feed/")
    assert page.locator("ul.feed li.item-card").count() == 0
    assert Connection.objects.get(membership=member).status == "revoked"
