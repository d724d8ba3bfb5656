"""The onboarding checklist, each step completed by its real action through the real page,
and the team view where managers follow their people and nudge them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import time_machine
from django.db import connection as database
from django.test.utils import CaptureQueriesContext

from chorus.engage.onboarding import checklist, checklists
from chorus.feed.models import AmbassadorProfile
from chorus.integrations.base import Account
from chorus.notify.models import Notification
from chorus.orgs.models import Membership, Role
from chorus.sharing.actions import do_connect
from chorus.sharing.models import Connection, Share
from tests.base import OrgTestCase
from tests.factory import (
    make_connection,
    make_item,
    make_member,
    make_resource,
    make_share,
    make_team,
    make_topic,
)

# A Wednesday morning: outside the sharing policy's quiet hours.
WEDNESDAY_MORNING = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


class StepTests(OrgTestCase):
    """Each step goes from not done to done through the action a person really takes, and
    leaves the other steps as they were."""

    profile_url = "/o/acme/me/"

    def setUp(self) -> None:
        self.topic = make_topic(self.org, "Cloud")
        self.guide = make_resource(self.org, is_guide=True, titles={"en": "Ambassador guide"})
        self.login(self.amy)

    def steps(self) -> dict[str, bool]:
        return {step.key: step.done for step in checklist(self.amy_m).steps}

    def assert_only_step_done(self, key: str, before: dict[str, bool]) -> None:
        after = self.steps()
        self.assertFalse(before[key], key)
        self.assertTrue(after[key], key)
        self.assertEqual(
            {other: done for other, done in after.items() if other != key},
            {other: done for other, done in before.items() if other != key},
        )

    def post_profile(self, **fields: Any) -> None:
        data = {"languages": ["en"], "weekly_cadence": 2, "digest": "weekly", **fields}
        response = self.client.post(self.profile_url, data)
        self.assertEqual(response.status_code, 302, getattr(response, "context", None))

    def test_nothing_is_done_at_first(self) -> None:
        state = checklist(self.amy_m)
        self.assertEqual(
            [step.key for step in state.steps], ["profile", "topics", "network", "guide", "share"]
        )
        self.assertEqual((state.done, state.total, state.complete), (0, 5, False))

    def test_profile_step_needs_languages_a_network_with_its_audience_and_a_topic(self) -> None:
        # Topics chosen first, so that this test watches the profile step alone.
        self.post_profile(interests=[self.topic.pk])
        before = self.steps()
        self.assertEqual((before["profile"], before["topics"]), (False, True))
        # Ticking a network without saying who follows there is not enough.
        self.post_profile(interests=[self.topic.pk], net_linkedin="on")
        self.assertFalse(self.steps()["profile"])
        self.post_profile(
            interests=[self.topic.pk],
            languages=["en", "fr"],
            net_linkedin="on",
            size_linkedin="medium",
            who_linkedin=["clients"],
        )
        self.assert_only_step_done("profile", before)

    def test_topics_step(self) -> None:
        before = self.steps()
        # A topic of expertise counts for this step (the profile step needs an interest).
        self.post_profile(expertise=[self.topic.pk])
        self.assert_only_step_done("topics", before)
        self.assertFalse(self.steps()["profile"])

    def test_network_step(self) -> None:
        # The real connect flows (Bluesky, Mastodon, LinkedIn, X) end in _save_connection
        # and are tested against their servers in tests/sharing.
        expired = make_connection(self.amy_m, "bluesky")
        expired.status = Connection.Status.EXPIRED
        expired.save(update_fields=["status"])
        before = self.steps()
        self.assertFalse(before["network"], "an expired connection does not count")
        do_connect(
            self.amy_m,
            "mastodon",
            Account(remote_id="1", handle="@amy@mastodon.example"),
            {"access_token": "token", "instance": "https://mastodon.example"},
        )
        self.assert_only_step_done("network", before)

    def test_guide_step(self) -> None:
        other = make_resource(self.org, titles={"en": "Writing tips"})
        self.client.post(f"/o/acme/resources/{other.pk}/")
        before = self.steps()
        self.assertFalse(before["guide"], "reading another resource is not the guide")
        page = self.client.get(f"/o/acme/resources/{self.guide.pk}/")
        self.assertContains(page, "I have read it")
        response = self.client.post(f"/o/acme/resources/{self.guide.pk}/")
        self.assertRedirects(response, "/o/acme/start/")
        self.assert_only_step_done("guide", before)
        self.assertNotContains(
            self.client.get(f"/o/acme/resources/{self.guide.pk}/"), "I have read it"
        )

    @time_machine.travel(WEDNESDAY_MORNING, tick=False)
    def test_share_step_through_a_confirmed_share_intent(self) -> None:
        item = make_item(self.org)
        make_share(
            self.amy_m,
            item,
            status=Share.Status.SCHEDULED,
            scheduled_for=WEDNESDAY_MORNING + timedelta(days=2),
        )
        before = self.steps()
        self.assertFalse(before["share"], "a scheduled share is not a share yet")
        # No LinkedIn connection: the composer makes an intent the person posts themselves.
        response = self.client.post(
            f"/o/acme/compose/{item.pk}/",
            {
                "network": "linkedin",
                "text": "Why this matters to the people I work with: it saves them a day a week.",
                "when": "now",
            },
        )
        share = Share.objects.get(membership=self.amy_m, network="linkedin")
        self.assertRedirects(response, f"/o/acme/shares/{share.pk}/intent/")
        self.assertEqual((share.method, share.status), (Share.Method.INTENT, Share.Status.DRAFT))
        self.assertEqual(self.steps(), before, "an intent counts once confirmed")
        response = self.client.post(
            f"/o/acme/shares/{share.pk}/intent/",
            {"post_url": "https://www.linkedin.com/feed/update/urn:li:activity:1/"},
        )
        self.assertEqual(response.status_code, 302)
        share.refresh_from_db()
        self.assertEqual(share.status, Share.Status.PUBLISHED)
        self.assert_only_step_done("share", before)


class ChecklistTests(OrgTestCase):
    def test_no_guide_step_without_a_guide(self) -> None:
        make_resource(self.org, titles={"en": "Not the guide"})
        state = checklist(self.amy_m)
        self.assertIsNone(state.step("guide"))
        self.assertEqual(state.total, 4)
        guide = make_resource(self.org, is_guide=True)
        step = checklist(self.amy_m).step("guide")
        assert step is not None
        self.assertEqual(step.url, f"/o/acme/resources/{guide.pk}/")

    def test_start_page_shows_done_and_undone_steps(self) -> None:
        guide = make_resource(self.org, is_guide=True)
        make_connection(self.amy_m, "mastodon")
        self.login(self.amy)
        page = self.client.get("/o/acme/start/")
        self.assertContains(page, 'data-step="network" data-done="yes"')
        self.assertContains(page, 'data-step="guide" data-done="no"')
        self.assertContains(page, f'<a href="/o/acme/resources/{guide.pk}/">')
        self.assertContains(page, "1 of 5 done")
        self.client.post(f"/o/acme/resources/{guide.pk}/")
        page = self.client.get("/o/acme/start/")
        self.assertContains(page, 'data-step="guide" data-done="yes"')
        self.assertContains(page, "2 of 5 done")

    def test_each_undone_step_links_to_where_it_is_done(self) -> None:
        guide = make_resource(self.org, is_guide=True)
        urls = {step.key: step.url for step in checklist(self.amy_m).steps}
        self.assertEqual(
            urls,
            {
                "profile": "/o/acme/me/",
                "topics": "/o/acme/me/#about-heading",
                "network": "/o/acme/networks/",
                "guide": f"/o/acme/resources/{guide.pk}/",
                "share": "/o/acme/feed/",
            },
        )
        self.login(self.amy)
        self.assertContains(self.client.get("/o/acme/me/"), 'id="about-heading"')

    def test_start_page_roles_and_methods(self) -> None:
        self.login(self.oscar)
        self.assertEqual(self.client.get("/o/acme/start/").status_code, 404)
        self.login(self.amy)
        self.assertEqual(self.client.post("/o/acme/start/").status_code, 405)
        outsider = make_member(self.org, programme=None)
        self.login(outsider.user)
        self.assertContains(self.client.get("/o/acme/start/"), "not in the ambassador programme")

    def test_query_count_does_not_grow_with_the_number_of_members(self) -> None:
        make_resource(self.org, is_guide=True)
        topic = make_topic(self.org)
        item = make_item(self.org)

        def members(count: int) -> list[Any]:
            made = []
            for _number in range(count):
                member = make_member(self.org)
                make_connection(member, "mastodon")
                make_share(member, item, status=Share.Status.PUBLISHED)
                profile = AmbassadorProfile.objects.create(
                    org=self.org, membership=member, languages=["en"], networks={}
                )
                profile.interests.add(topic)
                made.append(member)
            return made

        counts = []
        for group in (members(3), members(12)):
            with CaptureQueriesContext(database) as queries:
                states = checklists(self.org, group)
            self.assertEqual(len(states), len(group))
            self.assertTrue(all(state.done == 3 for state in states.values()))
            counts.append(len(queries))
        self.assertEqual(counts[0], counts[1])


class TeamOnboardingTests(OrgTestCase):
    url = "/o/acme/programme/onboarding/"

    def setUp(self) -> None:
        self.other_team = make_team(self.org, "Marketing")
        self.bob_m = make_member(self.org, team=self.other_team)

    def members_shown(self) -> set[int]:
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        return {row["member"].pk for row in response.context["rows"]}

    def test_team_manager_sees_only_her_teams_and_programme_sees_everyone(self) -> None:
        self.login(self.maya)
        self.assertEqual(self.members_shown(), {self.maya_m.pk, self.amy_m.pk})
        self.login(self.paul)
        self.assertEqual(
            self.members_shown(),
            {self.alice_m.pk, self.paul_m.pk, self.maya_m.pk, self.amy_m.pk, self.bob_m.pk},
        )

    def test_roles(self) -> None:
        self.login(self.amy)
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.assertEqual(self.client.post(f"{self.url}{self.maya_m.pk}/nudge/").status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(f"{self.url}{self.amy_m.pk}/nudge/").status_code, 404)
        self.login(self.paul)
        self.assertEqual(self.client.post(self.url).status_code, 405)
        self.assertEqual(self.client.get(f"{self.url}{self.amy_m.pk}/nudge/").status_code, 405)
        self.assertEqual(self.client.post(f"{self.url}{self.oscar_m.pk}/nudge/").status_code, 404)
        self.assertEqual(self.client.post(f"{self.url}999999/nudge/").status_code, 404)
        self.assertFalse(Notification.objects.exists())

    def nudge(self, member: Any) -> Any:
        return self.client.post(f"{self.url}{member.pk}/nudge/", follow=True)

    def test_nudge_sends_the_next_step(self) -> None:
        self.login(self.maya)
        response = self.nudge(self.amy_m)
        self.assertRedirects(response, self.url)
        self.assertContains(response, "Nudge sent.")
        notification = Notification.objects.get(membership=self.amy_m)
        self.assertEqual(
            (notification.kind, notification.url), (Notification.Kind.NUDGE, "/o/acme/me/")
        )
        self.assertIn("Maya", notification.message)
        self.assertIn("complete your ambassador profile", notification.message)
        self.login(self.amy)
        self.assertContains(self.client.get("/o/acme/notifications/"), "Maya")

    def test_nudge_is_at_most_once_a_day(self) -> None:
        self.login(self.paul)
        with time_machine.travel(WEDNESDAY_MORNING, tick=False):
            self.nudge(self.amy_m)
        with time_machine.travel(WEDNESDAY_MORNING + timedelta(hours=23), tick=False):
            self.assertContains(self.nudge(self.amy_m), "Already nudged")
            self.login(self.maya)
            self.assertContains(self.nudge(self.amy_m), "Already nudged")
        self.assertEqual(Notification.objects.filter(membership=self.amy_m).count(), 1)
        with time_machine.travel(WEDNESDAY_MORNING + timedelta(hours=25), tick=False):
            self.assertContains(self.nudge(self.amy_m), "Nudge sent.")
        self.assertEqual(Notification.objects.filter(membership=self.amy_m).count(), 2)

    def test_no_nudge_for_people_outside_the_programme(self) -> None:
        self.login(self.maya)
        for status in ("invited", "declined", "left", None):
            member = make_member(self.org, team=self.team, programme=status)
            response = self.nudge(member)
            self.assertContains(
                response, "Only people who joined the programme", msg_prefix=str(status)
            )
        self.assertFalse(Notification.objects.exists())

    def test_nudging_is_not_limited_to_the_people_listed(self) -> None:
        self.login(self.paul)
        with mock.patch("chorus.engage.onboarding_views.TEAM_VIEW_LIMIT", 1):
            self.assertEqual(len(self.client.get(self.url).context["rows"]), 1)
            self.assertContains(self.nudge(self.bob_m), "Nudge sent.")
        self.assertTrue(Notification.objects.filter(membership=self.bob_m).exists())

    def test_team_page_query_count_does_not_grow(self) -> None:
        self.login(self.paul)
        counts = []
        for number in (6, 15):
            while Membership.objects.filter(org=self.org).count() < number:
                member = make_member(self.org, team=self.other_team)
                make_connection(member, "mastodon")
            with CaptureQueriesContext(database) as queries:
                self.assertEqual(len(self.client.get(self.url).context["rows"]), number)
            counts.append(len(queries))
        self.assertEqual(counts[0], counts[1])

    def test_team_manager_cannot_nudge_outside_her_teams(self) -> None:
        self.login(self.maya)
        self.assertEqual(self.client.post(f"{self.url}{self.bob_m.pk}/nudge/").status_code, 403)
        self.assertFalse(Notification.objects.exists())

    def test_nothing_to_nudge_when_onboarding_is_complete(self) -> None:
        member = make_member(self.org, Role.AMBASSADOR, team=self.team)
        item = make_item(self.org)
        make_connection(member, "mastodon")
        make_share(member, item, status=Share.Status.PUBLISHED)
        profile = AmbassadorProfile.objects.create(
            org=self.org,
            membership=member,
            languages=["en"],
            networks={"mastodon": {"size": "small", "who": []}},
        )
        profile.interests.add(make_topic(self.org))
        self.assertTrue(checklist(member).complete)
        self.login(self.maya)
        self.assertContains(self.nudge(member), "nothing to nudge about")
        self.assertFalse(Notification.objects.exists())
