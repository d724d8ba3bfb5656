"""The navigation by role: at most seven areas for any demo role, every page that the former
flat menu linked to still reachable one level down, and the programme manager's "Today"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from unittest import mock

import time_machine
from django.test import TestCase
from django.urls import reverse

from chorus.engage.onboarding import Checklist, Step
from chorus.feed.models import AmbassadorProfile
from chorus.orgs.models import Membership, Role
from chorus.program.models import Participation
from chorus.web.demo import load_demo
from chorus.web.navigation import MAX_SECTIONS
from chorus.web.today import today_for
from tests.base import OrgTestCase
from tests.factory import make_campaign, make_member, make_suggestion, make_user


class NavLinks(HTMLParser):
    """The links of each <nav> of a page, by the nav's class."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, list[tuple[str, str]]] = {}
        self._navs: list[str] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "nav":
            self._navs.append(values.get("class") or "")
        elif tag == "a" and self._navs:
            self._href = values.get("href")
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self._navs:
            self._navs.pop()
        elif tag == "a" and self._href is not None and self._navs:
            text = " ".join("".join(self._text).split())
            self.links.setdefault(self._navs[-1], []).append((self._href, text))
            self._href = None


def nav_links(html: str) -> dict[str, list[tuple[str, str]]]:
    parser = NavLinks()
    parser.feed(html)
    return parser.links


# Every page the former flat menu linked to, by the lowest role that saw the link.
FORMER_LINKS = {
    Role.AMBASSADOR: [
        "org_home",
        "feed",
        "share_queue",
        "my_results",
        "my_points",
        "coaching_notes",
        "start",
        "library",
        "my_profile",
        "links",
        "suggestions",
        "connections",
        "workshops",
        "faq",
        "questions",
    ],
    Role.TEAM_MANAGER: ["team_onboarding", "teams"],
    Role.PROGRAM_MANAGER: [
        "dashboard",
        "programme_health",
        "programme",
        "campaigns",
        "curation",
        "members",
        "org_settings",
    ],
    Role.ORG_ADMIN: ["audit_log"],
}
ACCOUNT_LINKS = ["organisations", "profile"]


class DemoNavigationTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        load_demo("navigation-demo-password")

    def member(self, email: str) -> Membership:
        return Membership.objects.get(org__slug="acme", user__email=email)

    def test_each_role_has_at_most_seven_areas(self) -> None:
        counts = {}
        for email in (
            "ambassador@acme.example",
            "manager@acme.example",
            "pm@acme.example",
            "admin@acme.example",
        ):
            self.client.force_login(self.member(email).user)
            response = self.client.get("/o/acme/")
            self.assertEqual(response.status_code, 200)
            links = nav_links(response.content.decode())
            counts[email] = [text for _href, text in links["sections"]]
            self.assertLessEqual(len(counts[email]), MAX_SECTIONS, counts[email])
        self.assertEqual(
            counts["ambassador@acme.example"], ["Feed", "My posts", "Results", "Learn"]
        )
        self.assertEqual(
            counts["manager@acme.example"], ["Feed", "My posts", "Results", "Learn", "My teams"]
        )
        self.assertEqual(
            counts["admin@acme.example"],
            ["Today", "Feed", "My posts", "Content", "Programme", "Insights", "Settings"],
        )

    def test_phones_get_the_ambassadors_daily_destinations_as_tabs(self) -> None:
        self.client.force_login(self.member("ambassador@acme.example").user)
        links = nav_links(self.client.get("/o/acme/").content.decode())
        self.assertEqual(
            [text for _href, text in links["tabbar"]], ["Feed", "My posts", "Results", "Learn"]
        )

    def test_every_former_link_is_reachable_one_level_down(self) -> None:
        for email in (
            "ambassador@acme.example",
            "manager@acme.example",
            "pm@acme.example",
            "admin@acme.example",
        ):
            member = self.member(email)
            self.client.force_login(member.user)
            home = nav_links(self.client.get("/o/acme/").content.decode())
            reached = {href for href, _text in home["sections"] + home["account-nav"]}
            for area, _text in home["sections"]:
                response = self.client.get(area)
                self.assertEqual(response.status_code, 200, (email, area))
                links = nav_links(response.content.decode())
                # Each area keeps the same top-level navigation and shows its own pages.
                self.assertEqual(links["sections"], home["sections"])
                for href, _label in links.get("subnav", []):
                    reached.add(href)
                    self.assertEqual(self.client.get(href).status_code, 200, (email, href))
            expected = [
                reverse(name, kwargs={"org": "acme"})
                for role, names in FORMER_LINKS.items()
                if member.has_role(role)
                for name in names
            ] + [reverse(name) for name in ACCOUNT_LINKS]
            if not member.can_manage_programme:
                # An ambassador's home is their feed: the feed's address became the home's.
                expected.remove(reverse("feed", kwargs={"org": "acme"}))
            missing = [url for url in expected if url not in reached]
            self.assertEqual(missing, [], email)

    def test_the_current_area_and_page_are_marked(self) -> None:
        self.client.force_login(self.member("pm@acme.example").user)
        html = self.client.get("/o/acme/campaigns/").content.decode()
        self.assertIn('data-area="content" aria-current="true"', html)
        self.assertIn('href="/o/acme/campaigns/" aria-current="page"', html)


class HomeTests(OrgTestCase):
    def test_an_ambassadors_home_is_their_feed_with_the_next_step_on_top(self) -> None:
        self.login(self.amy)  # in the programme since just now
        response = self.client.get("/o/acme/")
        self.assertTemplateUsed(response, "feed/feed.html")
        self.assertContains(response, "Your next step")
        self.assertContains(response, "Complete your ambassador profile")

    def test_the_next_step_goes_once_onboarding_is_done(self) -> None:
        self.login(self.amy)
        done = Checklist((Step("profile", True, "/"), Step("share", True, "/")))
        with mock.patch("chorus.web.home.checklist", return_value=done):
            response = self.client.get("/o/acme/")
        self.assertTemplateUsed(response, "feed/feed.html")
        self.assertNotContains(response, "Your next step")

    def test_a_programme_managers_home_lists_what_needs_attention(self) -> None:
        now = datetime(2026, 3, 4, 10, tzinfo=UTC)
        with time_machine.travel(now, tick=False):
            # The named people have just joined: not stuck.
            Participation.objects.update(opted_in_at=now)
            make_suggestion(self.amy_m)
            make_campaign(self.org, "Spring launch", ends_on=date(2026, 3, 8))
            make_campaign(self.org, "Autumn", ends_on=date(2026, 9, 8))
            stuck = make_member(self.org, Role.AMBASSADOR, make_user("sam@acme.example"))
            Participation.objects.filter(membership=stuck).update(
                opted_in_at=now - timedelta(days=10)
            )
            AmbassadorProfile.objects.create(org=self.org, membership=stuck, languages=["en"])
            fresh = make_member(self.org, Role.AMBASSADOR, make_user("fay@acme.example"))
            Participation.objects.filter(membership=fresh).update(
                opted_in_at=now - timedelta(days=2)
            )
            make_member(
                self.org, Role.AMBASSADOR, make_user("ivy@acme.example"), programme="invited"
            )
            today = today_for(self.org)
            self.login(self.paul)
            response = self.client.get("/o/acme/")
        self.assertEqual(today.pending_suggestions, 1)
        self.assertEqual([c.name for c in today.ending_campaigns], ["Spring launch"])
        self.assertEqual([row.member for row in today.stuck], [stuck])
        self.assertEqual(today.stuck[0].next_step.key, "profile")
        self.assertTemplateUsed(response, "orgs/home.html")
        self.assertContains(response, "1 suggestion to review")
        self.assertContains(response, 'href="/o/acme/suggestions/"')
        self.assertContains(response, "Spring launch")
        self.assertNotContains(response, "Autumn")
        self.assertContains(response, "1 person stuck in onboarding")
        self.assertContains(response, 'href="/o/acme/programme/onboarding/"')

    def test_nothing_to_do_says_so(self) -> None:
        self.login(self.alice)
        response = self.client.get("/o/acme/")
        self.assertFalse(today_for(self.org).pending_suggestions)
        self.assertContains(response, "Needs your attention")
