"""Points that reward quality, leaderboards people can leave, badges and timed challenges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Sum

from chorus.engage.forms import PointsRulesForm
from chorus.engage.models import (
    BadgeAward,
    Challenge,
    ChallengeResult,
    LeaderboardPreference,
    PointsEntry,
    PointsRules,
)
from chorus.engage.points import award, rules_of
from chorus.links.actions import link_for
from chorus.links.models import Click, LinkDay
from chorus.orgs.models import Membership
from chorus.program.actions import do_leave
from chorus.program.models import WorkshopSignup
from chorus.sharing.models import EngagementSnapshot
from tests.base import OrgTestCase
from tests.factory import (
    clicks,
    make_challenge,
    make_connection,
    make_item,
    make_member,
    make_question,
    make_share,
    make_topic,
    make_user,
    make_workshop,
    published_share,
)

# A Wednesday, mid-month and mid-quarter: the week, month and quarter all have days behind.
NOW = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)


def total(member: Membership, kind: str | None = None) -> int:
    entries = PointsEntry.objects.filter(membership=member)
    if kind is not None:
        entries = entries.filter(kind=kind)
    return entries.aggregate(total=Sum("points"))["total"] or 0


def person(org, name: str, **fields) -> Membership:  # type: ignore[no-untyped-def]
    return make_member(org, user=make_user(first_name=name, last_name="Example"), **fields)


@time_machine.travel(NOW, tick=False)
class QualityTests(OrgTestCase):
    def test_ten_copy_paste_shares_earn_less_than_two_original_shares_that_drew_clicks(
        self,
    ) -> None:
        parrot = person(self.org, "Polly", team=self.team)
        voice = person(self.org, "Vera", team=self.team)
        items = [make_item(self.org) for _ in range(10)]
        # Ten shares on ten days (caps play no part): the suggested text, or near-identical
        # to colleagues' posts even with a few words changed.
        for number, item in enumerate(items):
            published_share(
                parrot,
                item,
                originality=0.05 if number % 2 else 0.9,
                near_duplicates=0 if number % 2 else 4,
                at=NOW - timedelta(days=number, hours=1),
            )
        for item in items[:2]:
            published_share(voice, item, originality=0.7, at=NOW - timedelta(hours=3))
            clicks(link_for(voice, "mastodon", item=item), humans=3, bots=4)

        award(self.org)

        self.assertEqual(total(parrot, "share"), 10)  # one point each, however many
        self.assertEqual(total(voice, "share"), 14)  # 70 % own words: 7 points each
        self.assertEqual(total(voice, "clicks"), 6)  # three people per link, bots left out
        self.assertLess(total(parrot), total(voice))
        # The person is told why, and what would earn more.
        self.login(parrot.user)
        page = self.client.get("/o/acme/points/")
        self.assertContains(page, "Copy-paste share")
        self.assertContains(page, "Add a few sentences of your own")

    def test_bots_never_earn_points_and_a_visitor_counts_once_a_day(self) -> None:
        item = make_item(self.org)
        published_share(self.amy_m, item, originality=0.8)
        crawled = link_for(self.amy_m, "linkedin", item=item)
        clicks(crawled, bots=25)
        award(self.org)
        self.assertEqual(total(self.amy_m, "clicks"), 0)
        self.assertFalse(PointsEntry.objects.filter(kind="clicks").exists())

        # One person clicking five times is one reader.
        link = link_for(self.amy_m, "mastodon", item=item)
        for number in range(5):
            Click.objects.create(
                org=self.org,
                link=link,
                event_id=f"same-{number}",
                occurred_at=NOW,
                visitor="same-visitor",
            )
        clicks(link, humans=0, bots=3)  # rebuilds the day's rollup
        award(self.org)
        self.assertEqual(LinkDay.objects.get(link=link).unique_visitors, 1)
        self.assertEqual(total(self.amy_m, "clicks"), 1)

    def test_daily_caps_per_kind(self) -> None:
        rules = rules_of(self.org)
        shares = []
        for hour in range(5):
            item = make_item(self.org)
            at = NOW - timedelta(hours=hour)
            shares.append(published_share(self.amy_m, item, originality=1.0, at=at))
        clicks(link_for(self.amy_m, "mastodon", item=item), humans=30)
        # The next day starts afresh.
        published_share(
            self.amy_m, make_item(self.org), originality=1.0, at=NOW - timedelta(days=1)
        )
        award(self.org)

        today = PointsEntry.objects.filter(membership=self.amy_m, kind="share", day=NOW.date())
        self.assertEqual(today.count(), 5)
        self.assertEqual(sum(entry.points for entry in today), rules.share_cap)
        self.assertEqual(sum(entry.points_before_cap for entry in today), 50)
        # The earliest shares of the day count; the later ones are held back by the cap.
        points = {entry.source_id: entry.points for entry in today}
        self.assertEqual([points[str(share.pk)] for share in shares], [0, 0, 0, 10, 10])
        self.assertEqual(total(self.amy_m, "clicks"), rules.clicks_cap)
        yesterday = NOW.date() - timedelta(days=1)
        self.assertEqual(
            PointsEntry.objects.get(membership=self.amy_m, kind="share", day=yesterday).points, 10
        )
        page = self.client_for(self.amy).get("/o/acme/points/")
        self.assertContains(page, "daily cap")

    def client_for(self, user):  # type: ignore[no-untyped-def]
        self.login(user)
        return self.client

    def test_award_is_idempotent_and_recomputable(self) -> None:
        item = make_item(self.org)
        share = published_share(self.amy_m, item, originality=0.5)
        clicks(link_for(self.amy_m, "mastodon", item=item), humans=4)
        first = award(self.org)
        self.assertGreater(first.created, 0)
        snapshot = sorted(PointsEntry.objects.values_list("kind", "source_id", "points"))

        again = award(self.org)
        self.assertEqual((again.created, again.updated, again.removed), (0, 0, 0))
        self.assertEqual(
            sorted(PointsEntry.objects.values_list("kind", "source_id", "points")), snapshot
        )
        # A recent window recomputes the same way.
        award(self.org, since=NOW - timedelta(days=2))
        self.assertEqual(
            sorted(PointsEntry.objects.values_list("kind", "source_id", "points")), snapshot
        )

        # New rules, saved by a program manager, apply to what was already counted.
        self.login(self.paul)
        data = {field: getattr(rules_of(self.org), field) for field in PointsRulesForm.Meta.fields}
        data["original_share"] = 16
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post("/o/acme/points/rules/", data)
        self.assertRedirects(response, "/o/acme/points/rules/")
        self.assertEqual(PointsEntry.objects.get(kind="share").points, 8)

        # Clicks that came in later update the same entry; a vanished share loses its points.
        clicks(link_for(self.amy_m, "mastodon", item=item), humans=6)
        share.delete()
        report = award(self.org)
        self.assertEqual(PointsEntry.objects.filter(kind="clicks").count(), 1)
        self.assertEqual(total(self.amy_m, "clicks"), 6)
        self.assertFalse(PointsEntry.objects.filter(kind="share").exists())
        self.assertEqual((report.updated, report.removed), (1, 1))

    def test_onboarding_helping_suggestions_and_engagement(self) -> None:
        rules = rules_of(self.org)
        connection = make_connection(self.amy_m)
        question = make_question(self.amy_m)
        question.answer = question.faq_answer = "Yes"
        question.in_faq, question.answered_at = True, NOW
        question.save()
        workshop = make_workshop(self.org, days=-1)
        WorkshopSignup.objects.create(workshop=workshop, membership=self.amy_m, attended=True)
        absent = make_workshop(self.org, days=-2)
        WorkshopSignup.objects.create(workshop=absent, membership=self.amy_m, attended=False)
        from tests.factory import make_suggestion

        make_suggestion(self.amy_m, status="accepted", decided_at=NOW)
        make_suggestion(self.amy_m, url="https://www.example.com/other", status="declined")
        share = published_share(self.amy_m, make_item(self.org), originality=0.6)
        # The engagement sync's snapshots: the latest counts are the ones that count.
        for hours, (reactions, comments) in ((1, (1, 0)), (6, (4, 2))):
            EngagementSnapshot.objects.create(
                org=self.org,
                share=share,
                taken_at=NOW - timedelta(hours=12 - hours),
                reactions=reactions,
                comments=comments,
                reposts=1,
                quotes=1,
            )
        award(self.org)

        # The network is connected and a first share published: two steps, counted once.
        self.assertEqual(total(self.amy_m, "onboarding"), 2 * rules.onboarding_step)
        self.assertEqual(total(self.amy_m, "helping"), rules.faq_question + rules.workshop)
        self.assertEqual(total(self.amy_m, "suggestion"), rules.suggestion)
        # Comments and quotes weigh more than reactions and reposts.
        self.assertEqual(total(self.amy_m, "engagement"), 3 * rules.comment + 5 * rules.reaction)
        # Undoing a step later does not take its points back; nothing counts twice.
        connection.delete()
        award(self.org)
        self.assertEqual(total(self.amy_m, "onboarding"), 2 * rules.onboarding_step)
        badges = set(
            BadgeAward.objects.filter(membership=self.amy_m).values_list("badge", flat=True)
        )
        self.assertEqual(
            badges, {"first_original_share", "faq_contributor", "workshop", "first_suggestion"}
        )


@time_machine.travel(NOW, tick=False)
class ParticipantTests(OrgTestCase):
    def test_people_outside_the_programme_earn_nothing_and_do_not_appear(self) -> None:
        invited = person(self.org, "Ivan", programme="invited")
        never = person(self.org, "Nina", programme=None)
        item = make_item(self.org)
        link = link_for(self.amy_m, "mastodon", item=item)
        for outsider in (invited, never):
            make_share(outsider, item, status="published", published_at=NOW, originality=1.0)
            make_connection(outsider)
        # A link made while Amy was in the programme; she leaves, people keep clicking.
        published_share(self.amy_m, item, originality=0.9)
        award(self.org)
        earned = total(self.amy_m)
        self.assertGreater(earned, 0)
        do_leave(self.amy_m, anonymise=False)
        clicks(link, humans=5)
        award(self.org)

        self.assertEqual(total(invited) + total(never), 0)
        self.assertEqual(total(self.amy_m), earned)  # kept for a return, not increased
        self.login(self.paul)
        page = self.client.get("/o/acme/leaderboard/")
        for name in ("Amy Example", "Ivan Example", "Nina Example"):
            self.assertNotContains(page, name)

        # Leaving with anonymisation takes the ledger away.
        self.amy_m.participation.status = "active"
        self.amy_m.participation.save()
        do_leave(self.amy_m, anonymise=True)
        self.assertFalse(PointsEntry.objects.filter(membership=self.amy_m).exists())
        self.assertFalse(BadgeAward.objects.filter(membership=self.amy_m).exists())


@time_machine.travel(NOW, tick=False)
class LeaderboardTests(OrgTestCase):
    def give(self, member: Membership, points: int, days_ago: int = 0) -> None:
        PointsEntry.objects.create(
            org=self.org,
            membership=member,
            kind="share",
            source_type="share",
            source_id=f"{member.pk}-{points}-{days_ago}",
            day=NOW.date() - timedelta(days=days_ago),
            points=points,
            points_before_cap=points,
        )

    def test_top_only_with_my_own_position_in_private(self) -> None:
        rules = rules_of(self.org)
        people = [person(self.org, f"Runner{number:02d}") for number in range(12)]
        for number, member in enumerate(people):
            self.give(member, 100 - number)
        zero = person(self.org, "Zero")
        self.login(people[0].user)
        page = self.client.get("/o/acme/leaderboard/")
        content = page.content.decode()
        for member in people[: rules.leaderboard_size]:
            self.assertIn(member.user.display_name, content)
        # No bottom of the list, and nobody listed with zero points.
        for member in (*people[rules.leaderboard_size :], zero):
            self.assertNotIn(member.user.display_name, content)
        self.assertContains(page, "Rank 1 of 12 people")

        self.login(people[-1].user)
        page = self.client.get("/o/acme/leaderboard/")
        self.assertContains(page, "Rank 12 of 12 people")
        self.assertContains(page, "Only you see this.")
        self.login(zero.user)
        page = self.client.get("/o/acme/leaderboard/")
        self.assertContains(page, "No points for you in this period yet.")
        self.assertNotContains(page, "Rank 13")

    def test_opting_out_hides_me_and_hides_the_ranks_from_me(self) -> None:
        self.give(self.amy_m, 50)
        self.give(self.maya_m, 40)
        self.login(self.amy)
        self.assertContains(self.client.get("/o/acme/leaderboard/?scope=team"), "Maya Example")
        response = self.client.post("/o/acme/leaderboard/visibility/", {"visible": "0"})
        self.assertRedirects(response, "/o/acme/leaderboard/")
        self.assertFalse(LeaderboardPreference.objects.get(membership=self.amy_m).visible)

        for path in ("/o/acme/leaderboard/", "/o/acme/leaderboard/?scope=team"):
            page = self.client.get(path)
            self.assertContains(page, "You are not on leaderboards")
            self.assertNotContains(page, "Maya Example")
        # Her own points stay hers to see.
        self.assertContains(self.client.get("/o/acme/points/"), "<dd>50</dd>", html=True)
        self.login(self.maya)
        for path in ("/o/acme/leaderboard/", "/o/acme/leaderboard/?scope=team"):
            page = self.client.get(path)
            self.assertContains(page, "Maya Example")
            self.assertNotContains(page, "Amy Example")
        self.assertContains(page, "Rank 1 of 1 person")

        self.login(self.amy)
        self.client.post("/o/acme/leaderboard/visibility/", {"visible": "1"})
        self.assertContains(self.client.get("/o/acme/leaderboard/"), "Maya Example")

    def test_periods_scopes_and_teams(self) -> None:
        self.give(self.amy_m, 30, days_ago=0)
        self.give(self.maya_m, 20, days_ago=15)  # this month and quarter, not this week
        self.give(self.paul_m, 10, days_ago=60)  # last quarter: nowhere
        self.login(self.alice)
        week = self.client.get("/o/acme/leaderboard/?period=week").content.decode()
        month = self.client.get("/o/acme/leaderboard/?period=month").content.decode()
        quarter = self.client.get("/o/acme/leaderboard/?period=quarter").content.decode()
        self.assertIn("Amy Example", week)
        self.assertNotIn("Maya Example", week)
        self.assertIn("Maya Example", month)
        for content in (week, month, quarter):
            self.assertNotIn("Paul Example", content)
        # Teams are compared per person; a team of fewer than three is not ranked.
        teams = self.client.get("/o/acme/leaderboard/?scope=teams")
        self.assertNotContains(teams, "Sales</span>")
        person(self.org, "Sam", team=self.team)
        teams = self.client.get("/o/acme/leaderboard/?scope=teams")
        self.assertContains(teams, '<span translate="no">Sales</span>', html=False)
        self.assertContains(teams, "17")  # (30 + 20 + 0) / 3, this month

    def test_team_boards_follow_roles(self) -> None:
        from tests.factory import make_team

        other = make_team(self.org, "Marketing")
        mark = person(self.org, "Mark", team=other)
        self.give(mark, 10)
        self.login(self.amy)
        self.assertEqual(
            self.client.get(f"/o/acme/leaderboard/?scope=team&team={other.pk}").status_code, 403
        )
        self.assertEqual(
            self.client.get("/o/acme/leaderboard/?scope=team&team=999999").status_code, 404
        )
        self.login(self.paul)
        page = self.client.get(f"/o/acme/leaderboard/?scope=team&team={other.pk}")
        self.assertContains(page, "Mark Example")
        # Bad parameters fall back to the defaults.
        self.assertEqual(
            self.client.get("/o/acme/leaderboard/?period=decade&scope=x&team=²").status_code, 200
        )

    def test_the_leaderboard_costs_the_same_queries_for_many_people(self) -> None:
        for number in range(3):
            self.give(person(self.org, f"Few{number}"), 10 + number)
        self.login(self.amy)
        self.client.get("/o/acme/leaderboard/")
        with self.assertNumQueries(10) as few:
            self.client.get("/o/acme/leaderboard/")
        for number in range(20):
            self.give(person(self.org, f"Many{number}", team=self.team), 5 + number)
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get("/o/acme/leaderboard/")
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get("/o/acme/leaderboard/?scope=team")


class ChallengeTests(OrgTestCase):
    def test_program_manager_sets_a_challenge_people_progress_and_it_closes(self) -> None:
        climate = make_topic(self.org, "Climate")
        on_topic = [make_item(self.org) for _ in range(4)]
        for item in on_topic:
            item.topics.add(climate)
        off_topic = make_item(self.org)
        start = NOW.date()
        with time_machine.travel(NOW, tick=False):
            self.login(self.paul)
            response = self.client.post(
                "/o/acme/challenges/new/",
                {
                    "title": "Climate week",
                    "metric": "original_shares",
                    "target": 3,
                    "topic": climate.pk,
                    "starts_on": start.isoformat(),
                    "ends_on": (start + timedelta(days=6)).isoformat(),
                },
            )
            challenge = Challenge.objects.get()
            self.assertRedirects(response, f"/o/acme/challenges/{challenge.pk}/")
            self.assertEqual(challenge.created_by, self.paul_m)

            # Two original shares on the topic; a copy-paste one and one off topic don't count.
            for hours, item in enumerate(on_topic[:2], start=1):
                published_share(self.amy_m, item, originality=0.8, at=NOW + timedelta(hours=hours))
            published_share(self.amy_m, on_topic[2], originality=0.0)
            published_share(self.amy_m, off_topic, originality=0.9)
            published_share(self.maya_m, on_topic[0], originality=0.5)
            self.login(self.amy)
            page = self.client.get(f"/o/acme/challenges/{challenge.pk}/")
            self.assertContains(page, "2 of 3")
            self.assertContains(self.client.get("/o/acme/challenges/"), "You: 2 of 3")

        with time_machine.travel(NOW + timedelta(days=3), tick=False):
            published_share(self.amy_m, on_topic[3], originality=0.7)
            page = self.client.get(f"/o/acme/challenges/{challenge.pk}/")
            self.assertContains(page, "Target reached!")
            self.assertContains(page, "Already reached the target")

        # A share after the last day does not count; the day after, the worker closes it.
        with time_machine.travel(NOW + timedelta(days=7, hours=1), tick=False):
            published_share(self.maya_m, on_topic[1], originality=0.9)
            report = award(self.org)
            self.assertEqual(report.challenges_closed, 1)
            self.assertEqual(award(self.org).challenges_closed, 0)
        challenge.refresh_from_db()
        self.assertIsNotNone(challenge.closed_at)
        results = {result.membership: result for result in ChallengeResult.objects.all()}
        self.assertEqual(results[self.amy_m].progress, 3)
        self.assertEqual(results[self.amy_m].reached_at, NOW + timedelta(days=3))
        self.assertEqual((results[self.maya_m].progress, results[self.maya_m].won), (1, False))
        self.assertTrue(
            BadgeAward.objects.filter(membership=self.amy_m, badge="challenge_winner").exists()
        )
        with time_machine.travel(NOW + timedelta(days=7, hours=2), tick=False):
            page = self.client.get(f"/o/acme/challenges/{challenge.pk}/")
            self.assertContains(page, "Winners")
            self.assertContains(page, "You won this challenge.")
            # Closed means final.
            self.login(self.paul)
            response = self.client.post(
                f"/o/acme/challenges/{challenge.pk}/edit/", {"title": "Changed"}
            )
            self.assertRedirects(response, f"/o/acme/challenges/{challenge.pk}/")
            challenge.refresh_from_db()
            self.assertEqual(challenge.title, "Climate week")

    def test_clicks_and_points_challenges_and_hidden_winners(self) -> None:
        with time_machine.travel(NOW, tick=False):
            clicks_challenge = make_challenge(self.org, metric="human_clicks", target=5)
            points_challenge = make_challenge(self.org, metric="points", target=5)
            item = make_item(self.org)
            published_share(self.amy_m, item, originality=1.0)
            clicks(link_for(self.amy_m, "mastodon", item=item), humans=5, bots=10)
            award(self.org)
            LeaderboardPreference.objects.create(org=self.org, membership=self.amy_m, visible=False)
            self.login(self.maya)
            for challenge in (clicks_challenge, points_challenge):
                page = self.client.get(f"/o/acme/challenges/{challenge.pk}/")
                self.assertContains(page, "Reached the target: 1")
                self.assertNotContains(page, "Amy Example")
            self.login(self.paul)
            page = self.client.get(f"/o/acme/challenges/{clicks_challenge.pk}/")
            self.assertContains(page, "Amy Example")
            self.assertContains(page, "(not shown to others)")

    def test_bad_input(self) -> None:
        self.login(self.paul)
        topic = make_topic(self.org)
        response = self.client.post(
            "/o/acme/challenges/new/",
            {
                "title": "Backwards",
                "metric": "points",
                "target": 0,
                "topic": topic.pk,
                "starts_on": "2026-05-10",
                "ends_on": "2026-05-01",
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "The end comes after the start.", status_code=400)
        self.assertContains(response, "Only original shares and human clicks", status_code=400)
        foreign = make_topic(self.other_org)
        response = self.client.post(
            "/o/acme/challenges/new/",
            {
                "title": "Foreign",
                "metric": "original_shares",
                "target": 2,
                "topic": foreign.pk,
                "starts_on": "2026-05-01",
                "ends_on": "2026-05-10",
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Challenge.objects.exists())


class RoleTests(OrgTestCase):
    def test_only_program_managers_create_challenges_and_change_rules(self) -> None:
        challenge = make_challenge(self.org)
        for user in (self.amy, self.maya):
            self.login(user)
            self.assertEqual(self.client.get("/o/acme/challenges/new/").status_code, 403)
            self.assertEqual(
                self.client.post("/o/acme/challenges/new/", {"title": "X"}).status_code, 403
            )
            self.assertEqual(
                self.client.get(f"/o/acme/challenges/{challenge.pk}/edit/").status_code, 403
            )
            self.assertEqual(
                self.client.post("/o/acme/points/rules/", {"original_share": 99}).status_code,
                403,
            )
            rules = self.client.get("/o/acme/points/rules/")
            self.assertContains(rules, "How points work")
            self.assertNotContains(rules, "Change the rules")
        self.assertEqual(rules_of(self.org).original_share, 10)
        self.login(self.paul)
        self.assertEqual(self.client.get("/o/acme/challenges/new/").status_code, 200)
        self.assertContains(self.client.get("/o/acme/points/rules/"), "Change the rules")
        response = self.client.post("/o/acme/points/rules/", {"original_share": 1, "copy_share": 5})
        self.assertEqual(response.status_code, 400)

    def test_every_page_works_for_a_member_and_is_404_for_an_outsider(self) -> None:
        challenge = make_challenge(self.org)
        pages = [
            "/o/acme/leaderboard/",
            "/o/acme/points/",
            "/o/acme/points/rules/",
            "/o/acme/badges/",
            "/o/acme/challenges/",
            f"/o/acme/challenges/{challenge.pk}/",
        ]
        self.login(self.amy)
        for path in pages:
            self.assertEqual(self.client.get(path).status_code, 200, path)
        self.assertEqual(self.client.get("/o/acme/challenges/999999/").status_code, 404)
        self.assertEqual(self.client.get("/o/acme/leaderboard/visibility/").status_code, 405)
        self.assertEqual(self.client.delete("/o/acme/leaderboard/").status_code, 405)
        self.login(self.oscar)
        for path in [*pages, "/o/acme/challenges/new/"]:
            self.assertEqual(self.client.get(path).status_code, 404, path)
        # The victim's challenge under the outsider's own organisation.
        self.assertEqual(self.client.get(f"/o/globex/challenges/{challenge.pk}/").status_code, 404)
        # Pages in French for a French speaker (texts go through the catalogue).
        self.login(self.paul)
        self.assertEqual(
            self.client.get("/o/acme/points/", HTTP_ACCEPT_LANGUAGE="fr")["Content-Language"],
            "fr",
        )


@time_machine.travel(NOW, tick=False)
class CommandTests(OrgTestCase):
    def test_award_points_command_and_worker(self) -> None:
        published_share(self.amy_m, make_item(self.org), originality=0.9)
        out = StringIO()
        call_command("award-points", "--org", "acme", "--dry-run", stdout=out)
        self.assertIn("Dry run", out.getvalue())
        self.assertFalse(PointsEntry.objects.exists())
        call_command("award-points", "--org", "acme", "--since", "2026-05-01", stdout=out)
        self.assertEqual(total(self.amy_m, "share"), 9)
        with self.assertRaises(CommandError):
            call_command("award-points", "--org", "nowhere")
        with self.assertRaises(CommandError):
            call_command("award-points", "--since", "2026-02-30")

        # The worker's periodic tasks do the same (tasks run inline in tests).
        from chorus.engage.tasks import award_points

        published_share(self.maya_m, make_item(self.org), originality=0.5)
        award_points()
        self.assertEqual(total(self.maya_m, "share"), 5)
        before = PointsEntry.objects.count()
        with time_machine.travel(NOW.replace(hour=3, minute=1), tick=False):
            award_points()  # the nightly full run
        self.assertEqual(PointsEntry.objects.count(), before)

    def test_recent_runs_then_the_nightly_run_and_a_first_run_counts_everything(self) -> None:
        from chorus.engage.tasks import award_points

        old = NOW - timedelta(days=10)
        published_share(self.amy_m, make_item(self.org), originality=1.0, at=old)
        award_points()  # the ledger was empty: everything is counted
        self.assertEqual(total(self.amy_m, "share"), 10)
        published_share(self.maya_m, make_item(self.org), originality=1.0, at=old)
        award_points()  # the last two days only
        self.assertEqual(total(self.maya_m, "share"), 0)
        with time_machine.travel(NOW.replace(hour=3, minute=5), tick=False):
            award_points()
        self.assertEqual(total(self.maya_m, "share"), 10)
        self.assertTrue(PointsRules.objects.filter(org=self.other_org).exists())

    def test_the_rules_page_shows_the_organisations_values(self) -> None:
        rules = rules_of(self.org)
        rules.original_share = 12
        rules.save()
        self.login(self.amy)
        self.assertContains(self.client.get("/o/acme/points/rules/"), "up to 12")
