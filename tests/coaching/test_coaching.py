"""My results, a team's results, coaching notes (private to their two parties) and
workshop follow-ups."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import time_machine
from django.utils import timezone

from chorus.coaching.models import CoachingNote, CoachingReply
from chorus.coaching.results import Period, bar_width
from chorus.feed.models import AmbassadorProfile
from chorus.links.ingest import rebuild_days
from chorus.links.models import Click, Conversion, TrackedLink
from chorus.notify.models import Notification
from chorus.orgs.models import Membership, Role
from chorus.program.models import WorkshopSignup
from chorus.sharing.models import Share
from tests.base import OrgTestCase
from tests.factory import (
    make_item,
    make_member,
    make_note,
    make_reply,
    make_share,
    make_team,
    make_workshop,
)

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
_events = itertools.count(1)


def local(days_ago: int, hour: int, minute: int = 0) -> datetime:
    """A moment `days_ago` days before NOW, at this hour of the site's time zone."""
    day = timezone.localtime(NOW).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


class ResultsTestCase(OrgTestCase):
    """Frozen time, and helpers that write shares, clicks and leads the way the app does."""

    def setUp(self) -> None:
        super().setUp()
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def link(self, member: Membership, network: str = "mastodon") -> TrackedLink:
        item = make_item(self.org)
        return TrackedLink.objects.create(
            org=self.org,
            ambassador=member,
            item=item,
            network=network,
            url=item.url,
            destination=item.url,
        )

    def click(
        self,
        link: TrackedLink,
        when: datetime,
        count: int = 1,
        *,
        bot: bool = False,
        visitor: str | None = None,
    ) -> None:
        for _ in range(count):
            number = next(_events)
            Click.objects.create(
                org=link.org,
                link=link,
                event_id=f"event-{number}",
                occurred_at=when,
                visitor=visitor or f"visitor-{number}",
                is_bot=bot,
                device="bot" if bot else "mobile",
            )
        rebuild_days({(link.pk, when.astimezone(UTC).date())})

    def shared(
        self,
        member: Membership,
        *,
        days_ago: int = 3,
        hour: int = 10,
        network: str = "mastodon",
        originality: float | None = None,
        clicks: int = 0,
        click_hour: int | None = None,
        status: str = Share.Status.PUBLISHED,
    ) -> Share:
        """A published share with its tracked link; its human clicks come the next day."""
        link = self.link(member, network)
        share = make_share(
            member,
            link.item,
            network=network,
            status=status,
            published_at=local(days_ago, hour) if status == Share.Status.PUBLISHED else None,
            originality=originality,
            link=link,
        )
        if clicks:
            self.click(
                link, local(days_ago - 1, hour if click_hour is None else click_hour), clicks
            )
        return share

    def lead(self, member: Membership, when: datetime) -> Conversion:
        return Conversion.objects.create(
            org=member.org,
            kind="lead",
            value=Decimal("100"),
            occurred_at=when,
            ambassador=member,
            external_id=f"crm-{next(_events)}",
        )

    def results(self, weeks: int | None = None, user: Any = None) -> Any:
        self.login(user or self.amy)
        query = f"?weeks={weeks}" if weeks else ""
        response = self.client.get(f"/o/acme/me/results/{query}")
        self.assertEqual(response.status_code, 200)
        return response

    def suggestion_keys(self, response: Any) -> set[str]:
        return {suggestion.key for suggestion in response.context["suggestions"]}


class MyResultsTests(ResultsTestCase):
    url = "/o/acme/me/results/"

    def test_figures_are_what_the_raw_data_says(self) -> None:
        first = self.shared(self.amy_m, days_ago=3, network="mastodon")
        self.click(first.link, local(2, 9), 2)
        self.click(first.link, local(2, 10), 2, visitor="same-person")  # one visitor, twice
        self.click(first.link, local(2, 11), 3, bot=True)  # link previews: never counted
        self.shared(self.amy_m, days_ago=10, network="mastodon", clicks=1)
        self.shared(self.amy_m, days_ago=60, network="linkedin")
        # Not mine, not published, or before the period.
        self.shared(self.amy_m, status=Share.Status.DRAFT)
        self.shared(self.amy_m, status=Share.Status.FAILED)
        self.shared(self.amy_m, days_ago=200, clicks=3)
        self.shared(self.maya_m, days_ago=3, clicks=5)
        self.lead(self.amy_m, local(2, 12))
        self.lead(self.amy_m, local(40, 12))
        self.lead(self.amy_m, local(150, 12))
        self.lead(self.maya_m, local(2, 12))

        response = self.results()
        results = response.context["results"]
        start = Period.last(12).start
        raw_shares = Share.objects.filter(
            membership=self.amy_m, status="published", published_at__gte=start
        ).count()
        raw_clicks = Click.objects.filter(
            link__ambassador=self.amy_m, is_bot=False, occurred_at__gte=start
        ).count()
        raw_leads = Conversion.objects.filter(ambassador=self.amy_m, occurred_at__gte=start).count()
        self.assertEqual((raw_shares, raw_clicks, raw_leads), (3, 5, 2))
        self.assertEqual(results.share_count, raw_shares)
        self.assertEqual(results.clicks, raw_clicks)
        self.assertEqual(results.leads, raw_leads)
        self.assertEqual(results.unique_visitors, 4)
        self.assertContains(response, '<dd data-figure="shares">3</dd>', html=True)
        self.assertContains(response, '<dd data-figure="clicks">5</dd>', html=True)
        self.assertContains(response, '<dd data-figure="visitors">4</dd>', html=True)
        self.assertContains(response, '<dd data-figure="leads">2</dd>', html=True)
        # By network, with the clicks each network's posts drew.
        self.assertEqual(
            [(row.network, row.shares, row.clicks) for row in results.by_network()],
            [("mastodon", 2, 5), ("linkedin", 1, 0)],
        )
        # Over time: per week, the last week last.
        self.assertEqual(sum(results.weekly_shares), 3)
        self.assertEqual(results.weekly_shares[-1], 1)
        self.assertEqual(sum(results.weekly_clicks), 5)
        # Engagement is shown only once measured.
        self.assertIsNone(results.engagement)
        self.assertContains(response, "not yet available")

    def test_engagement_as_last_measured(self) -> None:
        from chorus.sharing.models import EngagementSnapshot

        first = self.shared(self.amy_m)
        second = self.shared(self.amy_m)
        self.shared(self.amy_m)  # never measured (e.g. shared from the device)
        for share, reactions, taken_at in (
            (first, 2, local(3, 12)),
            (first, 5, local(2, 12)),  # running totals: the latest counts, never a sum
            (second, 1, local(2, 12)),
        ):
            EngagementSnapshot.objects.create(
                org=self.org, share=share, taken_at=taken_at, reactions=reactions, comments=1
            )
        response = self.results()
        self.assertEqual(response.context["results"].engagement, (5 + 1) + (1 + 1))
        self.assertContains(response, '<dd data-figure="engagement">8</dd>', html=True)

    def test_the_period_can_be_chosen(self) -> None:
        self.shared(self.amy_m, days_ago=3)
        self.shared(self.amy_m, days_ago=60)
        self.shared(self.amy_m, days_ago=150)
        counts = {
            weeks: self.results(weeks).context["results"].share_count for weeks in (4, 12, 26)
        }
        self.assertEqual(counts, {4: 1, 12: 2, 26: 3})
        for junk in ("abc", "9999", "-4", "²"):
            response = self.client.get(self.url, {"weeks": junk})
            self.assertEqual(response.context["period"].weeks, 12, junk)

    def test_best_hours_by_click_and_by_posting_hour(self) -> None:
        for days_ago in (5, 6, 7):
            share = self.shared(self.amy_m, days_ago=days_ago, hour=22)
            self.click(share.link, local(days_ago - 1, 8, 15), 4)
            self.click(share.link, local(days_ago - 1, 9, 40), 3)
            self.click(share.link, local(days_ago - 1, 15), 5, bot=True)
        response = self.results()
        results = response.context["results"]
        self.assertEqual(results.click_hours[8], 12)
        self.assertEqual(results.click_hours[9], 9)
        self.assertEqual(results.click_hours[15], 0, "bots are not people")
        self.assertEqual(sum(results.click_hours), 21)
        self.assertEqual(results.posting_hours(), {22: (3, 21)})
        self.assertIn("timing", self.suggestion_keys(response))
        self.assertContains(
            response, "You usually post at 22 h; most of your clicks come at 8\u20139 h"
        )

    def test_originality_trend_per_week(self) -> None:
        self.shared(self.amy_m, days_ago=2, originality=0.8)
        self.shared(self.amy_m, days_ago=3, originality=0.4)
        self.shared(self.amy_m, days_ago=20, originality=0.1)
        self.shared(self.amy_m, days_ago=21, originality=None)  # not measured: no weight
        response = self.results()
        trend = response.context["results"].weekly_originality
        self.assertEqual(len(trend), 12)
        self.assertAlmostEqual(trend[11], 0.6)
        self.assertAlmostEqual(trend[9], 0.1)
        self.assertEqual(
            [value for index, value in enumerate(trend) if index not in (9, 11)], [None] * 10
        )
        self.assertAlmostEqual(response.context["results"].originality_average, 1.3 / 3)
        self.assertContains(response, '<dd data-figure="originality">43 %</dd>', html=True)

    def test_only_my_own_figures_and_no_ranking(self) -> None:
        self.shared(self.maya_m, clicks=7)
        self.maya.first_name = "Maya-unique-name"
        self.maya.save()
        response = self.results()
        self.assertEqual(response.context["results"].clicks, 0)
        self.assertNotContains(response, "Maya-unique-name")

    def test_bar_widths_are_bucketed_for_the_css_classes(self) -> None:
        self.assertEqual(
            [bar_width(value, 40) for value in (0, 1, 10, 19, 40, 80)], [0, 5, 25, 50, 100, 100]
        )
        self.shared(self.amy_m, clicks=4, hour=8)
        response = self.results()
        self.assertContains(response, 'class="bar-fill w-100"')
        self.assertNotContains(response, "style=")

    def test_roles_and_methods(self) -> None:
        for user in (self.alice, self.paul, self.maya, self.amy):
            self.login(user)
            self.assertEqual(self.client.get(self.url).status_code, 200)
        self.assertEqual(self.client.post(self.url).status_code, 405)
        self.login(self.oscar)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.client.logout()
        self.assertEqual(self.client.get(self.url).status_code, 302)

    def test_the_page_costs_the_same_with_many_notes(self) -> None:
        make_note(self.paul_m, self.amy_m, share=self.shared(self.amy_m))
        self.login(self.amy)
        self.client.get(self.url)  # warm caches (site, session)
        with self.assertNumQueries(len(self._queries())) as few:
            self.client.get(self.url)
        for _ in range(6):
            note = make_note(self.maya_m, self.amy_m, share=self.shared(self.amy_m))
            make_reply(note, self.maya_m)
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get(self.url)

    def _queries(self) -> list[Any]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            self.client.get(self.url)
        return list(queries.captured_queries)


class SuggestionTests(ResultsTestCase):
    def test_own_words_drew_more_clicks(self) -> None:
        for _ in range(3):
            self.shared(self.amy_m, originality=0.6, clicks=4)
            self.shared(self.amy_m, originality=0.0, clicks=1)
        response = self.results()
        self.assertIn("own-words", self.suggestion_keys(response))
        self.assertContains(
            response,
            "Your posts in your own words drew 4.0\u00d7 the clicks of the posts that kept",
        )

    def test_no_own_words_suggestion_without_a_difference_or_enough_posts(self) -> None:
        for _ in range(3):
            self.shared(self.amy_m, originality=0.6, clicks=2)
            self.shared(self.amy_m, originality=0.0, clicks=2)
        self.assertNotIn("own-words", self.suggestion_keys(self.results()))
        Share.objects.all().delete()
        for _ in range(2):  # a big difference, but on too few posts to tell
            self.shared(self.amy_m, originality=0.6, clicks=10)
            self.shared(self.amy_m, originality=0.0, clicks=1)
        self.shared(self.amy_m, originality=0.6, clicks=10)
        self.assertNotIn("own-words", self.suggestion_keys(self.results()))

    def test_no_timing_suggestion_when_posting_just_before_the_clicks(self) -> None:
        for days_ago in (5, 6, 7):
            share = self.shared(self.amy_m, days_ago=days_ago, hour=7)
            self.click(share.link, local(days_ago - 1, 8), 4)
            self.click(share.link, local(days_ago - 1, 9), 3)
        self.assertNotIn("timing", self.suggestion_keys(self.results()))

    def test_no_timing_suggestion_on_too_few_clicks(self) -> None:
        for days_ago in (5, 6, 7):
            self.shared(self.amy_m, days_ago=days_ago, hour=22, clicks=2, click_hour=8)
        self.assertNotIn("timing", self.suggestion_keys(self.results()))

    def test_below_the_weekly_target_i_set(self) -> None:
        Membership.objects.filter(pk=self.amy_m.pk).update(joined_at=NOW - timedelta(days=60))
        AmbassadorProfile.objects.create(org=self.org, membership=self.amy_m, weekly_cadence=3)
        self.shared(self.amy_m, days_ago=3)
        self.shared(self.amy_m, days_ago=10)
        response = self.results()
        self.assertIn("weekly-target", self.suggestion_keys(response))
        self.assertContains(response, "Over the last 4 weeks you shared 0.5 times a week")
        for days_ago in range(1, 28, 2):
            self.shared(self.amy_m, days_ago=days_ago)
        self.assertNotIn("weekly-target", self.suggestion_keys(self.results()))

    def test_no_target_suggestion_without_a_target_or_when_just_arrived(self) -> None:
        Membership.objects.filter(pk=self.amy_m.pk).update(joined_at=NOW - timedelta(days=60))
        self.assertNotIn("weekly-target", self.suggestion_keys(self.results()))
        AmbassadorProfile.objects.create(org=self.org, membership=self.amy_m, weekly_cadence=3)
        Membership.objects.filter(pk=self.amy_m.pk).update(joined_at=NOW - timedelta(days=3))
        self.assertNotIn("weekly-target", self.suggestion_keys(self.results()))

    def test_one_network_draws_more(self) -> None:
        for _ in range(3):
            self.shared(self.amy_m, network="linkedin", clicks=6)
            self.shared(self.amy_m, network="mastodon", clicks=2)
        response = self.results()
        self.assertIn("network", self.suggestion_keys(response))
        self.assertContains(
            response, "Your posts on LinkedIn drew 3.0\u00d7 the clicks per post of your posts on"
        )

    def test_nothing_to_suggest_without_data(self) -> None:
        response = self.results()
        self.assertEqual(response.context["suggestions"], [])
        self.assertContains(response, "Nothing stands out yet.")


class TeamResultsTests(ResultsTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = f"/o/acme/teams/{self.team.pk}/results/"

    def test_team_figures_onboarding_and_members(self) -> None:
        bea = make_member(self.org, Role.AMBASSADOR, team=self.team)
        make_member(self.org, Role.AMBASSADOR, team=self.team, is_active=False)
        self.shared(self.amy_m, originality=0.5, clicks=3)
        self.shared(self.amy_m, originality=0.3, clicks=1)
        self.shared(bea, originality=0.1)
        self.shared(self.paul_m, clicks=9)  # not in the team
        self.shared(bea, days_ago=120, clicks=4)  # before the period
        self.login(self.maya)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        figures = response.context["figures"]
        self.assertEqual((figures.shares, figures.clicks, figures.active_members), (3, 4, 2))
        self.assertAlmostEqual(figures.originality, 0.3)
        self.assertEqual(response.context["member_count"], 3)  # Maya, Amy, Bea
        self.assertContains(response, '<dd data-figure="active">2 of 3</dd>', html=True)
        rows = {row["member"].pk: row for row in response.context["rows"]}
        self.assertEqual(rows[self.amy_m.pk]["figures"].shares, 2)
        self.assertEqual(rows[bea.pk]["figures"].clicks, 0)
        # Onboarding, from the real checklist: Amy and Bea have shared for the first time.
        self.assertTrue(rows[bea.pk]["checklist"].step("share").done)
        self.assertFalse(rows[self.maya_m.pk]["checklist"].step("share").done)
        # Listed by name, not by figures.
        names = [row["member"].user.first_name for row in response.context["rows"]]
        self.assertEqual(names, sorted(names))

    def test_permissions(self) -> None:
        marketing = make_team(self.org, "Marketing")
        for user, status in (
            (self.maya, 200),
            (self.paul, 200),
            (self.alice, 200),
            (self.amy, 403),
            (self.oscar, 404),
        ):
            self.login(user)
            self.assertEqual(self.client.get(self.url).status_code, status, user)
        self.login(self.maya)
        self.assertEqual(self.client.get(f"/o/acme/teams/{marketing.pk}/results/").status_code, 403)
        self.assertEqual(
            self.client.get(f"/o/acme/teams/{self.other_team.pk}/results/").status_code, 404
        )
        self.assertEqual(self.client.get("/o/acme/teams/999999/results/").status_code, 404)
        self.assertEqual(self.client.post(self.url).status_code, 405)
        self.login(self.oscar)
        self.assertEqual(
            self.client.get(f"/o/globex/teams/{self.team.pk}/results/").status_code, 404
        )

    def test_the_page_costs_the_same_for_a_bigger_team(self) -> None:
        self.login(self.maya)
        self.client.get(self.url)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as few:
            self.client.get(self.url)
        for _ in range(5):
            member = make_member(self.org, Role.AMBASSADOR, team=self.team)
            self.shared(member, clicks=2, originality=0.4)
            make_note(self.maya_m, member)
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get(self.url)


class CoachingNoteTests(ResultsTestCase):
    def coach_url(self, member: Membership) -> str:
        return f"/o/acme/coaching/people/{member.pk}/"

    def note_url(self, note: CoachingNote) -> str:
        return f"/o/acme/coaching/notes/{note.pk}/"

    def test_a_manager_writes_the_person_is_notified_reads_and_replies(self) -> None:
        share = self.shared(self.amy_m)
        self.login(self.maya)
        page = self.client.get(self.coach_url(self.amy_m), {"share": share.pk})
        self.assertEqual(page.status_code, 200)
        self.assertEqual(page.context["form"].initial["share"], share.pk)
        response = self.client.post(
            self.coach_url(self.amy_m), {"text": "Great hook in the first line.", "share": share.pk}
        )
        note = CoachingNote.objects.get()
        self.assertRedirects(response, self.note_url(note))
        self.assertEqual(
            (note.org, note.author, note.subject, note.share),
            (self.org, self.maya_m, self.amy_m, share),
        )
        notification = Notification.objects.get(membership=self.amy_m)
        self.assertEqual(notification.url, self.note_url(note))
        self.assertNotIn("Great hook", notification.message, "the text stays in the note")
        # Amy sees it on her results, opens it (read), and replies.
        results = self.results()
        self.assertContains(results, "Great hook in the first line.")
        self.assertContains(results, "<strong>New</strong>", html=True)
        self.assertEqual(self.client.get(self.note_url(note)).status_code, 200)
        note.refresh_from_db()
        self.assertIsNotNone(note.read_at)
        response = self.client.post(self.note_url(note), {"text": "Thanks, will do!"})
        self.assertRedirects(response, self.note_url(note))
        reply = CoachingReply.objects.get()
        self.assertEqual((reply.author, reply.note), (self.amy_m, note))
        self.assertEqual(Notification.objects.filter(membership=self.maya_m).count(), 1)
        # Maya sees the reply, and can answer in turn.
        self.login(self.maya)
        self.assertContains(self.client.get(self.note_url(note)), "Thanks, will do!")
        self.client.post(self.note_url(note), {"text": "Keep it up."})
        self.assertEqual(CoachingReply.objects.count(), 2)
        self.assertEqual(Notification.objects.filter(membership=self.amy_m).count(), 2)

    def test_notes_are_private_to_their_author_and_subject(self) -> None:
        note = make_note(self.paul_m, self.amy_m, text="Private-words-between-us")
        make_reply(note, self.amy_m, text="Private-reply-between-us")
        colleague = make_member(self.org, Role.AMBASSADOR, team=self.team)
        other_pm = make_member(self.org, Role.PROGRAM_MANAGER)
        outsiders = (colleague.user, self.maya, other_pm.user, self.alice, self.oscar)
        for user in outsiders:
            self.login(user)
            self.assertEqual(self.client.get(self.note_url(note)).status_code, 404, user)
            self.assertEqual(
                self.client.post(self.note_url(note), {"text": "Me too"}).status_code, 404, user
            )
        self.assertEqual(CoachingReply.objects.count(), 1)
        note.refresh_from_db()
        self.assertIsNone(note.read_at, "only the subject's reading counts")
        for user in (self.paul, self.amy):
            self.login(user)
            self.assertContains(self.client.get(self.note_url(note)), "Private-reply-between-us")
        # No page lists it to anyone else: their results, the team's results, the coach page.
        for user in outsiders[:-1]:
            self.login(user)
            pages = [
                "/o/acme/me/results/",
                f"/o/acme/teams/{self.team.pk}/results/",
                self.coach_url(self.amy_m),
                "/o/acme/coaching/notes/",
                "/o/acme/notifications/",
            ]
            for page in pages:
                content = self.client.get(page).content.decode()
                self.assertNotIn("Private-words-between-us", content, page)
                self.assertNotIn("Private-reply-between-us", content, page)

    def test_my_conversations_both_ways(self) -> None:
        received = make_note(self.maya_m, self.amy_m, text="To Amy from Maya")
        make_reply(received, self.amy_m)
        written = make_note(self.paul_m, self.maya_m, text="To Maya from Paul")
        self.login(self.maya)
        page = self.client.get("/o/acme/coaching/notes/")
        self.assertEqual(list(page.context["received"]), [written])
        self.assertEqual(list(page.context["written"]), [received])
        self.assertEqual(page.context["written"][0].unread_replies, 1)
        self.assertContains(page, "1 new reply")
        self.client.get(self.note_url(received))  # reading the thread clears it
        page = self.client.get("/o/acme/coaching/notes/")
        self.assertEqual(page.context["written"][0].unread_replies, 0)
        self.login(self.alice)
        page = self.client.get("/o/acme/coaching/notes/")
        self.assertEqual((list(page.context["received"]), list(page.context["written"])), ([], []))
        self.assertEqual(self.client.post("/o/acme/coaching/notes/").status_code, 405)

    def test_notification_only_for_programme_members(self) -> None:
        never_invited = make_member(self.org, Role.AMBASSADOR, team=self.team, programme=None)
        left = make_member(self.org, Role.AMBASSADOR, team=self.team, programme="left")
        self.login(self.maya)
        for member in (never_invited, left, self.amy_m):
            response = self.client.post(self.coach_url(member), {"text": "A word."})
            self.assertEqual(response.status_code, 302)
        self.assertEqual(CoachingNote.objects.count(), 3)
        self.assertEqual(
            list(Notification.objects.values_list("membership_id", flat=True)), [self.amy_m.pk]
        )

    def test_bad_input_changes_nothing(self) -> None:
        marketing = make_team(self.org, "Marketing")
        elsewhere = make_member(self.org, Role.AMBASSADOR, team=marketing)
        no_team = make_member(self.org, Role.AMBASSADOR)
        someone_elses_share = self.shared(self.maya_m)
        self.login(self.maya)
        for text in ("", "   \n  ", "x" * 2001):
            response = self.client.post(self.coach_url(self.amy_m), {"text": text})
            self.assertEqual(response.status_code, 400, text[:10])
        response = self.client.post(
            self.coach_url(self.amy_m), {"text": "About this", "share": someone_elses_share.pk}
        )
        self.assertEqual(response.status_code, 400)
        response = self.client.post(self.coach_url(self.amy_m), {"text": "x", "share": "abc"})
        self.assertEqual(response.status_code, 400)
        # Someone outside my teams, myself, another organisation's member, nobody.
        for member in (elsewhere, no_team, self.maya_m):
            self.assertEqual(
                self.client.post(self.coach_url(member), {"text": "Hi"}).status_code, 403
            )
            self.assertEqual(self.client.get(self.coach_url(member)).status_code, 403)
        self.assertEqual(
            self.client.post(self.coach_url(self.oscar_m), {"text": "Hi"}).status_code, 404
        )
        self.assertEqual(
            self.client.post("/o/acme/coaching/people/999999/", {"text": "Hi"}).status_code, 404
        )
        # An ambassador coaches nobody.
        self.login(self.amy)
        self.assertEqual(
            self.client.post(self.coach_url(self.maya_m), {"text": "Hi"}).status_code, 403
        )
        # An empty reply.
        note = make_note(self.maya_m, self.amy_m)
        self.assertEqual(self.client.post(self.note_url(note), {"text": "  "}).status_code, 400)
        self.assertEqual(CoachingNote.objects.count(), 1)
        self.assertEqual(CoachingReply.objects.count(), 0)
        self.assertEqual(Notification.objects.count(), 0)

    def test_program_managers_coach_anyone_in_the_organisation(self) -> None:
        elsewhere = make_member(self.org, Role.AMBASSADOR, team=make_team(self.org, "Marketing"))
        self.login(self.paul)
        self.assertEqual(
            self.client.post(self.coach_url(elsewhere), {"text": "Hi"}).status_code, 302
        )
        self.assertEqual(CoachingNote.objects.get().subject, elsewhere)

    def test_methods_and_bad_ids(self) -> None:
        note = make_note(self.maya_m, self.amy_m)
        self.login(self.amy)
        self.assertEqual(self.client.delete(self.note_url(note)).status_code, 405)
        self.assertEqual(self.client.get("/o/acme/coaching/notes/999999/").status_code, 404)
        self.login(self.oscar)
        self.assertEqual(self.client.get(f"/o/globex/coaching/notes/{note.pk}/").status_code, 404)


class WorkshopFollowUpTests(ResultsTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.workshop = make_workshop(self.org, days=-2)
        self.url = f"/o/acme/coaching/workshops/{self.workshop.pk}/follow-up/"
        self.bea = make_member(self.org, Role.AMBASSADOR)
        self.cid = make_member(self.org, Role.AMBASSADOR, programme=None)
        self.absent = make_member(self.org, Role.AMBASSADOR)
        for member, attended in (
            (self.amy_m, True),
            (self.bea, True),
            (self.cid, True),
            (self.absent, False),
        ):
            WorkshopSignup.objects.create(
                workshop=self.workshop, membership=member, attended=attended
            )

    def test_a_follow_up_to_each_attendee(self) -> None:
        self.login(self.paul)
        page = self.client.get(self.url)
        self.assertEqual(page.status_code, 200)
        self.assertEqual(
            {member.pk for member in page.context["people"]},
            {self.amy_m.pk, self.bea.pk, self.cid.pk},
        )
        response = self.client.post(
            self.url,
            {
                "text": "Slides attached; try one post this week.",
                "attendees": [self.amy_m.pk, self.bea.pk, self.cid.pk],
            },
        )
        self.assertRedirects(response, f"/o/acme/workshops/{self.workshop.pk}/")
        notes = CoachingNote.objects.filter(workshop=self.workshop)
        self.assertEqual(
            {note.subject_id for note in notes}, {self.amy_m.pk, self.bea.pk, self.cid.pk}
        )
        self.assertEqual({note.author_id for note in notes}, {self.paul_m.pk})
        # Notified: the programme members only.
        self.assertEqual(
            set(Notification.objects.values_list("membership_id", flat=True)),
            {self.amy_m.pk, self.bea.pk},
        )
        # Each one is private: Amy sees hers, not Bea's.
        amy_note = notes.get(subject=self.amy_m)
        bea_note = notes.get(subject=self.bea)
        self.login(self.amy)
        self.assertContains(self.client.get("/o/acme/me/results/"), "Workshop follow-up:")
        self.assertEqual(self.client.get(f"/o/acme/coaching/notes/{amy_note.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/o/acme/coaching/notes/{bea_note.pk}/").status_code, 404)

    def test_bad_input_and_roles(self) -> None:
        self.login(self.paul)
        for data in (
            {"text": "", "attendees": [self.amy_m.pk]},
            {"text": "Hello", "attendees": []},
            {"text": "Hello", "attendees": [self.absent.pk]},
            {"text": "Hello", "attendees": [self.oscar_m.pk]},
        ):
            self.assertEqual(self.client.post(self.url, data).status_code, 400, data)
        self.assertEqual(CoachingNote.objects.count(), 0)
        for user in (self.maya, self.amy):
            self.login(user)
            self.assertEqual(self.client.get(self.url).status_code, 403)
            self.assertEqual(
                self.client.post(
                    self.url, {"text": "Hi", "attendees": [self.amy_m.pk]}
                ).status_code,
                403,
            )
        self.login(self.oscar)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(
            self.client.get(
                f"/o/globex/coaching/workshops/{self.workshop.pk}/follow-up/"
            ).status_code,
            404,
        )
        self.assertEqual(CoachingNote.objects.count(), 0)
        self.assertEqual(Notification.objects.count(), 0)
