"""The organisation's sharing policy, set from its settings page or PATCH /api/v1/policy,
is the one the composer and POST /api/v1/shares keep; the other settings pages; the audit.

Time is frozen on a Wednesday at 10:00 UTC (working hours, outside the default quiet
hours); Acme's time zone is UTC unless a test says otherwise.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import time, timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock, skipUnless
from zoneinfo import ZoneInfo

import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from chorus.analytics.models import AnalyticsSettings
from chorus.feed.models import AmbassadorProfile, DigestFrequency
from chorus.notify.models import DigestSettings
from chorus.orgs.models import AuditEntry, Organization
from chorus.sharing.models import Share, SharingPolicy
from chorus.sharing.scheduling import is_quiet, org_zone
from tests.base import OrgTestCase
from tests.factory import (
    make_caption,
    make_connection,
    make_item,
    make_member,
    make_share,
    make_token,
    make_user,
)

WEDNESDAY_10 = "2026-12-02 10:00:00+00:00"
CAPTION = "Our new plant runs on solar power: a first in the region."
OWN = (
    "I spent a day with the engineers who built this, and their pride was contagious: "
    "ask me anything about the control room. " + CAPTION
)
PAGE = "/o/acme/settings/sharing/"
API = "/api/v1/policy"
CHANNELS = ("page", "api")
HAS_TIME_ZONE = any(field.name == "time_zone" for field in Organization._meta.get_fields())


def form_data(policy: SharingPolicy, **changes: Any) -> dict[str, Any]:
    """The policy page's form as a browser sends it: every field, with `changes`."""
    data: dict[str, Any] = {
        "originality": policy.originality,
        "min_own_words": policy.min_own_words,
        "max_per_day": policy.max_per_day,
        "min_hours_between": policy.min_hours_between,
        "quiet_start": policy.quiet_start.strftime("%H:%M"),
        "quiet_end": policy.quiet_end.strftime("%H:%M"),
        "stagger_minutes": policy.stagger_minutes,
    }
    return {**data, **changes}


# The page's field names differ from the API's where the API says more plainly what it is.
PAGE_NAMES = {"posts_per_day": "max_per_day", "min_gap_hours": "min_hours_between"}


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
class PolicyTestCase(OrgTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.item = make_item(cls.org, title="Solar plant opens")
        make_caption(cls.item, "linkedin", CAPTION)
        cls.tokens = {
            member.pk: make_token(member)[1]
            for member in (cls.alice_m, cls.paul_m, cls.maya_m, cls.amy_m, cls.oscar_m)
        }

    def setUp(self) -> None:
        super().setUp()
        traveller = time_machine.travel(WEDNESDAY_10, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def bearer(self, member: Any) -> dict[str, str]:
        token = self.tokens.get(member.pk) or make_token(member)[1]
        self.tokens[member.pk] = token
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def policy(self) -> SharingPolicy:
        return SharingPolicy.objects.get_or_create(org=self.org)[0]

    def set_policy(self, channel: str, **changes: Any) -> None:
        """Change the policy as Paul would, through the page or the API (API names)."""
        if channel == "page":
            self.login(self.paul)
            page_changes = {PAGE_NAMES.get(name, name): value for name, value in changes.items()}
            response = self.client.post(PAGE, form_data(self.policy(), **page_changes))
            self.assertRedirects(response, PAGE)
        else:
            response = self.client.patch(
                API, changes, content_type="application/json", **self.bearer(self.paul_m)
            )
            self.assertEqual(response.status_code, 200, response.content)

    def reset(self) -> None:
        SharingPolicy.objects.filter(org=self.org).delete()
        Share.objects.filter(org=self.org).delete()

    def compose(self, member: Any, text: str, *, network: str = "linkedin", when: str = "now"):  # type: ignore[no-untyped-def]
        self.client.force_login(member.user)
        url = reverse("compose", args=[self.org.slug, self.item.pk])
        return self.client.post(url, {"network": network, "text": text, "when": when})

    def share_by_api(self, member: Any, text: str, *, network: str = "linkedin", when: str = "now"):  # type: ignore[no-untyped-def]
        body = {"content": self.item.pk, "network": network, "text": text, "when": when}
        return self.client.post(
            "/api/v1/shares", body, content_type="application/json", **self.bearer(member)
        )

    def assert_both_refuse(self, text: str, reason: str) -> None:
        """The composer and POST /api/v1/shares both refuse, saying why; nothing is made."""
        before = Share.objects.count()
        page = self.compose(self.amy_m, text)
        self.assertEqual(page.status_code, 400)
        self.assertContains(page, reason, status_code=400)
        api = self.share_by_api(self.amy_m, text)
        self.assertEqual(api.status_code, 409, api.content)
        self.assertIn(reason, api.json()["detail"])
        self.assertEqual(Share.objects.count(), before)

    def assert_both_accept(self, text: str) -> None:
        """The composer and POST /api/v1/shares both make the share (then it is removed,
        so that one does not count against the other)."""
        page = self.compose(self.amy_m, text)
        self.assertEqual(page.status_code, 302, page.content[:2000])
        Share.objects.filter(membership=self.amy_m, status=Share.Status.DRAFT).delete()
        api = self.share_by_api(self.amy_m, text)
        self.assertEqual(api.status_code, 201, api.content)
        Share.objects.filter(membership=self.amy_m, status=Share.Status.DRAFT).delete()

    def channels(self) -> Iterator[str]:
        for channel in CHANNELS:
            with self.subTest(channel=channel):
                self.reset()
                yield channel


class PolicyEnforcedTests(PolicyTestCase):
    def test_requiring_own_words_refuses_a_copied_caption(self) -> None:
        for channel in self.channels():
            self.assert_both_accept(CAPTION)  # the default only warns
            self.set_policy(channel, originality="require", min_own_words=60)
            self.assert_both_refuse(CAPTION, "at least 60% of your own words")
            self.assert_both_accept(OWN)
            # The live panel says so too, with the same rule.
            self.login(self.amy)
            check = self.client.post(
                reverse("compose_check", args=[self.org.slug, self.item.pk]),
                {"network": "linkedin", "text": CAPTION},
            )
            self.assertContains(check, "at least 60% of your own words")

    def test_posts_per_day_refuses_the_second_post_that_day(self) -> None:
        for channel in self.channels():
            make_share(
                self.amy_m,
                self.item,
                network="linkedin",
                status=Share.Status.PUBLISHED,
                published_at=timezone.now().replace(hour=0, minute=30),
            )
            self.assert_both_accept(OWN)  # two a day by default
            self.set_policy(channel, posts_per_day=1)
            self.assert_both_refuse(OWN, "limit")
            # Another network has its own count.
            self.assertEqual(
                self.share_by_api(self.amy_m, OWN, network="facebook").status_code, 201
            )

    def test_min_gap_hours_keeps_posts_apart(self) -> None:
        for channel in self.channels():
            # The gap spaces the posts Chorus publishes for the person (a connected network).
            connection = make_connection(self.amy_m, "linkedin")
            make_share(
                self.amy_m,
                self.item,
                network="mastodon",
                status=Share.Status.PUBLISHED,
                published_at=timezone.now() - timedelta(minutes=90),
            )
            self.assert_both_refuse(OWN, "less than 3 hours away")  # 3 hours by default
            self.set_policy(channel, min_gap_hours=2)
            self.assert_both_refuse(OWN, "less than 2 hours away")
            self.set_policy(channel, min_gap_hours=1)
            self.assertEqual(self.compose(self.amy_m, OWN).status_code, 302)
            Share.objects.filter(membership=self.amy_m, status=Share.Status.SCHEDULED).delete()
            # What the person posts from their device is their call: the gap does not hold it.
            connection.delete()
            self.set_policy(channel, min_gap_hours=3)
            self.assert_both_accept(OWN)

    def test_quiet_hours_are_times_and_may_wrap_midnight(self) -> None:
        for channel in self.channels():
            self.assert_both_accept(OWN)  # 10:00 is outside 21:00-07:00
            self.set_policy(channel, quiet_start="09:30", quiet_end="10:15")
            self.assert_both_refuse(OWN, "quiet hours (09:30 – 10:15)")  # noqa: RUF001
            self.set_policy(channel, quiet_start="21:00", quiet_end="10:01")  # wraps midnight
            self.assert_both_refuse(OWN, "quiet hours (21:00 – 10:01)")  # noqa: RUF001
            self.set_policy(channel, quiet_start="10:00", quiet_end="10:00")  # none
            self.assert_both_accept(OWN)
            self.set_policy(channel, quiet_start="21:00", quiet_end="09:59")
            self.assert_both_accept(OWN)

    @skipUnless(HAS_TIME_ZONE, "Organization.time_zone is not there yet")
    def test_quiet_hours_are_read_in_the_organisations_time_zone(self) -> None:
        Organization.objects.filter(pk=self.org.pk).update(time_zone="Europe/Paris")
        for channel in self.channels():
            # 10:00 UTC is 11:00 in Paris in December.
            self.set_policy(channel, quiet_start="10:30", quiet_end="11:30")
            self.assert_both_refuse(OWN, "11:00 is in the quiet hours")
            self.set_policy(channel, quiet_start="09:30", quiet_end="10:30")
            self.assert_both_accept(OWN)

    def test_the_stagger_window_spreads_colleagues_good_times(self) -> None:
        colleagues = [
            make_member(self.org, user=make_user(f"colleague{number}@acme.example"))
            for number in range(8)
        ]
        for member in colleagues:
            make_connection(member, "mastodon")
        start = timezone.now()
        # The spreading is seeded by each share's idempotency key: numbered keys make the
        # draw the same at every run.
        numbers = itertools.count(1)
        keys = mock.patch.object(
            Share._meta.get_field("idempotency_key"),
            "_get_default",
            lambda: uuid.UUID(int=next(numbers)),
        )
        keys.start()
        self.addCleanup(keys.stop)
        for channel in self.channels():
            times = {}
            for stagger in (0, 240):
                Share.objects.filter(org=self.org).delete()
                self.set_policy(channel, stagger_minutes=stagger)
                for number, member in enumerate(colleagues):
                    # Half through the composer, half through the API.
                    if number % 2:
                        response = self.compose(member, OWN, network="mastodon", when="good")
                        self.assertEqual(response.status_code, 302)
                    else:
                        response = self.share_by_api(member, OWN, network="mastodon", when="good")
                        self.assertEqual(response.status_code, 201, response.content)
                times[stagger] = sorted(
                    Share.objects.filter(org=self.org, status=Share.Status.SCHEDULED).values_list(
                        "scheduled_for", flat=True
                    )
                )
                self.assertEqual(len(times[stagger]), 8)
            # No window: everyone in the first free ten-minute slots, two per slot.
            self.assertLess(times[0][-1], start + timedelta(minutes=60))
            # Four hours: the first one as soon as possible, the others over the window.
            self.assertLess(times[240][0], start + timedelta(minutes=30))
            self.assertGreater(times[240][-1], times[240][0] + timedelta(minutes=90))
            self.assertLess(times[240][-1], times[240][0] + timedelta(minutes=240 + 20))


class QuietHoursTests(PolicyTestCase):
    def test_is_quiet(self) -> None:
        wrap = (time(21), time(7))
        self.assertTrue(is_quiet(time(21), *wrap))
        self.assertTrue(is_quiet(time(23, 59), *wrap))
        self.assertTrue(is_quiet(time(0), *wrap))
        self.assertTrue(is_quiet(time(6, 59), *wrap))
        self.assertFalse(is_quiet(time(7), *wrap))
        self.assertFalse(is_quiet(time(20, 59), *wrap))
        day = (time(12, 30), time(13, 45))
        self.assertTrue(is_quiet(time(12, 30), *day))
        self.assertFalse(is_quiet(time(13, 45), *day))
        self.assertFalse(is_quiet(time(12, 29), *day))
        for moment in (time(0), time(9), time(23, 59)):
            self.assertFalse(is_quiet(moment, time(9), time(9)))

    def test_the_time_zone_helper(self) -> None:
        self.assertEqual(
            org_zone(SimpleNamespace(time_zone="Europe/Paris")), ZoneInfo("Europe/Paris")
        )  # type: ignore[arg-type]
        self.assertEqual(org_zone(SimpleNamespace()), ZoneInfo("UTC"))  # type: ignore[arg-type]
        self.assertEqual(org_zone(SimpleNamespace(time_zone="Mars/Olympus")), ZoneInfo("UTC"))  # type: ignore[arg-type]


class PolicyApiTests(PolicyTestCase):
    def test_get_answers_the_policy(self) -> None:
        response = self.client.get(API, **self.bearer(self.alice_m))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {
                "originality": "warn",
                "min_own_words": 30,
                "posts_per_day": 2,
                "min_gap_hours": 3,
                "quiet_start": "21:00",
                "quiet_end": "07:00",
                "stagger_minutes": 480,
                "time_zone": str(org_zone(self.org)),
            },
        )

    def test_a_partial_patch_changes_only_what_it_names_and_is_audited(self) -> None:
        response = self.client.patch(
            API,
            {"posts_per_day": 4, "quiet_end": "06:30"},
            content_type="application/json",
            **self.bearer(self.paul_m),
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            (response.json()["posts_per_day"], response.json()["quiet_end"]), (4, "06:30")
        )
        policy = self.policy()
        self.assertEqual(
            (policy.max_per_day, policy.quiet_end, policy.min_own_words), (4, time(6, 30), 30)
        )
        entry = AuditEntry.objects.get(org=self.org, action="policy.change")
        self.assertEqual(entry.actor, self.paul)
        self.assertEqual(entry.changes, {"max_per_day": [2, 4], "quiet_end": ["07:00", "06:30"]})
        # The same values again: nothing to record.
        self.client.patch(
            API, {"posts_per_day": 4}, content_type="application/json", **self.bearer(self.paul_m)
        )
        self.assertEqual(AuditEntry.objects.filter(action="policy.change").count(), 1)

    def test_a_bad_value_is_named_and_changes_nothing(self) -> None:
        self.set_policy("api", posts_per_day=3)
        before = form_data(self.policy())
        audits = AuditEntry.objects.count()
        for body, field in (
            ({"originality": "maybe"}, "originality"),
            ({"min_own_words": 101}, "min_own_words"),
            ({"min_own_words": -1}, "min_own_words"),
            ({"posts_per_day": 0}, "posts_per_day"),
            ({"posts_per_day": 21}, "posts_per_day"),
            ({"posts_per_day": "many"}, "posts_per_day"),
            ({"posts_per_day": None}, "posts_per_day"),
            ({"posts_per_day": 2.5}, "posts_per_day"),
            ({"min_gap_hours": 73}, "min_gap_hours"),
            ({"quiet_start": "25:00"}, "quiet_start"),
            ({"quiet_end": "7h"}, "quiet_end"),
            ({"quiet_end": 7}, "quiet_end"),
            ({"stagger_minutes": 1441}, "stagger_minutes"),
            ({"stagger_minutes": -5}, "stagger_minutes"),
            ({"colour": "blue"}, "colour"),
            # One good field and one bad: neither is applied.
            ({"posts_per_day": 5, "min_own_words": 200}, "min_own_words"),
        ):
            with self.subTest(body=body):
                response = self.client.patch(
                    API, body, content_type="application/json", **self.bearer(self.paul_m)
                )
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIn(field, response.json()["errors"])
                self.assertEqual(list(response.json()["errors"]), [field])
                self.assertEqual(form_data(self.policy()), before)
        self.assertEqual(AuditEntry.objects.count(), audits)

    def test_roles(self) -> None:
        for member in (self.amy_m, self.maya_m):
            with self.subTest(role=member.role):
                self.assertEqual(self.client.get(API, **self.bearer(member)).status_code, 403)
                response = self.client.patch(
                    API,
                    {"posts_per_day": 1},
                    content_type="application/json",
                    **self.bearer(member),
                )
                self.assertEqual(response.status_code, 403)
        self.assertEqual(self.client.get(API).status_code, 401)
        self.assertEqual(self.policy().max_per_day, 2)
        # The org admin may; another organisation's admin changes only their own policy.
        self.assertEqual(self.client.get(API, **self.bearer(self.alice_m)).status_code, 200)
        response = self.client.patch(
            API, {"posts_per_day": 7}, content_type="application/json", **self.bearer(self.oscar_m)
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(SharingPolicy.objects.get(org=self.other_org).max_per_day, 7)
        self.assertEqual(self.policy().max_per_day, 2)

    def test_the_openapi_document_gives_the_bounds(self) -> None:
        document = self.client.get("/api/v1/openapi.json").json()
        self.assertEqual(set(document["paths"][API]), {"get", "patch"})
        patch = document["components"]["schemas"]["PolicyPatch"]["properties"]
        self.assertEqual(
            (patch["min_own_words"]["minimum"], patch["min_own_words"]["maximum"]), (0, 100)
        )
        self.assertEqual(patch["originality"]["enum"], ["warn", "require"])
        self.assertEqual(patch["stagger_minutes"]["maximum"], 1440)
        self.assertIn("pattern", patch["quiet_start"])


class PolicyPageTests(PolicyTestCase):
    def test_program_managers_and_admins_change_it(self) -> None:
        for user in (self.paul, self.alice):
            self.login(user)
            response = self.client.get(PAGE)
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, 'name="quiet_start"')
            self.assertContains(response, 'value="21:00"')
        self.set_policy("page", originality="require", min_own_words=45, quiet_start="22:15")
        policy = self.policy()
        self.assertEqual(
            (policy.originality, policy.min_own_words, policy.quiet_start),
            ("require", 45, time(22, 15)),
        )
        entry = AuditEntry.objects.get(org=self.org, action="policy.change")
        self.assertEqual(
            entry.changes,
            {
                "originality": ["warn", "require"],
                "min_own_words": [30, 45],
                "quiet_start": ["21:00", "22:15"],
            },
        )

    def test_a_bad_value_changes_nothing(self) -> None:
        self.login(self.paul)
        before = form_data(self.policy())
        for bad in (
            {"min_own_words": "101"},
            {"max_per_day": "0"},
            {"min_hours_between": "abc"},
            {"quiet_start": "25:61"},
            {"quiet_end": ""},
            {"stagger_minutes": "2000"},
            {"originality": "always"},
        ):
            with self.subTest(bad=bad):
                # A good change alongside the bad one is not applied either.
                data = form_data(self.policy(), **{"max_per_day": "9", **bad})
                response = self.client.post(PAGE, data)
                self.assertEqual(response.status_code, 400)
                self.assertContains(response, 'class="error"', status_code=400)
                self.assertEqual(form_data(self.policy()), before)
        self.assertFalse(AuditEntry.objects.filter(action="policy.change").exists())

    def test_roles_outsiders_and_methods(self) -> None:
        for user in (self.amy, self.maya):
            self.login(user)
            self.assertEqual(self.client.get(PAGE).status_code, 403)
            self.assertEqual(self.client.post(PAGE, form_data(self.policy())).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.get(PAGE).status_code, 404)
        self.assertEqual(self.client.post(PAGE, form_data(self.policy())).status_code, 404)
        self.login(self.paul)
        self.assertEqual(self.client.put(PAGE).status_code, 405)
        self.client.logout()
        self.assertEqual(self.client.get(PAGE).status_code, 302)
        self.assertEqual(self.policy().max_per_day, 2)


class SettingsAreaTests(PolicyTestCase):
    index = "/o/acme/settings/"

    def test_the_index_links_every_settings_page(self) -> None:
        self.login(self.paul)
        response = self.client.get(self.index)
        self.assertEqual(response.status_code, 200)
        for name in ("sharing_policy", "analytics_settings", "link_settings", "digest_settings"):
            self.assertContains(response, f'href="{reverse(name, args=["acme"])}"')
        self.assertContains(
            response, f'href="{reverse("programme_health", args=["acme"])}#thresholds"'
        )
        # Reached from the menu, for those who may.
        self.assertContains(self.client.get("/o/acme/"), f'href="{self.index}"')
        self.login(self.amy)
        self.assertNotContains(self.client.get("/o/acme/"), f'href="{self.index}"')
        self.assertEqual(self.client.get(self.index).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.get(self.index).status_code, 404)

    def test_digest_defaults(self) -> None:
        url = reverse("digest_settings", args=["acme"])
        self.login(self.amy)
        self.assertEqual(
            self.client.post(url, {"default_frequency": "daily", "items": 3}).status_code, 403
        )
        self.login(self.oscar)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.login(self.paul)
        self.assertEqual(self.client.get(url).status_code, 200)
        for bad in (
            {"default_frequency": "hourly", "items": 3},
            {"default_frequency": "daily", "items": 11},
        ):
            with self.subTest(bad=bad):
                self.assertEqual(self.client.post(url, bad).status_code, 400)
        self.assertFalse(DigestSettings.objects.exists())
        self.assertRedirects(
            self.client.post(url, {"default_frequency": "monthly", "items": 3}), url
        )
        entry = AuditEntry.objects.get(action="digest.settings")
        self.assertEqual(
            entry.changes, {"default_frequency": ["weekly", "monthly"], "items": [5, 3]}
        )
        # A newcomer's profile starts with it.
        newcomer = make_member(self.org, user=make_user("new@acme.example"))
        self.client.force_login(newcomer.user)
        self.assertEqual(self.client.get(reverse("my_profile", args=["acme"])).status_code, 200)
        self.assertEqual(
            AmbassadorProfile.objects.get(membership=newcomer).digest, DigestFrequency.MONTHLY
        )

    def test_other_settings_pages_record_before_and_after(self) -> None:
        self.login(self.paul)
        AnalyticsSettings.objects.update_or_create(org=self.org, defaults={"regular_shares": 4})
        response = self.client.post(
            reverse("analytics_settings", args=["acme"]),
            {
                "currency": "EUR",
                "value_per_click": "1.50",
                "value_per_engagement": "0.30",
                "value_per_thousand_impressions": "8",
                "regular_shares": "6",
            },
        )
        self.assertEqual(response.status_code, 302)
        entry = AuditEntry.objects.get(action="analytics.settings")
        self.assertEqual(entry.changes["regular_shares"], [4, 6])


class AuditLogTests(PolicyTestCase):
    def test_policy_changes_read_in_the_readers_language(self) -> None:
        self.set_policy("api", posts_per_day=1, originality="require", min_gap_hours=0)
        self.login(self.alice)
        response = self.client.get("/o/acme/audit/")
        self.assertContains(response, "changed the sharing policy")
        self.assertContains(response, "Posts per day and network, at most:")
        self.assertContains(response, "Warn, the person decides")  # a choice, in words
        self.assertContains(response, ">0</span>")  # zero is a value, not "nothing"
        self.assertNotContains(response, "max_per_day")
        self.alice.language = "fr"
        self.alice.save(update_fields=["language"])
        # The request leaves French active in this thread: the next tests must not read it.
        self.addCleanup(translation.deactivate)
        response = self.client.get("/o/acme/audit/")
        self.assertEqual(response["Content-Language"], "fr")
        self.assertContains(response, "Publications par jour et par réseau, au maximum")
        self.assertContains(response, "Avertir, la personne décide")
        self.assertNotContains(response, "max_per_day")
