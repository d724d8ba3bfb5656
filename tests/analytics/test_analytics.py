"""The programme dashboard: every figure equals the same figure computed from raw events.

A seeded organisation (tests/factory.make_dataset) gets shares, clicks (bots
among them) and conversions across teams, campaigns, networks and days; the rollups are
built the way the worker builds them; then each figure of `chorus.analytics.figures` is
compared with a plain Python count over the raw rows, for many scopes. The suite runs on
SQLite and on PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import time_machine
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.urls import reverse

from chorus.analytics import figures, rollups
from chorus.analytics.figures import Measures, Scope
from chorus.analytics.models import (
    AnalyticsSettings,
    DirtyDay,
    Level,
    MemberMonth,
    SegmentDay,
    ShareDay,
)
from chorus.links.models import Click, Conversion
from chorus.orgs.models import Membership
from chorus.program.models import Participation
from chorus.sharing.models import EngagementSnapshot, Share
from tests.base import OrgTestCase
from tests.factory import make_dataset, make_item, make_member

NOW = datetime(2026, 6, 15, 15, 30, tzinfo=UTC)
TODAY = NOW.date()
MIDPOINTS = {"small": 250, "medium": 1250, "large": 6000, "huge": 20000}


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


class Raw:
    """The figures computed directly from raw events, the slow and obvious way."""

    def __init__(self, org: Any) -> None:
        self.org = org
        self.teams = dict(Membership.objects.filter(org=org).values_list("pk", "team_id"))
        self.shares = list(
            Share.objects.filter(org=org, status=Share.Status.PUBLISHED).select_related(
                "item", "membership__profile"
            )
        )
        self.clicks = list(Click.objects.filter(org=org).select_related("link"))
        self.conversions = list(Conversion.objects.filter(org=org))
        self.engagement: dict[int, tuple[int, int]] = {}
        for snapshot in EngagementSnapshot.objects.filter(org=org).order_by("taken_at", "id"):
            self.engagement[snapshot.share_id] = (
                snapshot.reactions + snapshot.comments + snapshot.reposts + snapshot.quotes,
                snapshot.impressions or 0,
            )

    def share_keys(self, share: Share) -> dict[str, Any]:
        return {
            "day": utc_day(share.published_at),  # type: ignore[arg-type]
            "team": self.teams.get(share.membership_id) if share.membership_id else None,
            "campaign": share.item.campaign_id,
            "network": share.network,
            "item": share.item_id,
            "membership": share.membership_id,
        }

    def click_keys(self, click: Click) -> dict[str, Any]:
        link = click.link
        return {
            "day": utc_day(click.occurred_at),
            "team": self.teams.get(link.ambassador_id) if link.ambassador_id else None,
            "campaign": link.campaign_id,
            "network": link.network,
            "item": link.item_id,
            "membership": link.ambassador_id,
        }

    def conversion_keys(self, conversion: Conversion) -> dict[str, Any]:
        return {
            "day": utc_day(conversion.occurred_at),
            "team": self.teams.get(conversion.ambassador_id) if conversion.ambassador_id else None,
            "campaign": conversion.campaign_id,
            "network": conversion.network,
            "item": conversion.item_id,
            "membership": conversion.ambassador_id,
        }

    @staticmethod
    def inside(keys: dict[str, Any], scope: Scope) -> bool:
        return (
            scope.start <= keys["day"] <= scope.end
            and (scope.team_id is None or keys["team"] == scope.team_id)
            and (scope.campaign_id is None or keys["campaign"] == scope.campaign_id)
            and (not scope.network or keys["network"] == scope.network)
            and (scope.membership_id is None or keys["membership"] == scope.membership_id)
        )

    def reach(self, share: Share) -> int:
        if share.membership is None:
            return 0
        profile = getattr(share.membership, "profile", None)
        size = (profile.networks.get(share.network) or {}).get("size") if profile else None
        return MIDPOINTS.get(size, 0)  # type: ignore[arg-type]

    def measures(self, scope: Scope, by: str | None = None) -> dict[Any, dict[str, Any]]:
        """{value of `by` (None for totals): measures as a dict}"""
        found: dict[Any, dict[str, Any]] = defaultdict(lambda: Measures().as_dict())
        visitors: dict[Any, set[tuple[int, date, str]]] = defaultdict(set)
        for share in self.shares:
            keys = self.share_keys(share)
            if not self.inside(keys, scope):
                continue
            row = found[keys[by] if by else None]
            row["shares"] += 1
            if share.method == "api":
                row["api_shares"] += 1
            if (
                share.originality is not None
                and share.originality >= 0.3
                and share.near_duplicates == 0
            ):
                row["original_shares"] += 1
            if share.originality is not None:
                row["originality_sum"] += share.originality
                row["originality_count"] += 1
            row["potential_reach"] += self.reach(share)
            interactions, impressions = self.engagement.get(share.pk, (0, 0))
            row["engagement"] += interactions
            row["impressions"] += impressions
        for click in self.clicks:
            keys = self.click_keys(click)
            if not self.inside(keys, scope):
                continue
            key = keys[by] if by else None
            row = found[key]
            if click.is_bot:
                row["bot_clicks"] += 1
            else:
                row["clicks"] += 1
                visitors[key].add((click.link_id, keys["day"], click.visitor))
        for key, seen in visitors.items():
            found[key]["unique_visitors"] = len(seen)
        for conversion in self.conversions:
            keys = self.conversion_keys(conversion)
            if not self.inside(keys, scope):
                continue
            row = found[keys[by] if by else None]
            row["conversions"] += 1
            row["leads"] += conversion.kind == "lead"
            row["conversion_value"] += conversion.value or Decimal(0)
        return dict(found)

    def active(self, scope: Scope, by: str | None = None) -> dict[Any, set[int]]:
        people: dict[Any, set[int]] = defaultdict(set)
        for share in self.shares:
            keys = self.share_keys(share)
            if share.membership_id and self.inside(keys, scope):
                people[keys[by] if by else None].add(share.membership_id)
        return people

    def shares_per_person(self, scope: Scope) -> dict[int, int]:
        counts: dict[int, int] = defaultdict(int)
        for share in self.shares:
            if share.membership_id and self.inside(self.share_keys(share), scope):
                counts[share.membership_id] += 1
        return counts


def comparable(measures: dict[str, Any] | Measures) -> dict[str, Any]:
    values = measures.as_dict() if isinstance(measures, Measures) else dict(measures)
    values["originality_sum"] = round(values["originality_sum"], 6)
    values["conversion_value"] = Decimal(values["conversion_value"]).quantize(Decimal("0.01"))
    return values


class DatasetTestCase(OrgTestCase):
    """Acme with a generated history (and a little of Globex, which must never count)."""

    @classmethod
    def setUpTestData(cls) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        try:
            super().setUpTestData()
            cls.data = make_dataset(cls.org, TODAY)
            make_dataset(cls.other_org, TODAY, seed=99, shares=40, clicks=200)
            cls.add_engagement()
            rollups.rebuild(cls.org)
            rollups.rebuild(cls.other_org)
        finally:
            traveller.stop()

    @classmethod
    def add_engagement(cls) -> None:
        shares = Share.objects.filter(org=cls.org, status=Share.Status.PUBLISHED).order_by("pk")
        for number, share in enumerate(shares[::3]):
            # Two readings; only the latest counts.
            for reading in (1, 2):
                EngagementSnapshot.objects.create(
                    org=cls.org,
                    share=share,
                    taken_at=NOW - timedelta(hours=10 - reading),
                    reactions=number % 7 * reading,
                    comments=number % 3,
                    reposts=reading,
                    quotes=number % 2,
                    impressions=100 * reading if share.network == "x" else None,
                )

    def setUp(self) -> None:
        super().setUp()
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)
        self.raw = Raw(self.org)

    def scopes(self) -> list[Scope]:
        last30 = Scope.last_days(self.org.pk, 30)
        sales, engineering = self.team.pk, self.data.teams[1].pk
        launch, hiring = self.data.campaigns[0].pk, self.data.campaigns[1].pk
        return [
            last30,
            Scope.last_days(self.org.pk, 7),
            Scope.last_days(self.org.pk, 365),
            Scope(self.org.pk, date(2026, 3, 1), date(2026, 3, 31)),
            last30.narrow(team_id=sales),
            last30.narrow(campaign_id=launch),
            last30.narrow(network="linkedin"),
            Scope.last_days(self.org.pk, 120, team_id=engineering, network="x"),
            Scope.last_days(self.org.pk, 120, campaign_id=hiring, network="mastodon"),
            Scope.last_days(self.org.pk, 120, team_id=sales, campaign_id=launch),
            Scope.last_days(self.org.pk, 120, team_id=sales, campaign_id=hiring, network="x"),
            Scope.last_days(self.org.pk, 90, membership_id=self.data.people[0].pk),
        ]


class FiguresEqualRawEventsTests(DatasetTestCase):
    def test_the_dataset_has_what_the_comparisons_need(self) -> None:
        raw = self.raw.measures(Scope.last_days(self.org.pk, 365))[None]
        self.assertGreater(raw["shares"], 150)
        self.assertGreater(raw["clicks"], 1000)
        self.assertGreater(raw["bot_clicks"], 200)
        self.assertGreater(raw["unique_visitors"], 300)
        self.assertLess(raw["unique_visitors"], raw["clicks"])
        self.assertGreater(raw["conversions"], 30)
        self.assertGreater(raw["potential_reach"], 0)

    def test_totals(self) -> None:
        for scope in self.scopes():
            with self.subTest(scope=scope):
                expected = self.raw.measures(scope).get(None, Measures().as_dict())
                self.assertEqual(comparable(figures.totals(scope)), comparable(expected))

    def test_over_time_by_day_week_and_month(self) -> None:
        for scope in self.scopes():
            per_day = self.raw.measures(scope, "day")
            for step in ("day", "week", "month"):
                with self.subTest(scope=scope, step=step):
                    expected: dict[date, Measures] = defaultdict(Measures)
                    day = scope.start
                    while day <= scope.end:
                        key = figures.period_start(day, step)  # type: ignore[arg-type]
                        if day in per_day:
                            expected[key] = expected[key] + Measures.from_row(per_day[day])
                        else:
                            expected[key] = expected[key]
                        day += timedelta(days=1)
                    series = figures.over_time(scope, step)  # type: ignore[arg-type]
                    self.assertEqual([key for key, _m in series], sorted(expected))
                    for key, measures in series:
                        self.assertEqual(comparable(measures), comparable(expected[key]), key)

    def test_breakdowns(self) -> None:
        for scope in self.scopes():
            for by in ("network", "team", "campaign", "item", "membership"):
                with self.subTest(scope=scope, by=by):
                    expected = {
                        key: comparable(values)
                        for key, values in self.raw.measures(scope, by).items()
                    }
                    rows = figures.breakdown(scope, by)  # type: ignore[arg-type]
                    self.assertEqual({row.key: comparable(row.measures) for row in rows}, expected)
                    shares = [row.measures.shares for row in rows]
                    self.assertEqual(shares, sorted(shares, reverse=True))
                    # The top rows only (the content table): the same rows, read apart.
                    top = figures.breakdown(scope, by, limit=3)  # type: ignore[arg-type]
                    self.assertEqual([row.measures.shares for row in top], shares[:3], (scope, by))
                    for row in top:
                        self.assertEqual(comparable(row.measures), expected[row.key])

    def test_active_ambassadors_overall_and_per_team_campaign_network(self) -> None:
        for scope in self.scopes():
            with self.subTest(scope=scope):
                self.assertEqual(
                    figures.active_ambassadors(scope), len(self.raw.active(scope).get(None, ()))
                )
                self.assertEqual(
                    figures.shares_per_person(scope), dict(self.raw.shares_per_person(scope))
                )
                for by in ("team", "campaign", "network"):
                    expected = {
                        key: len(people) for key, people in self.raw.active(scope, by).items()
                    }
                    self.assertEqual(figures.active_by(scope, by), expected)  # type: ignore[arg-type]

    def test_funnel(self) -> None:
        participations = list(
            Participation.objects.filter(org=self.org).select_related("membership")
        )
        for scope in self.scopes():
            if scope.membership_id:
                continue
            with self.subTest(scope=scope):
                end = datetime.combine(scope.end + timedelta(days=1), datetime.min.time(), UTC)
                people = [
                    p
                    for p in participations
                    if p.invited_at < end
                    and (scope.team_id is None or p.membership.team_id == scope.team_id)
                ]
                opted = {p.membership_id for p in people if p.opted_in_at and p.opted_in_at < end}
                ever = {
                    s.membership_id
                    for s in self.raw.shares
                    if s.membership_id and utc_day(s.published_at) <= scope.end  # type: ignore[arg-type]
                }
                counts = self.raw.shares_per_person(scope)
                shared = opted & ever
                regular = {person for person in shared if counts.get(person, 0) >= 3}
                funnel = figures.funnel(scope, 3)
                self.assertEqual(
                    (funnel.invited, funnel.opted_in, funnel.shared, funnel.regular),
                    (len(people), len(opted), len(shared), len(regular)),
                )
                self.assertGreaterEqual(funnel.invited, funnel.opted_in)
                self.assertGreaterEqual(funnel.opted_in, funnel.shared)
                self.assertGreaterEqual(funnel.shared, funnel.regular)

    def test_retention_cohorts(self) -> None:
        scope = Scope.last_days(self.org.pk, 30)
        for team_id in (None, self.team.pk):
            with self.subTest(team=team_id):
                scope = scope.narrow(team_id=team_id)
                result = figures.retention(scope, months=6)
                joined: dict[date, set[int]] = defaultdict(set)
                for p in Participation.objects.filter(org=self.org, opted_in_at__isnull=False):
                    if team_id is None or p.membership.team_id == team_id:
                        month = utc_day(p.opted_in_at).replace(day=1)  # type: ignore[arg-type]
                        if month >= date(2026, 1, 1):
                            joined[month].add(p.membership_id)
                months_active: dict[int, set[date]] = defaultdict(set)
                for share in self.raw.shares:
                    if share.membership_id:
                        months_active[share.membership_id].add(
                            utc_day(share.published_at).replace(day=1)  # type: ignore[arg-type]
                        )
                self.assertEqual([c.month for c in result.cohorts], sorted(joined))
                for cohort in result.cohorts:
                    self.assertEqual(cohort.size, len(joined[cohort.month]))
                    for since, active in enumerate(cohort.active):
                        month = figures._add_months(cohort.month, since)
                        if month > date(2026, 6, 1):
                            self.assertIsNone(active)
                            continue
                        expected = sum(
                            1 for person in joined[cohort.month] if month in months_active[person]
                        )
                        self.assertEqual(active, expected, (cohort.month, since))

    def test_earned_media_value_and_campaign_kpis(self) -> None:
        settings = figures.settings_for(self.org.pk)
        settings.value_per_click = Decimal("2.00")
        settings.value_per_engagement = Decimal("0.25")
        settings.value_per_thousand_impressions = Decimal("10.00")
        settings.save()
        scope = Scope.last_days(self.org.pk, 120)
        raw = self.raw.measures(scope)[None]
        value = figures.earned_media_value(figures.totals(scope), settings)
        expected = (
            raw["clicks"] * Decimal("2.00")
            + raw["engagement"] * Decimal("0.25")
            + Decimal(raw["potential_reach"]) * Decimal("10.00") / 1000
        )
        self.assertEqual(value.total, expected.quantize(Decimal("0.01")))

        per_campaign = self.raw.measures(scope, "campaign")
        active = self.raw.active(scope, "campaign")
        results = {result.name: result for result in figures.campaign_kpis(scope, settings)}
        self.assertEqual(set(results), {"Launch", "Hiring", "Webinars", "Culture"})
        hiring = results["Hiring"]
        campaign = self.data.campaigns[1].pk
        self.assertEqual(
            [(kpi.code, kpi.value) for kpi in hiring.kpis],
            [
                ("clicks", per_campaign[campaign]["clicks"]),
                ("applications", per_campaign[campaign]["conversions"]),
            ],
        )
        webinars = {kpi.code: kpi.value for kpi in results["Webinars"].kpis}
        campaign = self.data.campaigns[2].pk
        self.assertEqual(webinars["leads"], per_campaign[campaign]["leads"])
        self.assertEqual(webinars["conversion_value"], per_campaign[campaign]["conversion_value"])
        culture = {kpi.code: kpi.value for kpi in results["Culture"].kpis}
        self.assertEqual(culture["active_ambassadors"], len(active[self.data.campaigns[3].pk]))
        launch = {kpi.code: kpi.value for kpi in results["Launch"].kpis}
        self.assertEqual(
            launch["reach"], per_campaign[self.data.campaigns[0].pk]["potential_reach"]
        )
        self.assertEqual(
            launch["engagement"], per_campaign[self.data.campaigns[0].pk]["engagement"]
        )

    def test_another_organisations_events_never_count(self) -> None:
        scope = Scope.last_days(self.other_org.pk, 365)
        raw = Raw(self.other_org).measures(scope)[None]
        self.assertEqual(comparable(figures.totals(scope)), comparable(raw))
        self.assertNotEqual(
            raw["shares"], self.raw.measures(scope.narrow(org_id=self.org.pk))[None]["shares"]
        )

    def test_every_level_adds_up_to_the_same_totals(self) -> None:
        sums = {
            level: SegmentDay.objects.filter(org=self.org, level=level).values_list(
                "shares", flat=True
            )
            for level in Level
        }
        totals = {level: sum(values) for level, values in sums.items()}
        self.assertEqual(len(set(totals.values())), 1, totals)


class RollupMaintenanceTests(DatasetTestCase):
    def assert_figures_match(self) -> None:
        raw = Raw(self.org)
        for scope in self.scopes()[:4]:
            self.assertEqual(
                comparable(figures.totals(scope)),
                comparable(raw.measures(scope).get(None, Measures().as_dict())),
            )

    def test_a_published_share_is_noted_and_the_worker_rebuilds_its_day(self) -> None:
        member = self.data.people[1]
        with self.captureOnCommitCallbacks(execute=True):
            Share.objects.create(
                org=self.org,
                membership=member,
                item=self.data.items[2],
                network="linkedin",
                text="New",
                status=Share.Status.PUBLISHED,
                published_at=NOW - timedelta(days=1),
                originality=0.8,
            )
        self.assertTrue(DirtyDay.objects.filter(org=self.org, day=TODAY - timedelta(days=1)))
        self.assertEqual(rollups.refresh(), 1)
        self.assertFalse(DirtyDay.objects.exists())
        self.assert_figures_match()

    def test_ingested_clicks_and_conversions_are_noted(self) -> None:
        from chorus.links.ingest import rebuild_days

        link = self.data.links[0]
        old_day = TODAY - timedelta(days=40)
        moment = datetime.combine(old_day, datetime.min.time(), UTC) + timedelta(hours=5)
        with self.captureOnCommitCallbacks(execute=True):
            Click.objects.create(
                org=self.org, link=link, event_id="late-1", occurred_at=moment, visitor="v1"
            )
            rebuild_days({(link.pk, old_day)})
            Conversion.objects.create(
                org=self.org,
                kind="lead",
                value=Decimal("5.00"),
                occurred_at=moment - timedelta(days=3),
                ambassador=link.ambassador,
                campaign=link.campaign,
                network=link.network,
            )
        noted = set(DirtyDay.objects.filter(org=self.org).values_list("day", flat=True))
        self.assertEqual(noted, {old_day, old_day - timedelta(days=3)})
        rollups.refresh()
        self.assert_figures_match()

    def test_leaving_anonymised_takes_the_person_out_of_the_rollups(self) -> None:
        from chorus.program.actions import do_leave

        member = next(
            person
            for person in self.data.people
            if ShareDay.objects.filter(membership=person).exists()
            and Participation.objects.filter(membership=person, status="active").exists()
        )
        with self.captureOnCommitCallbacks(execute=True):
            do_leave(member, anonymise=True)
        rollups.refresh()
        self.assertFalse(ShareDay.objects.filter(membership=member).exists())
        self.assertFalse(MemberMonth.objects.filter(membership=member).exists())
        self.assert_figures_match()

    def test_engagement_measured_later_reaches_the_rollups(self) -> None:
        rollups.refresh()  # the first pass reads the snapshots made with the dataset
        share = Share.objects.filter(org=self.org, status=Share.Status.PUBLISHED).last()
        assert share is not None
        EngagementSnapshot.objects.create(
            org=self.org, share=share, reactions=40, comments=2, reposts=1, quotes=0
        )
        self.assertGreaterEqual(rollups.refresh(), 1)
        self.assert_figures_match()

    def test_the_month_so_far_is_read_whole_by_the_periods_that_run_to_today(self) -> None:
        from chorus.analytics.models import RollupState, SegmentMonth

        june = date(2026, 6, 1)
        state = RollupState.objects.get(org=self.org)
        self.assertEqual((state.months_until, state.month_to_date), (june, june))
        self.assertTrue(SegmentMonth.objects.filter(org=self.org, month=june).exists())
        self.assertEqual(figures.monthly_rollups_until(self.org.pk), date(2026, 7, 1))
        scope = Scope(self.org.pk, date(2026, 4, 20), TODAY)
        until = figures.monthly_rollups_until(self.org.pk)
        self.assertEqual(
            figures.split_period(scope, until, today=TODAY),
            ([(date(2026, 4, 20), date(2026, 4, 30))], (date(2026, 5, 1), date(2026, 7, 1))),
        )
        # A period ending before today reads the days of this month one by one.
        before = scope.narrow(end=TODAY - timedelta(days=1))
        self.assertEqual(
            figures.split_period(before, until, today=TODAY)[1], (date(2026, 5, 1), june)
        )
        # A share published today reaches the month's rows with the day's.
        share = Share.objects.filter(org=self.org, status=Share.Status.PUBLISHED).last()
        assert share is not None
        Share.objects.filter(pk=share.pk).update(published_at=NOW - timedelta(minutes=5))
        rollups.rebuild_days(self.org.pk, [TODAY, share.published_at.astimezone(UTC).date()])
        self.assertEqual(
            comparable(figures.totals(scope)), comparable(self.raw.measures(scope)[None])
        )
        self.assert_figures_match()

    def test_a_month_gets_its_monthly_rows_once_it_is_over(self) -> None:
        from chorus.analytics.models import RollupState, SegmentMonth

        june = date(2026, 6, 1)
        self.assertEqual(RollupState.objects.get(org=self.org).months_until, june)
        self.assertTrue(SegmentMonth.objects.filter(org=self.org, month=date(2026, 5, 1)))
        with time_machine.travel(datetime(2026, 7, 2, 9, tzinfo=UTC), tick=False):
            rollups.refresh()
            self.assertTrue(SegmentMonth.objects.filter(org=self.org, month=june).exists())
            self.assertEqual(RollupState.objects.get(org=self.org).months_until, date(2026, 7, 1))
            # June's rows are no longer the month so far: July is read day by day.
            self.assertEqual(figures.monthly_rollups_until(self.org.pk), date(2026, 7, 1))
            scope = Scope(self.org.pk, date(2026, 4, 20), date(2026, 6, 30))
            self.assertEqual(
                figures.split_period(scope, figures.monthly_rollups_until(self.org.pk))[1],
                (date(2026, 5, 1), date(2026, 7, 1)),
            )
            self.assertEqual(
                comparable(figures.totals(scope)),
                comparable(Raw(self.org).measures(scope)[None]),
            )

    def test_rebuilding_twice_gives_the_same_rows(self) -> None:
        before = list(
            SegmentDay.objects.filter(org=self.org)
            .values_list("level", "day", "shares", "clicks")
            .order_by("level", "day", "team", "campaign", "network", "item", "shares", "clicks")
        )
        rollups.rebuild(self.org, since=TODAY - timedelta(days=20))
        rollups.rebuild(self.org)
        after = list(
            SegmentDay.objects.filter(org=self.org)
            .values_list("level", "day", "shares", "clicks")
            .order_by("level", "day", "team", "campaign", "network", "item", "shares", "clicks")
        )
        self.assertEqual(before, after)

    def test_the_command(self) -> None:
        out = io.StringIO()
        SegmentDay.objects.filter(org=self.org).delete()
        call_command("rebuild-rollups", "--org", "acme", "--since", "2026-05-01", stdout=out)
        self.assertIn("acme", out.getvalue())
        self.assertTrue(SegmentDay.objects.filter(org=self.org, day=date(2026, 5, 1)).exists())
        self.assertFalse(SegmentDay.objects.filter(org=self.org, day=date(2026, 4, 30)).exists())
        call_command("rebuild-rollups", stdout=out)
        self.assert_figures_match()
        with self.assertRaises(CommandError):
            call_command("rebuild-rollups", "--org", "nowhere", stdout=out)
        with self.assertRaises(CommandError):
            call_command("rebuild-rollups", "--since", "yesterday", stdout=out)

    def test_the_dry_run_changes_nothing(self) -> None:
        count = SegmentDay.objects.count()
        SegmentDay.objects.filter(org=self.org, day=TODAY).delete()
        out = io.StringIO()
        call_command("rebuild-rollups", "--org", "acme", "--dry-run", stdout=out)
        self.assertLess(SegmentDay.objects.count(), count)
        self.assertIn("would", out.getvalue())


class DashboardPageTests(DatasetTestCase):
    url = "/o/acme/dashboard/"

    def test_a_program_manager_sees_the_figures(self) -> None:
        self.login(self.paul)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        raw = self.raw.measures(Scope.last_days(self.org.pk, 30))[None]
        self.assertContains(response, f'data-figure="shares">{raw["shares"]}<')
        self.assertContains(response, f'data-figure="clicks">{raw["clicks"]:,}<')
        self.assertContains(response, 'id="chart-data"')
        self.assertContains(response, 'data-chart="over_time"')
        self.assertContains(response, "Retention by month since joining")

    def test_an_org_admin_may_too(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url).status_code, 200)

    def test_ambassadors_and_team_managers_get_403(self) -> None:
        for person in (self.amy, self.maya):
            self.login(person)
            self.assertEqual(self.client.get(self.url).status_code, 403)
            self.assertEqual(self.client.get(self.url + "export.csv").status_code, 403)

    def test_an_outsider_gets_404(self) -> None:
        self.login(self.oscar)
        for path in ("", "export.csv", "export.xlsx", "settings/"):
            self.assertEqual(self.client.get(self.url + path).status_code, 404)

    def test_anonymous_people_are_sent_to_log_in(self) -> None:
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)

    def test_wrong_method(self) -> None:
        self.login(self.paul)
        self.assertEqual(self.client.post(self.url).status_code, 405)
        self.assertEqual(self.client.post(self.url + "export.csv").status_code, 405)

    def test_filtering_by_team_changes_the_figures(self) -> None:
        self.login(self.paul)
        scope = Scope.last_days(self.org.pk, 90, team_id=self.team.pk, network="linkedin")
        raw = self.raw.measures(scope)[None]
        response = self.client.get(
            self.url, {"period": "90", "team": self.team.pk, "network": "linkedin"}
        )
        self.assertEqual(response.context["board"].scope, scope)
        self.assertContains(response, f'data-figure="shares">{raw["shares"]}<')
        self.assertEqual(comparable(response.context["board"].totals), comparable(raw))

    def test_custom_dates(self) -> None:
        self.login(self.paul)
        response = self.client.get(
            self.url, {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}
        )
        board = response.context["board"]
        self.assertEqual(
            (board.scope.start, board.scope.end), (date(2026, 3, 1), date(2026, 3, 31))
        )
        self.assertEqual(board.step, "day")
        response = self.client.get(self.url, {"period": "365"})
        self.assertEqual(response.context["board"].step, "week")

    def test_bad_filters_are_reported_and_left_out(self) -> None:
        self.login(self.paul)
        default = Scope.last_days(self.org.pk, 30)
        other_team = self.other_team.pk
        cases: list[tuple[dict[str, Any], Callable[[Scope], bool]]] = [
            ({"team": "abc"}, lambda s: s == default),
            ({"team": other_team}, lambda s: s == default),
            ({"team": "99999999999999999999"}, lambda s: s == default),
            ({"campaign": "-1"}, lambda s: s == default),
            ({"network": "myspace"}, lambda s: s == default),
            ({"period": "forever"}, lambda s: s == default),
            (
                {"period": "custom", "start": "2026-13-45", "end": "2026-03-01"},
                lambda s: s == default,
            ),
            (
                {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"},
                lambda s: s == default,
            ),
            (
                {"period": "custom", "start": "2010-01-01", "end": "2026-03-01"},
                lambda s: s == default,
            ),
            ({"period": "custom"}, lambda s: s == default),
            ({"period": "7", "network": "x\x00"}, lambda s: s.days == 7 and not s.network),
            (
                {"team": self.team.pk, "campaign": "nope"},
                lambda s: s.team_id == self.team.pk and s.campaign_id is None,
            ),
        ]
        for params, check in cases:
            with self.subTest(params=params):
                response = self.client.get(self.url, params)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, 'data-testid="filter-errors"')
                self.assertTrue(
                    check(response.context["board"].scope), response.context["board"].scope
                )
                export = self.client.get(self.url + "export.csv", params)
                self.assertEqual(export.status_code, 400)
                self.assertIn("not valid", export.content.decode())

    def test_the_dashboard_reads_a_fixed_number_of_queries(self) -> None:
        self.login(self.paul)
        self.client.get(self.url)  # settings created, session warm
        with self.assertNumQueries(28):
            self.client.get(self.url, {"period": "365", "team": self.team.pk})

    def test_engagement_is_what_the_latest_measurements_say(self) -> None:
        self.login(self.paul)
        response = self.client.get(self.url)
        raw = self.raw.measures(Scope.last_days(self.org.pk, 30))[None]
        self.assertContains(response, f'data-figure="engagement">{raw["engagement"]:,}<')


class ExportTests(DatasetTestCase):
    url = "/o/acme/dashboard/"

    def csv_rows(self, table: str, **params: Any) -> list[list[str]]:
        response = self.client.get(self.url + "export.csv", {"table": table, **params})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/csv")
        self.assertIn("attachment", response["Content-Disposition"])
        text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
        return list(csv.reader(io.StringIO(text)))

    def test_csv_tables_parse_and_hold_the_figures(self) -> None:
        self.login(self.paul)
        scope = Scope.last_days(self.org.pk, 90, campaign_id=self.data.campaigns[0].pk)
        params = {"period": "90", "campaign": self.data.campaigns[0].pk}
        raw = self.raw.measures(scope)[None]
        summary = dict(row for row in self.csv_rows("summary", **params)[1:])  # type: ignore[misc]
        self.assertEqual(int(summary["Shares"]), raw["shares"])
        self.assertEqual(int(summary["Human clicks"]), raw["clicks"])
        self.assertEqual(int(summary["Unique visitors"]), raw["unique_visitors"])
        self.assertEqual(Decimal(summary["Conversion value"]), raw["conversion_value"])
        over_time = self.csv_rows("over_time", **params)
        self.assertEqual(len(over_time), 1 + 90)
        self.assertEqual(sum(int(row[1]) for row in over_time[1:]), raw["shares"])
        networks = self.csv_rows("networks", **params)
        self.assertEqual(networks[0][:3], ["Network", "Active ambassadors", "Shares"])
        per_network = self.raw.measures(scope, "network")
        self.assertEqual(
            {row[0]: int(row[2]) for row in networks[1:]},
            {
                figures.labels_for(self.org.pk, "network", [k])[k]: v["shares"]
                for k, v in per_network.items()
            },
        )
        for table in ("teams", "campaigns", "content", "funnel", "retention", "kpis"):
            rows = self.csv_rows(table, **params)
            self.assertGreaterEqual(len(rows), 1, table)

    def test_activity_detail_adds_up_to_the_totals(self) -> None:
        self.login(self.paul)
        scope = Scope.last_days(self.org.pk, 30)
        raw = self.raw.measures(scope)[None]
        rows = self.csv_rows("activity", period="30")
        header = rows[0]
        self.assertEqual(
            header[:6], ["Day", "Ambassador", "Team", "Campaign", "Content", "Network"]
        )
        shares, clicks = header.index("Shares"), header.index("Human clicks")
        self.assertEqual(sum(int(row[shares]) for row in rows[1:]), raw["shares"])
        self.assertEqual(sum(int(row[clicks]) for row in rows[1:]), raw["clicks"])
        days = [row[0] for row in rows[1:]]
        self.assertEqual(days, sorted(days))
        self.assertIn("Anonymised", {row[1] for row in rows[1:]})

    def test_xlsx_opens_and_has_the_same_figures(self) -> None:
        from openpyxl import load_workbook

        self.login(self.paul)
        response = self.client.get(self.url + "export.xlsx", {"period": "90", "team": self.team.pk})
        self.assertEqual(response.status_code, 200)
        workbook = load_workbook(io.BytesIO(response.content), read_only=True)
        self.assertEqual(
            workbook.sheetnames,
            [
                "Summary",
                "Over time",
                "Networks",
                "Teams",
                "Campaigns",
                "Content",
                "Funnel",
                "Retention",
                "Campaign KPIs",
            ],
        )
        scope = Scope.last_days(self.org.pk, 90, team_id=self.team.pk)
        raw = self.raw.measures(scope)[None]
        summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True)}
        self.assertEqual(summary["Shares"], raw["shares"])
        self.assertEqual(summary["Human clicks"], raw["clicks"])
        self.assertEqual(summary["Leads"], raw["leads"])
        self.assertEqual(Decimal(str(summary["Conversion value"])), raw["conversion_value"])
        self.assertEqual(summary["Active ambassadors"], len(self.raw.active(scope).get(None, ())))
        teams = list(workbook["Teams"].iter_rows(values_only=True))
        self.assertEqual([row[0] for row in teams[1:]], ["Sales"])
        funnel = {row[0]: row[1] for row in workbook["Funnel"].iter_rows(values_only=True)}
        board_funnel = figures.funnel(scope, figures.settings_for(self.org.pk).regular_shares)
        self.assertEqual(funnel["Invited"], board_funnel.invited)

    def test_a_title_that_looks_like_a_formula_stays_text(self) -> None:
        item = self.data.items[0]
        item.title = '=HYPERLINK("http://evil.example")'
        item.save()
        self.login(self.paul)
        rows = self.csv_rows("content", period="365")
        titles = [row[0] for row in rows[1:]]
        self.assertIn('\'=HYPERLINK("http://evil.example")', titles)
        detail = self.csv_rows("activity", period="365")
        content = detail[0].index("Content")
        self.assertIn('\'=HYPERLINK("http://evil.example")', {row[content] for row in detail})
        self.assertFalse(any(row[content].startswith("=") for row in detail))

    def test_long_tables_go_out_in_chunks_of_whole_lines(self) -> None:
        from chorus.analytics import exports

        rows: list[list[exports.Cell]] = [
            [date(2026, 3, 1), f"-{n} or =SUM(A1)", n, -n * 1.5, Decimal("-2.50"), None]
            for n in range(1201)
        ]
        table = exports.Table("t", "T", ["Day", "Name", "N", "F", "Money", "Empty"], rows)
        chunks = list(exports.csv_lines(table))
        self.assertEqual(len(chunks), 3)  # header + 500 lines, 500 lines, 201 lines
        self.assertTrue(all(chunk.endswith("\r\n") for chunk in chunks))
        parsed = list(csv.reader(io.StringIO("".join(chunks))))
        self.assertEqual(len(parsed), 1202)
        self.assertEqual(parsed[0], ["Day", "Name", "N", "F", "Money", "Empty"])
        # Text that could run as a formula is quoted; numbers stay numbers.
        self.assertEqual(parsed[8], ["2026-03-01", "'-7 or =SUM(A1)", "7", "-10.5", "-2.50", ""])

    def test_unknown_table(self) -> None:
        self.login(self.paul)
        response = self.client.get(self.url + "export.csv", {"table": "passwords"})
        self.assertEqual(response.status_code, 400)


class SettingsTests(OrgTestCase):
    url = "/o/acme/dashboard/settings/"

    def test_a_program_manager_edits_the_values(self) -> None:
        self.login(self.paul)
        self.assertEqual(self.client.get(self.url).status_code, 200)
        response = self.client.post(
            self.url,
            {
                "currency": "usd",
                "value_per_click": "3.10",
                "value_per_engagement": "0.40",
                "value_per_thousand_impressions": "12",
                "regular_shares": "6",
            },
        )
        self.assertRedirects(response, reverse("dashboard", args=["acme"]))
        options = AnalyticsSettings.objects.get(org=self.org)
        self.assertEqual(
            (options.currency, options.value_per_click, options.regular_shares),
            ("USD", Decimal("3.10"), 6),
        )

    def test_bad_values_change_nothing(self) -> None:
        self.login(self.paul)
        for bad in (
            {"currency": "euros"},
            {"value_per_click": "-1"},
            {"value_per_click": "abc"},
            {"regular_shares": "0"},
        ):
            with self.subTest(bad=bad):
                data = {
                    "currency": "EUR",
                    "value_per_click": "1",
                    "value_per_engagement": "1",
                    "value_per_thousand_impressions": "1",
                    "regular_shares": "4",
                    **bad,
                }
                response = self.client.post(self.url, data)
                self.assertEqual(response.status_code, 400)
        self.assertFalse(AnalyticsSettings.objects.filter(org=self.org, value_per_click=1).exists())

    def test_roles(self) -> None:
        self.login(self.amy)
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.assertEqual(self.client.post(self.url, {}).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.get(self.url).status_code, 404)


class EmptyOrganisationTests(OrgTestCase):
    def test_a_new_organisation_gets_an_empty_dashboard(self) -> None:
        self.login(self.paul)
        response = self.client.get("/o/acme/dashboard/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Nothing in this period.")
        for table in ("summary", "activity", "retention"):
            self.assertEqual(
                self.client.get("/o/acme/dashboard/export.csv", {"table": table}).status_code, 200
            )
        self.assertEqual(self.client.get("/o/acme/dashboard/export.xlsx").status_code, 200)

    def test_rebuilding_an_organisation_without_events(self) -> None:
        result = rollups.rebuild(self.org)
        self.assertEqual(result.share_rows, 0)

    def test_a_share_without_a_profile_reaches_no_one_but_counts(self) -> None:
        member = make_member(self.org)
        Share.objects.create(
            org=self.org,
            membership=member,
            item=make_item(self.org),
            network="linkedin",
            text="x",
            status=Share.Status.PUBLISHED,
            published_at=datetime.now(UTC),
        )
        rollups.rebuild(self.org)
        measures = figures.totals(Scope.last_days(self.org.pk, 7))
        self.assertEqual((measures.shares, measures.potential_reach), (1, 0))


class ScopeTests(TestCase):
    def test_a_scope_ends_after_it_starts_and_is_not_too_long(self) -> None:
        with self.assertRaises(ValueError):
            Scope(1, date(2026, 2, 1), date(2026, 1, 1))
        with self.assertRaises(ValueError):
            Scope(1, date(2020, 1, 1), date(2026, 1, 1))
        self.assertEqual(Scope(1, date(2026, 1, 1), date(2026, 1, 31)).days, 31)


class DemoTests(TestCase):
    def test_the_demo_has_results_once_and_they_match_the_events(self) -> None:
        import random

        from chorus.analytics.demo import load_analytics_demo
        from chorus.web.demo import load_demo

        # `chorus demo` loads the results; loading them again adds nothing.
        org = load_demo("demo-password-123").org
        self.assertGreater(Share.objects.filter(org=org).count(), 100)
        self.assertEqual(load_analytics_demo(org, random.Random(2026)), 0)
        # The demo logins keep a clean slate (their own onboarding is tried for real).
        self.assertFalse(
            Share.objects.filter(membership__user__email="ambassador@acme.example").exists()
        )
        scope = Scope.last_days(org.pk, 90)
        raw = Raw(org).measures(scope)[None]
        self.assertGreater(raw["shares"], 50)
        self.assertEqual(comparable(figures.totals(scope)), comparable(raw))
        self.assertTrue(figures.retention(scope).cohorts)


class SplitPeriodTests(TestCase):
    def test_whole_months_apart_from_the_days_around_them(self) -> None:
        split = figures.split_period
        self.assertEqual(
            split(Scope(1, date(2026, 1, 15), date(2026, 4, 10))),
            (
                [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 4, 1), date(2026, 4, 10))],
                (date(2026, 2, 1), date(2026, 4, 1)),
            ),
        )
        self.assertEqual(
            split(Scope(1, date(2026, 3, 1), date(2026, 3, 31))),
            ([], (date(2026, 3, 1), date(2026, 4, 1))),
        )
        self.assertEqual(
            split(Scope(1, date(2026, 3, 2), date(2026, 3, 31))),
            ([(date(2026, 3, 2), date(2026, 3, 31))], None),
        )
        self.assertEqual(
            split(Scope(1, date(2025, 12, 1), date(2026, 1, 30))),
            ([(date(2026, 1, 1), date(2026, 1, 30))], (date(2025, 12, 1), date(2026, 1, 1))),
        )
        # Running to today: this month so far counts whole, unless its rows are not there.
        today = date(2026, 1, 30)
        self.assertEqual(
            split(Scope(1, date(2025, 12, 1), today), today=today),
            ([], (date(2025, 12, 1), date(2026, 2, 1))),
        )
        self.assertEqual(
            split(Scope(1, date(2025, 12, 1), today), date(2026, 1, 1), today=today),
            ([(date(2026, 1, 1), today)], (date(2025, 12, 1), date(2026, 1, 1))),
        )
        self.assertEqual(
            split(Scope(1, date(2026, 1, 5), today), today=today),
            ([(date(2026, 1, 5), today)], None),
        )
