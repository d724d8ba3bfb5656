"""On a phone: an ambassador reads "my results" (figures, charts, suggestions, a note from
their team manager) without horizontal scrolling, opens the note and replies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.browser.conftest import login
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
NO_HORIZONTAL_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def _published_shares(member: Any) -> None:
    """A few weeks of posts with their tracked links and clicks, as the worker leaves them."""
    import uuid

    from django.utils import timezone

    from chorus.content.models import ContentItem
    from chorus.links.ingest import rebuild_days
    from chorus.links.models import Click, TrackedLink
    from chorus.sharing.models import Share

    now = timezone.now()
    items = list(ContentItem.objects.filter(org=member.org).exclude(url="").order_by("id")[:6])
    touched = set()
    for index, item in enumerate(items):
        network = ["mastodon", "linkedin"][index % 2]
        link, _ = TrackedLink.objects.get_or_create(
            org=member.org,
            ambassador=member,
            item=item,
            network=network,
            defaults={"url": item.url, "destination": item.url},
        )
        published = now - timedelta(days=3 + index * 5, hours=index)
        Share.objects.create(
            org=member.org,
            membership=member,
            item=item,
            network=network,
            text=f"{item.title} {link.code}",
            status=Share.Status.PUBLISHED,
            published_at=published,
            originality=[0.7, 0.1][index % 2],
            link=link,
        )
        for number in range(4 + index):
            moment = published + timedelta(hours=10 + number)
            Click.objects.create(
                org=member.org,
                link=link,
                event_id=uuid.uuid4().hex,
                occurred_at=moment,
                visitor=uuid.uuid4().hex,
            )
            touched.add((link.pk, moment.date()))
    rebuild_days(touched)


def test_my_results_on_a_phone_with_a_note_from_my_manager(demo: str, new_page: Any) -> None:
    from chorus.coaching.models import CoachingNote, CoachingReply
    from chorus.orgs.models import Membership

    anna = Membership.objects.get(org__slug="acme", user__email="ambassador@acme.example")
    _published_shares(anna)

    # The team manager writes a note from the team's results.
    manager = new_page(viewport={"width": 1280, "height": 800}, locale="en-US")
    login(manager, demo, "manager@acme.example")
    manager.goto(f"{demo}/o/acme/teams/{anna.team_id}/results/")
    row = manager.locator(f"tr[data-member='{anna.pk}']")
    assert row.locator("[data-figure=shares]").inner_text() == "6"
    row.get_by_role("link", name="Write a note").click()
    manager.get_by_label("Your note").fill("Your own words on LinkedIn work: keep going.")
    manager.get_by_role("button", name="Send the note").click()
    manager.wait_for_url(lambda url: "/coaching/notes/" in url)
    note = CoachingNote.objects.get(subject=anna)

    # The ambassador, on a phone.
    page = new_page(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    login(page, demo, "ambassador@acme.example")
    page.goto(f"{demo}/o/acme/me/results/")
    main = page.locator("main")
    assert page.locator("h1").inner_text() == "My results"
    assert page.locator("[data-figure=shares]").inner_text() == "6"
    assert "Suggestions to improve" in main.inner_text()
    assert "My best hours" in main.inner_text()
    assert "Your own words on LinkedIn work" in main.inner_text()
    assert page.locator("table.bars .bar-fill").count() > 24
    assert page.evaluate(NO_HORIZONTAL_SCROLL), "my results scroll sideways on a phone"
    for weeks in ("4", "26"):
        page.get_by_role("link", name=f"Last {weeks} weeks").click()
        assert page.evaluate(NO_HORIZONTAL_SCROLL)

    # Open the note, reply.
    page.locator(f"li[data-note='{note.pk}']").get_by_role("link").click()
    page.get_by_label("Your reply").fill("Thank you, I will.")
    page.get_by_role("button", name="Send").click()
    assert "Thank you, I will." in page.locator(".thread").inner_text()
    assert page.evaluate(NO_HORIZONTAL_SCROLL), "the note scrolls sideways on a phone"
    reply = CoachingReply.objects.get(note=note)
    assert reply.author_id == anna.pk

    # Accessibility (axe needs its script injected, so this page lifts the CSP).
    checked = new_page(viewport=PHONE, locale="en-US", is_mobile=True, bypass_csp=True)
    login(checked, demo, "ambassador@acme.example")
    found = {}
    for path in (
        "/o/acme/me/results/",
        "/o/acme/coaching/notes/",
        f"/o/acme/coaching/notes/{note.pk}/",
    ):
        checked.goto(demo + path)
        found[path] = violations(checked)
    for email, paths in (
        (
            "manager@acme.example",
            [f"/o/acme/teams/{anna.team_id}/results/", f"/o/acme/coaching/people/{anna.pk}/"],
        ),
        ("pm@acme.example", ["/o/acme/coaching/workshops/1/follow-up/"]),
    ):
        checked = new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        login(checked, demo, email)
        for path in paths:
            checked.goto(demo + path)
            found[f"{email} {path}"] = violations(checked)
    assert {path: problems for path, problems in found.items() if problems} == {}
