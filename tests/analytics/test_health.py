"""Programme health: each of the seven checks says ok, watch or act from the programme's own
data, with its figures and advice; thresholds change the verdicts; program managers see
it on a page and edit the thresholds; `chorus health-check` prints it."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest import mock

import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as database
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from chorus.analytics.health import (
    Check,
    Figure,
    Status,
    count_bursts,
    health_report,
    verdict,
)
from chorus.content.models import Suggestion
from chorus.feed.models import AmbassadorProfile
from chorus.links.models import LinkDay, TrackedLink
from chorus.orgs.models import AuditEntry, Membership, Organization, Role
from chorus.program.models import Cohort, HealthThresholds, Participation
from chorus.sharing.models import EngagementSnapshot, Share
from tests.base import OrgTestCase
from tests.factory import (
    backdate,
    make_campaign,
    make_item,
    make_member,
    make_org,
    make_suggestion,
    make_topic,
    make_user,
    publish,
)

# A Monday morning in the middle of a month.
NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)
KEYS = ["rollout", "parrot", "strategy", "adoption", "engagement", "cadence", "control"]


def report(org: Organization, now: datetime | None = None, **limits: Any) -> dict[str, Check]:
    """The checks by key, with the defaults changed by `limits`."""
    thresholds = HealthThresholds(org=org, **limits)
    return {check.key: check for check in health_report(org, now=now, thresholds=thresholds)}


def people(org: Organization, count: int, **fields: Any) -> list[Membership]:
    return [make_member(org, **fields) for _ in range(count)]


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


class FrozenTestCase(OrgTestCase):
    """The clock stands still at NOW for the whole class, its shared data included: periods
    of days and weeks never straddle a real midnight or month end."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.clock = time_machine.travel(NOW, tick=False)
        cls.clock.start()
        try:
            super().setUpClass()
        except BaseException:
            cls.clock.stop()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            super().tearDownClass()
        finally:
            cls.clock.stop()


class HealthTestCase(FrozenTestCase):
    """Each test builds its own small organisation, so the checks see only its data."""

    def setUp(self) -> None:
        self.acme2 = make_org()
        self.item = make_item(self.acme2)


# --- 1. Rollout in waves ------------------------------------------------------------------


class RolloutCheckTests(HealthTestCase):
    def enrol(
        self,
        cohort: Cohort | None,
        count: int,
        *,
        invited_days_ago: float,
        shared: int = 0,
        opted_in: int | None = None,
    ) -> list[Membership]:
        """`count` people invited into the cohort; `opted_in` of them joined (all by default)
        and the first `shared` of those published a share."""
        opted_in = count if opted_in is None else opted_in
        members = people(self.acme2, count, programme=None)
        for index, member in enumerate(members):
            joined = index < opted_in
            participation = Participation.objects.create(
                org=self.acme2,
                membership=member,
                cohort=cohort,
                status="active" if joined else "invited",
                opted_in_at=days_ago(invited_days_ago - 1) if joined else None,
            )
            backdate(participation, invited_at=days_ago(invited_days_ago))
            if joined and index < shared:
                publish(member, self.item, days_ago(invited_days_ago - 2))
        return members

    def cohort(self, kind: str, started_days_ago: int, name: str = "") -> Cohort:
        return Cohort.objects.create(
            org=self.acme2,
            name=name or f"{kind} {started_days_ago}",
            kind=kind,
            starts_on=timezone.localdate() - timedelta(days=started_days_ago),
        )

    def test_ok_a_pilot_at_a_slow_pace_whose_volunteers_all_shared(self) -> None:
        people(self.acme2, 10, programme=None)  # colleagues not invited yet
        self.enrol(self.cohort("pilot", 60), 4, invited_days_ago=60, shared=4)
        check = report(self.acme2)["rollout"]
        self.assertEqual(check.status, "ok")
        self.assertEqual(check.figure("rollout_pace"), 0)
        self.assertEqual(check.figure("pilot"), 1)
        self.assertEqual(check.figure("last_wave_activation"), 1.0)

    def test_watch_without_a_pilot(self) -> None:
        people(self.acme2, 10, programme=None)
        self.enrol(self.cohort("wave", 60), 4, invited_days_ago=60, shared=4)
        check = report(self.acme2)["rollout"]
        self.assertEqual(check.status, "watch")
        self.assertEqual(check.figure("pilot"), 0)
        self.assertIn("pilot", check.advice)

    def test_watch_when_part_of_the_last_wave_has_not_shared(self) -> None:
        people(self.acme2, 10, programme=None)
        self.enrol(self.cohort("pilot", 90), 2, invited_days_ago=90, shared=2)
        # The last wave that had time to begin: 2 of its 4 volunteers shared (50% < 60%).
        self.enrol(self.cohort("wave", 40), 5, invited_days_ago=40, shared=2, opted_in=4)
        check = report(self.acme2)["rollout"]
        self.assertEqual(check.status, "watch")
        self.assertEqual(check.figure("last_wave_activation"), 0.5)
        self.assertEqual(check.figure("last_wave_opt_in"), 0.8)

    def test_act_when_too_many_people_are_invited_at_once(self) -> None:
        people(self.acme2, 6, programme=None)
        pilot = self.cohort("pilot", 60)
        self.enrol(pilot, 2, invited_days_ago=60, shared=2)
        # 5 of 13 members invited this month: 38% > 30%.
        self.enrol(self.cohort("wave", 3), 5, invited_days_ago=3)
        check = report(self.acme2)["rollout"]
        self.assertEqual(check.status, "act")
        self.assertAlmostEqual(check.figure("rollout_pace"), 5 / 13)  # type: ignore[arg-type]
        # The new wave is too young to judge; the pilot is the last wave judged.
        self.assertEqual(check.figure("last_wave_activation"), 1.0)

    def test_act_when_the_last_wave_mostly_did_not_start(self) -> None:
        people(self.acme2, 10, programme=None)
        self.enrol(self.cohort("pilot", 45), 5, invited_days_ago=45, shared=1)
        check = report(self.acme2)["rollout"]
        self.assertEqual(check.status, "act")
        self.assertEqual(check.figure("last_wave_activation"), 0.2)

    def test_a_small_organisation_is_not_judged_on_pace_or_pilot(self) -> None:
        self.enrol(None, 4, invited_days_ago=2)
        check = report(self.acme2)["rollout"]
        self.assertEqual(check.status, "ok")
        self.assertEqual(check.figure("rollout_pace"), 1.0)
        self.assertIn("not judged", check.note)
        self.assertIsNone(check.figure("last_wave_activation"))

    def test_thresholds_change_the_verdict(self) -> None:
        people(self.acme2, 6, programme=None)
        self.enrol(self.cohort("pilot", 60), 2, invited_days_ago=60, shared=2)
        self.enrol(self.cohort("wave", 3), 5, invited_days_ago=3)
        self.assertEqual(report(self.acme2)["rollout"].status, "act")
        self.assertEqual(report(self.acme2, rollout_max_percent=50)["rollout"].status, "ok")


# --- 2. Parrot effect ---------------------------------------------------------------------


class ParrotCheckTests(HealthTestCase):
    def shares(self, parrots: int, total: int = 10) -> None:
        """`total` shares by different people, hours apart; the first `parrots` parrot."""
        for index, member in enumerate(people(self.acme2, total)):
            parrot = index < parrots
            publish(
                member,
                self.item,
                days_ago(10) + timedelta(hours=index),
                originality=0.1 if parrot and index % 2 else 0.9,
                near_duplicates=1 if parrot and not index % 2 else 0,
            )

    def test_ok_when_people_write_their_own_posts_at_different_times(self) -> None:
        self.shares(parrots=0)
        check = report(self.acme2)["parrot"]
        self.assertEqual((check.status, check.figure("parrot_index")), ("ok", 0))
        self.assertEqual(check.figure("bursts"), 0)

    def test_watch_from_ten_percent_of_parrots(self) -> None:
        self.shares(parrots=1)
        check = report(self.acme2)["parrot"]
        self.assertEqual((check.status, check.figure("parrot_index")), ("watch", 0.1))

    def test_watch_when_colleagues_post_the_same_item_together(self) -> None:
        self.shares(parrots=0)
        moment = days_ago(3)
        for minutes, member in zip((0, 4, 9), people(self.acme2, 3), strict=True):
            publish(member, self.item, moment + timedelta(minutes=minutes), originality=0.9)
        check = report(self.acme2)["parrot"]
        self.assertEqual((check.status, check.figure("bursts")), ("watch", 1))
        self.assertIn("spread", check.advice)
        # Three colleagues over 11 minutes are no burst with the default 10-minute window.
        self.assertEqual(report(self.acme2, burst_minutes=8)["parrot"].figure("bursts"), 0)

    def test_act_from_a_quarter_of_parrots(self) -> None:
        # Near-duplicates and texts with under 20% of own words both count.
        self.shares(parrots=3)
        check = report(self.acme2)["parrot"]
        self.assertEqual((check.status, check.figure("parrot_index")), ("act", 0.3))

    def test_too_few_shares_are_not_judged(self) -> None:
        self.shares(parrots=2, total=2)
        check = report(self.acme2)["parrot"]
        self.assertEqual((check.status, check.figure("parrot_index")), ("ok", 1.0))
        self.assertIn("Too few", check.note)

    def test_old_shares_are_outside_the_period(self) -> None:
        for member in people(self.acme2, 6):
            publish(member, self.item, days_ago(40), near_duplicates=2)
        self.assertEqual(report(self.acme2)["parrot"].figure("shares"), 0)

    def test_thresholds_change_the_verdict(self) -> None:
        self.shares(parrots=3)
        self.assertEqual(report(self.acme2, parrot_act_percent=50)["parrot"].status, "watch")
        self.assertEqual(
            report(self.acme2, parrot_watch_percent=40, parrot_act_percent=50)["parrot"].status,
            "ok",
        )

    def test_a_burst_needs_different_colleagues(self) -> None:
        member = make_member(self.acme2)
        moment = days_ago(1)
        for minutes in (0, 1, 2):
            publish(member, self.item, moment + timedelta(minutes=minutes))
        self.assertEqual(report(self.acme2)["parrot"].figure("bursts"), 0)
        self.assertEqual(count_bursts([], 3, 10), 0)


# --- 3. A strategy behind the tool --------------------------------------------------------


class StrategyCheckTests(HealthTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.topic = make_topic(self.acme2)
        self.item.topics.add(self.topic)

    def tagged_items(self, count: int) -> None:
        for _ in range(count):
            make_item(self.acme2).topics.add(self.topic)

    def test_ok_when_campaigns_have_aims_and_content_has_topics(self) -> None:
        make_campaign(self.acme2, kpis=["reach", "shares"])
        make_campaign(self.acme2, objective="recruiting", kpis=["applications"])
        self.tagged_items(4)
        check = report(self.acme2)["strategy"]
        self.assertEqual(check.status, "ok")
        self.assertEqual(check.figure("campaigns_without_aims"), 0)
        self.assertEqual(check.figure("content_without_topics"), 0)
        self.assertEqual(check.figure("content"), 5)

    def test_watch_when_some_content_has_no_topic(self) -> None:
        make_campaign(self.acme2, kpis=["reach"])
        self.tagged_items(8)
        make_item(self.acme2)  # one in ten without a topic
        check = report(self.acme2)["strategy"]
        self.assertEqual((check.status, check.figure("content_without_topics")), ("watch", 0.1))
        self.assertIn("topics", check.advice)

    def test_watch_when_content_is_published_without_any_campaign(self) -> None:
        # An ended campaign is not a current one.
        make_campaign(self.acme2, kpis=["reach"], ends_on=date.today() - timedelta(days=90))
        check = report(self.acme2)["strategy"]
        self.assertEqual((check.status, check.figure("campaigns")), ("watch", 0))

    def test_act_when_campaigns_lack_an_objective_or_kpis(self) -> None:
        make_campaign(self.acme2)  # no KPIs
        make_campaign(self.acme2, objective="", kpis=["reach"])
        make_campaign(self.acme2, kpis=["reach"])
        check = report(self.acme2)["strategy"]
        self.assertEqual(check.status, "act")
        self.assertAlmostEqual(check.figure("campaigns_without_aims"), 2 / 3)  # type: ignore[arg-type]
        self.assertIn("objective", check.advice)

    def test_act_when_most_content_has_no_topic(self) -> None:
        make_campaign(self.acme2, kpis=["reach"])
        make_item(self.acme2)
        make_item(self.acme2)
        check = report(self.acme2)["strategy"]
        self.assertAlmostEqual(check.figure("content_without_topics"), 2 / 3)  # type: ignore[arg-type]
        self.assertEqual(check.status, "act")

    def test_thresholds_change_the_verdict(self) -> None:
        make_campaign(self.acme2, kpis=["reach"])
        self.tagged_items(8)
        make_item(self.acme2)
        self.assertEqual(report(self.acme2, strategy_watch_percent=20)["strategy"].status, "ok")


# --- 4. Use of the tool -------------------------------------------------------------------


class AdoptionCheckTests(HealthTestCase):
    def programme(self, size: int, sharing: int) -> list[Membership]:
        members = people(self.acme2, size)
        for member in members[:sharing]:
            publish(member, self.item, days_ago(5))
        return members

    def test_ok_when_most_people_share_and_content_flows(self) -> None:
        self.programme(4, sharing=3)
        check = report(self.acme2)["adoption"]
        self.assertEqual((check.status, check.figure("adoption")), ("ok", 0.75))
        self.assertEqual(check.figure("participants"), 4)
        # One new item for 4 people over 30 days: 100 / 4 / (30 / 7), about 5.8 a week.
        self.assertAlmostEqual(check.figure("content_flow"), 100 / 4 / (30 / 7))  # type: ignore[arg-type]

    def test_watch_when_under_half_the_programme_shared(self) -> None:
        self.programme(5, sharing=2)
        check = report(self.acme2)["adoption"]
        self.assertEqual((check.status, check.figure("adoption")), ("watch", 0.4))

    def test_watch_when_content_flow_is_thin(self) -> None:
        self.programme(4, sharing=4)
        check = report(self.acme2, content_per_100_weekly=10)["adoption"]
        self.assertEqual(check.status, "watch")
        self.assertIn("content", check.advice)

    def test_act_when_few_people_use_the_tool(self) -> None:
        members = self.programme(5, sharing=1)
        # People who left, or shared before the period, do not count as using it.
        publish(members[1], self.item, days_ago(45))
        check = report(self.acme2)["adoption"]
        self.assertEqual((check.status, check.figure("adoption")), ("act", 0.2))

    def test_act_without_new_content(self) -> None:
        self.programme(2, sharing=2)
        backdate(self.item, created_at=days_ago(60))
        check = report(self.acme2)["adoption"]
        self.assertEqual((check.status, check.figure("content_flow")), ("act", 0))

    def test_nobody_in_the_programme_yet(self) -> None:
        people(self.acme2, 3, programme="invited")
        check = report(self.acme2)["adoption"]
        self.assertEqual((check.status, check.figure("adoption")), ("ok", None))
        self.assertIn("Nobody", check.note)

    def test_thresholds_change_the_verdict(self) -> None:
        self.programme(5, sharing=2)
        self.assertEqual(report(self.acme2, adoption_watch_percent=40)["adoption"].status, "ok")
        self.assertEqual(
            report(self.acme2, adoption_watch_percent=60, adoption_act_percent=50)[
                "adoption"
            ].status,
            "act",
        )


# --- 5. Engaging, not just relaying -------------------------------------------------------


class EngagementCheckTests(HealthTestCase):
    def shares(self, clicks: list[int], *, originality: float = 0.8, age: float = 5) -> None:
        """One share per entry, with a tracked link that got that many human clicks."""
        published = days_ago(age)
        for count, member in zip(clicks, people(self.acme2, len(clicks)), strict=True):
            link = TrackedLink.objects.create(
                org=self.acme2,
                ambassador=member,
                item=self.item,
                network="mastodon",
                url=self.item.url,
                destination=self.item.url,
            )
            publish(member, self.item, published, originality=originality, link=link)
            day = published.astimezone(UTC).date() + timedelta(days=1)
            LinkDay.objects.create(org=self.acme2, link=link, day=day, clicks=count, bot_clicks=9)

    def test_ok_when_shares_draw_engagement(self) -> None:
        self.shares([3, 1, 2, 5, 1, 0])
        check = report(self.acme2)["engagement"]
        self.assertEqual(check.status, "ok")
        self.assertAlmostEqual(check.figure("engagement_per_share"), 2.0)  # type: ignore[arg-type]
        self.assertAlmostEqual(check.figure("silent_shares"), 1 / 6)  # type: ignore[arg-type]
        self.assertEqual(check.figure("measured_shares"), 6)

    def test_watch_when_half_the_shares_draw_nothing(self) -> None:
        self.shares([3, 1, 2, 0, 0, 0])
        check = report(self.acme2)["engagement"]
        self.assertEqual((check.status, check.figure("silent_shares")), ("watch", 0.5))

    def test_act_when_most_shares_draw_nothing(self) -> None:
        self.shares([1, 0, 0, 0, 0, 0])
        check = report(self.acme2)["engagement"]
        self.assertEqual(check.status, "act")
        self.assertIn("relaying is not enough", check.advice)

    def test_own_words_against_plain_relays(self) -> None:
        self.shares([4, 4, 4], originality=0.9)
        self.shares([1, 1, 1], originality=0.05)
        check = report(self.acme2)["engagement"]
        self.assertAlmostEqual(check.figure("personal_vs_relay"), 4.0)  # type: ignore[arg-type]
        self.assertIn("4.0 times", check.advice)

    def test_recent_and_unmeasurable_shares_are_left_out(self) -> None:
        self.shares([0, 0, 0, 0, 0, 0], age=1)  # too young to judge
        for member in people(self.acme2, 6):
            publish(member, self.item, days_ago(5))  # no tracked link, no network counts
        check = report(self.acme2)["engagement"]
        self.assertEqual((check.status, check.figure("measured_shares")), ("ok", 0))
        self.assertIn("Too few", check.note)

    def test_thresholds_change_the_verdict(self) -> None:
        self.shares([1, 0, 0, 0, 0, 0])
        self.assertEqual(report(self.acme2, silent_act_percent=90)["engagement"].status, "watch")

    def test_interactions_on_the_network_count(self) -> None:
        for member in people(self.acme2, 5):
            share = publish(member, self.item, days_ago(5))
            EngagementSnapshot.objects.create(
                org=self.acme2, share=share, taken_at=days_ago(5), reactions=1
            )
            # Only the latest reading of a share counts.
            EngagementSnapshot.objects.create(
                org=self.acme2, share=share, taken_at=days_ago(4), reactions=2, comments=1
            )
        check = report(self.acme2)["engagement"]
        self.assertEqual((check.status, check.figure("engagement_per_share")), ("ok", 3.0))
        # A share with both: its network's interactions and its link's clicks add up.
        self.shares([4])
        share = Share.objects.filter(org=self.acme2, link__isnull=False).get()
        EngagementSnapshot.objects.create(org=self.acme2, share=share, comments=2)
        check = report(self.acme2)["engagement"]
        self.assertEqual(check.figure("engagement_per_share"), (5 * 3 + 6) / 6)


# --- 6. Quality over quantity -------------------------------------------------------------


class CadenceCheckTests(HealthTestCase):
    def programme(self, posts: list[int], *, target: int | None = 1) -> list[Membership]:
        """One person per entry, who published that many shares in the period."""
        members = people(self.acme2, len(posts))
        for count, member in zip(posts, members, strict=True):
            if target is not None:
                AmbassadorProfile.objects.create(
                    org=self.acme2, membership=member, weekly_cadence=target
                )
            for index in range(count):
                publish(member, self.item, days_ago(1 + index * 25 / max(count, 1)))
        return members

    def test_ok_when_people_post_regularly_within_their_targets(self) -> None:
        # A target of 1 a week: 5 posts in 30 days is 1.2 a week.
        self.programme([5, 4, 6, 5])
        check = report(self.acme2)["cadence"]
        self.assertEqual(check.status, "ok")
        self.assertEqual(check.figure("above_cadence"), 0)
        self.assertEqual(check.figure("far_below_target"), 0)
        self.assertIsNone(check.figure("quality_trend"))

    def test_watch_when_someone_posts_far_more_than_their_target(self) -> None:
        # 9 posts in 30 days is 2.1 a week, over twice a target of 1.
        self.programme([9, 5, 5, 5, 5, 5])
        check = report(self.acme2)["cadence"]
        self.assertEqual(check.status, "watch")
        self.assertAlmostEqual(check.figure("above_cadence"), 1 / 6)  # type: ignore[arg-type]

    def test_watch_when_half_the_programme_is_far_below_its_target(self) -> None:
        # Without a profile the target is 3 a week: 3 posts in 30 days is 0.7, under 25%.
        self.programme([12, 13, 3, 0], target=None)
        check = report(self.acme2)["cadence"]
        self.assertEqual((check.status, check.figure("far_below_target")), ("watch", 0.5))
        self.assertIn("far less", check.advice)

    def test_watch_when_quality_drops(self) -> None:
        members = self.programme([0, 0, 0, 0, 0])
        for member in members:
            publish(member, self.item, days_ago(40), originality=0.8)
            publish(member, self.item, days_ago(20), originality=0.5)
            publish(member, self.item, days_ago(10), originality=0.5)
        check = report(self.acme2)["cadence"]
        self.assertEqual(check.status, "watch")
        self.assertAlmostEqual(check.figure("quality_trend"), -30)  # type: ignore[arg-type]
        self.assertIn("own words", check.advice)

    def test_act_when_many_people_post_far_too_much(self) -> None:
        self.programme([9, 10, 5, 5])
        check = report(self.acme2)["cadence"]
        self.assertEqual((check.status, check.figure("above_cadence")), ("act", 0.5))

    def test_thresholds_change_the_verdict(self) -> None:
        self.programme([9, 10, 5, 5])
        self.assertEqual(report(self.acme2, over_cadence_factor=3)["cadence"].status, "ok")
        self.assertEqual(report(self.acme2, weekly_target=1)["cadence"].status, "act")


# --- 7. Room for people's own voice -------------------------------------------------------


class ControlCheckTests(HealthTestCase):
    def shares(self, unedited: int, total: int = 5) -> None:
        for index, member in enumerate(people(self.acme2, total)):
            publish(member, self.item, days_ago(3), originality=0.0 if index < unedited else 0.6)

    def suggestion(self, *, hours: float | None, age_days: float = 10) -> Suggestion:
        """A suggestion made `age_days` ago, decided after `hours` (None: still pending)."""
        member = Membership.objects.filter(org=self.acme2).first() or make_member(self.acme2)
        created = days_ago(age_days)
        suggestion = make_suggestion(member)
        decided = None if hours is None else created + timedelta(hours=hours)
        return backdate(
            suggestion,
            created_at=created,
            decided_at=decided,
            status="pending" if decided is None else "accepted",
        )

    def test_ok_when_people_edit_and_suggestions_are_answered_quickly(self) -> None:
        self.shares(unedited=1)
        self.suggestion(hours=3)
        self.suggestion(hours=20)
        check = report(self.acme2)["control"]
        self.assertEqual(check.status, "ok")
        self.assertEqual(check.figure("unedited_captions"), 0.2)
        self.assertEqual(check.figure("suggestion_decision_hours"), 11.5)
        self.assertIn("no approval", check.note)
        self.assertIn("make the suggested texts their own", check.advice)

    def test_watch_when_many_captions_are_left_unedited(self) -> None:
        self.shares(unedited=2)
        check = report(self.acme2)["control"]
        self.assertEqual((check.status, check.figure("unedited_captions")), ("watch", 0.4))
        self.assertIsNone(check.figure("suggestion_decision_hours"))

    def test_watch_when_suggestions_wait_days_for_a_decision(self) -> None:
        self.shares(unedited=0)
        # Still pending after three days: it counts with the time waited so far.
        self.suggestion(hours=None, age_days=3)
        check = report(self.acme2)["control"]
        self.assertEqual(check.status, "watch")
        self.assertAlmostEqual(check.figure("suggestion_decision_hours"), 72, places=0)  # type: ignore[arg-type]
        self.assertIn("suggestions", check.advice)

    def test_act_when_most_captions_are_left_unedited(self) -> None:
        self.shares(unedited=4)
        check = report(self.acme2)["control"]
        self.assertEqual((check.status, check.figure("unedited_captions")), ("act", 0.8))

    def test_act_when_suggestions_wait_over_a_week(self) -> None:
        self.suggestion(hours=200)
        self.suggestion(hours=190)
        self.suggestion(hours=2)
        check = report(self.acme2)["control"]
        self.assertEqual((check.status, check.figure("suggestion_decision_hours")), ("act", 190))
        self.assertIn("Too few", check.note)

    def test_thresholds_change_the_verdict(self) -> None:
        self.shares(unedited=4)
        self.assertEqual(report(self.acme2, unedited_act_percent=90)["control"].status, "watch")


# --- The report as a whole ----------------------------------------------------------------


class ReportTests(HealthTestCase):
    def test_the_verdict_is_the_worst_status_with_the_ok_advice_only_when_ok(self) -> None:
        self.assertEqual(timezone.now(), NOW)  # the clock stands still
        ok = verdict("cadence", [], ["Do this."], ["All fine."], figures=(), rule="r", closing="z")
        self.assertEqual(
            (ok.status, ok.advice, ok.number, ok.title),
            ("ok", "Do this. All fine. z", 6, "Quality over quantity"),
        )
        watch = verdict(
            "cadence", [Status.OK, Status.WATCH], ["Do this."], ["All fine."], figures=(), rule="r"
        )
        self.assertEqual((watch.status, watch.advice), ("watch", "Do this."))
        act = verdict(
            "control", [Status.ACT, Status.WATCH], [], ["All fine."], figures=(), rule="r"
        )
        self.assertEqual((act.status, act.advice, act.number), ("act", "", 7))

    def test_seven_checks_in_the_order_of_the_failures(self) -> None:
        checks = health_report(self.acme2)
        self.assertEqual([check.key for check in checks], KEYS)
        self.assertEqual([check.number for check in checks], list(range(1, 8)))
        for check in checks:
            self.assertIn(check.status, ("ok", "watch", "act"))
            self.assertTrue(check.advice)
            self.assertTrue(check.figures)

    def test_without_activity_the_advice_claims_nothing(self) -> None:
        checks = report(make_org())
        self.assertEqual({check.status for check in checks.values()}, {"ok"})
        self.assertIn("Nothing to judge yet", checks["rollout"].advice)
        self.assertIn("Too few shares", checks["parrot"].advice)
        self.assertIn("No campaign and no new content yet", checks["strategy"].advice)
        self.assertIn("Invite a first group", checks["adoption"].advice)
        self.assertIn("Too few measured shares", checks["engagement"].advice)
        self.assertIn("Invite a first group", checks["cadence"].advice)
        self.assertIn("Too little activity", checks["control"].advice)

    def test_an_organisations_saved_thresholds_are_used(self) -> None:
        self.item.topics.add(make_topic(self.acme2))
        make_campaign(self.acme2)  # no KPIs
        make_campaign(self.acme2, kpis=["reach"])
        self.assertEqual(health_report(self.acme2)[2].status, "act")
        HealthThresholds.objects.create(org=self.acme2, strategy_act_percent=60)
        self.assertEqual(health_report(self.acme2)[2].status, "watch")

    def test_figures_read_as_people_read_them(self) -> None:
        with translation.override("en"):
            self.assertEqual(Figure("a", "A", 0.254, "share").display, "25%")
            self.assertEqual(Figure("a", "A", None, "share").display, "—")
            self.assertEqual(Figure("a", "A", 11.5, "hours").display, "12 h")
            self.assertEqual(Figure("a", "A", 72, "hours").display, "3.0 days")
            self.assertEqual(Figure("a", "A", -30.2, "points").display, "\u221230 points")
            self.assertEqual(Figure("a", "A", 1, "flag").display, "yes")

    def test_a_fixed_moment_can_be_given(self) -> None:
        member = make_member(self.acme2)
        publish(member, self.item, datetime(2025, 3, 1, 12, tzinfo=UTC))
        then = report(self.acme2, now=datetime(2025, 3, 10, tzinfo=UTC))
        self.assertEqual(then["parrot"].figure("shares"), 1)
        self.assertEqual(report(self.acme2)["parrot"].figure("shares"), 0)


# --- The page -----------------------------------------------------------------------------


class HealthPageTests(FrozenTestCase):
    url = "/o/acme/programme/health/"
    save_url = "/o/acme/programme/health/thresholds/"

    def test_program_managers_see_the_seven_checks(self) -> None:
        make_campaign(self.org)  # no KPIs: act
        self.login(self.paul)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "program/_health.html")
        self.assertEqual([check.key for check in response.context["checks"]], KEYS)
        for title in ("Parrot effect", "A strategy behind the tool", "Room for people"):
            self.assertContains(response, title)
        self.assertContains(response, 'id="health-strategy" data-status="act"')
        self.assertContains(response, "Give every campaign an objective")
        self.assertContains(response, "PostBeyond")  # the cited rule of thumb
        self.assertContains(response, 'action="/o/acme/programme/health/thresholds/"')
        # The organisation's admin may too.
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url).status_code, 200)

    def test_the_page_follows_the_persons_language(self) -> None:
        french = make_member(self.org, Role.PROGRAM_MANAGER, make_user(language="fr"))
        self.login(french.user)
        response = self.client.get(self.url)
        self.assertEqual(response["Content-Language"], "fr")
        self.assertEqual(len(response.context["checks"]), 7)

    def test_ambassadors_and_team_managers_are_refused(self) -> None:
        for user in (self.amy, self.maya):
            self.login(user)
            self.assertEqual(self.client.get(self.url).status_code, 403)
            self.assertEqual(self.client.post(self.save_url, {}).status_code, 403)

    def test_outsiders_get_404(self) -> None:
        self.login(self.oscar)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.save_url, {}).status_code, 404)

    def test_anonymous_visitors_are_sent_to_log_in(self) -> None:
        self.assertEqual(self.client.get(self.url).status_code, 302)

    def test_wrong_methods(self) -> None:
        self.login(self.paul)
        self.assertEqual(self.client.post(self.url).status_code, 405)
        self.assertEqual(self.client.get(self.save_url).status_code, 405)

    def form_data(self, **changes: Any) -> dict[str, Any]:
        from chorus.analytics.health_forms import HealthThresholdsForm

        defaults = HealthThresholds(org=self.org)
        data = {name: getattr(defaults, name) for name in HealthThresholdsForm.Meta.fields}
        return {**data, **changes}

    def test_thresholds_are_saved_and_change_the_verdict(self) -> None:
        make_campaign(self.org)  # no KPIs
        make_campaign(self.org, kpis=["reach"])
        self.login(self.paul)
        self.assertContains(self.client.get(self.url), 'id="health-strategy" data-status="act"')
        response = self.client.post(self.save_url, self.form_data(strategy_act_percent=60))
        self.assertRedirects(response, self.url)
        self.assertEqual(HealthThresholds.objects.get(org=self.org).strategy_act_percent, 60)
        entry = AuditEntry.objects.get(org=self.org, action="health.thresholds")
        self.assertEqual(entry.changes, {"strategy_act_percent": [50, 60]})
        page = self.client.get(self.url)
        self.assertContains(page, 'id="health-strategy" data-status="watch"')
        # Saving again updates the one row.
        self.client.post(self.save_url, self.form_data(strategy_act_percent=90))
        self.assertEqual(HealthThresholds.objects.filter(org=self.org).count(), 1)

    def test_inconsistent_or_out_of_range_thresholds_are_refused(self) -> None:
        self.login(self.paul)
        for bad in (
            {"parrot_watch_percent": 30, "parrot_act_percent": 20},
            {"adoption_watch_percent": 20, "adoption_act_percent": 40},
            {"silent_act_percent": 150},
            {"window_days": 1},
            {"weekly_target": ""},
        ):
            with self.subTest(bad=bad):
                response = self.client.post(self.save_url, self.form_data(**bad))
                self.assertEqual(response.status_code, 400)
                self.assertContains(response, 'class="error"', status_code=400)
                self.assertContains(response, 'id="thresholds" open', status_code=400)
                self.assertContains(response, "were not saved", status_code=400)
        self.assertFalse(HealthThresholds.objects.filter(org=self.org).exists())

    def test_the_page_costs_the_same_queries_however_much_data(self) -> None:
        self.login(self.paul)
        item = make_item(self.org)
        publish(self.amy_m, item, days_ago(3))
        self.client.get(self.url)  # warm caches (sessions, content types)
        with CaptureQueriesContext(database) as few:
            self.assertEqual(self.client.get(self.url).status_code, 200)
        for member in people(self.org, 8):
            AmbassadorProfile.objects.create(org=self.org, membership=member)
            make_suggestion(member)
            publish(member, make_item(self.org), days_ago(4))
            publish(member, item, days_ago(35))
        with CaptureQueriesContext(database) as many:
            self.assertEqual(self.client.get(self.url).status_code, 200)
        self.assertEqual(len(few), len(many))

    def test_the_include_links_to_the_full_page(self) -> None:
        from django.template.loader import render_to_string

        html = render_to_string(
            "program/_health.html", {"checks": health_report(self.org), "org": self.org}
        )
        self.assertIn('href="/o/acme/programme/health/"', html)
        self.assertEqual(html.count('class="card"'), 7)


# --- The command --------------------------------------------------------------------------


class HealthCommandTests(FrozenTestCase):
    def run_command(self, *args: str) -> str:
        out = io.StringIO()
        call_command("health-check", *args, stdout=out)
        return out.getvalue()

    def test_json_lists_the_checks_with_english_advice(self) -> None:
        make_campaign(self.org)
        with translation.override("fr"):
            output = self.run_command("--org", "acme", "--json")
        checks = json.loads(output)
        self.assertEqual([check["key"] for check in checks], KEYS)
        for check in checks:
            self.assertEqual(set(check), {"key", "status", "figures", "advice"})
            self.assertIn(check["status"], ("ok", "watch", "act"))
            self.assertIsInstance(check["figures"], dict)
        strategy = checks[2]
        self.assertEqual(strategy["status"], "act")
        self.assertEqual(strategy["figures"]["campaigns_without_aims"], 1.0)
        self.assertIn("Give every campaign an objective", strategy["advice"])
        self.assertEqual(checks[3]["figures"]["participants"], 4)

    def test_text_output(self) -> None:
        make_campaign(self.org)
        output = self.run_command("--org", "acme")
        self.assertIn("[ACT] 3. A strategy behind the tool", output)
        self.assertIn("Campaigns without objective or KPIs: 100%", output)

    def test_an_unknown_organisation_is_a_clear_error(self) -> None:
        with self.assertRaisesMessage(CommandError, "No organisation with the slug 'nope'"):
            self.run_command("--org", "nope", "--json")
        # From the command line, CommandError ends the process with exit code 1.
        from django.core.management import ManagementUtility

        # run_from_argv closes every database connection when it ends, which would close
        # the test's own connection on PostgreSQL: keep it open.
        with (
            mock.patch("django.db.connections.close_all"),
            self.assertRaises(SystemExit) as exit_info,
        ):
            ManagementUtility(["chorus", "health-check", "--org", "nope"]).execute()
        self.assertEqual(exit_info.exception.code, 1)


class DashboardPanelTests(FrozenTestCase):
    def test_the_dashboard_loads_the_checks_as_a_panel(self) -> None:
        self.login(self.paul)
        page = self.client.get("/o/acme/dashboard/")
        self.assertContains(page, 'hx-get="/o/acme/programme/health/?panel=1"')
        panel = self.client.get("/o/acme/programme/health/?panel=1")
        self.assertEqual(panel.status_code, 200)
        self.assertNotContains(panel, "<html")
        self.assertEqual(len(panel.context["checks"]), 7)
        self.login(self.amy)
        self.assertEqual(self.client.get("/o/acme/programme/health/?panel=1").status_code, 403)
