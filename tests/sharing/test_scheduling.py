"""Cadence and staggering, with frozen time."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime, time, timedelta

import time_machine
from django.utils import timezone

from chorus.feed.models import AmbassadorProfile
from chorus.sharing import scheduling
from chorus.sharing.models import Share, SharingPolicy
from chorus.sharing.scheduling import BUCKET, PER_BUCKET, SlotRefused, check_slot, good_time
from tests.base import OrgTestCase
from tests.factory import make_item, make_member, make_user

MONDAY_9 = "2026-11-30 09:00:00+00:00"


class CadenceTests(OrgTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.item = make_item(cls.org)
        cls.policy = SharingPolicy.objects.create(
            org=cls.org, max_per_day=2, min_hours_between=3, quiet_start=time(21), quiet_end=time(7)
        )

    def share_at(self, when: datetime, network: str = "linkedin") -> Share:
        return Share.objects.create(
            org=self.org,
            membership=self.amy_m,
            item=self.item,
            network=network,
            text="x",
            status=Share.Status.SCHEDULED,
            scheduled_for=when,
        )

    def assert_refused(self, when: datetime, network: str, words: str) -> None:
        with self.assertRaises(SlotRefused) as refused:
            check_slot(self.amy_m, network, when)
        self.assertIn(words, str(refused.exception))

    @time_machine.travel(MONDAY_9, tick=False)
    def test_quiet_hours_gap_daily_limit_and_weekly_cadence(self) -> None:
        now = timezone.now()
        AmbassadorProfile.objects.create(org=self.org, membership=self.amy_m, weekly_cadence=3)
        self.assert_refused(now.replace(hour=22), "linkedin", "quiet hours")
        self.assert_refused(now.replace(hour=5), "linkedin", "quiet hours")
        self.share_at(now.replace(hour=10))
        self.assert_refused(now.replace(hour=12), "x", "less than 3 hours")
        check_slot(self.amy_m, "x", now.replace(hour=13))  # three hours later is fine
        self.share_at(now.replace(hour=16))
        self.assert_refused(now.replace(hour=20), "linkedin", "2 posts on this network")
        check_slot(self.amy_m, "mastodon", now.replace(hour=20))  # another network
        self.share_at(now.replace(hour=20), "mastodon")
        # Weekly cadence of 3: a fourth post within 7 days is refused.
        self.assert_refused(now + timedelta(days=3), "mastodon", "3 posts a week")
        check_slot(self.amy_m, "mastodon", now.replace(hour=10) + timedelta(days=7, hours=1))

    @time_machine.travel(MONDAY_9, tick=False)
    def test_a_good_time_is_in_the_preferred_hours(self) -> None:
        AmbassadorProfile.objects.create(
            org=self.org, membership=self.amy_m, posting_hours=["evening"], posting_days=[2]
        )
        when = good_time(self.amy_m, "linkedin", self.item)
        local = timezone.localtime(when, scheduling.rules_for(self.amy_m).tz)
        self.assertEqual(local.weekday(), 2)
        self.assertIn(local.hour, range(17, 21))

    @time_machine.travel(MONDAY_9, tick=False)
    def test_posts_from_the_device_are_not_held_by_the_gap(self) -> None:
        now = timezone.now()
        AmbassadorProfile.objects.create(org=self.org, membership=self.amy_m, weekly_cadence=0)
        device = self.share_at(now - timedelta(minutes=5), "whatsapp")
        Share.objects.filter(pk=device.pk).update(method=Share.Method.INTENT)
        # Another device share right after: the person posts it themselves.
        check_slot(self.amy_m, "email", now, device=True)
        # Chorus publishing is not held back by what they posted from their device either.
        check_slot(self.amy_m, "linkedin", now)
        # Chorus keeps its gap after its own posts; a device share does not wait for it.
        self.share_at(now + timedelta(minutes=30))
        self.assert_refused(now + timedelta(hours=1), "x", "less than 3 hours")
        check_slot(self.amy_m, "whatsapp", now + timedelta(hours=1), device=True)

    @time_machine.travel(MONDAY_9, tick=False)
    def test_the_next_allowed_moment_after_a_refusal(self) -> None:
        now = timezone.now()
        AmbassadorProfile.objects.create(org=self.org, membership=self.amy_m, weekly_cadence=0)
        self.assertEqual(scheduling.next_allowed(self.amy_m, "x", now), now)
        planned = now + timedelta(minutes=47)
        self.share_at(planned)
        # The exact end of the gap, not the next round hour.
        self.assertEqual(
            scheduling.next_allowed(self.amy_m, "x", now), planned + timedelta(hours=3)
        )
        # In the quiet hours (21:00-07:00 UTC here), the first minute after them.
        evening = now.replace(hour=22, minute=3)
        self.assertEqual(
            scheduling.next_allowed(self.amy_m, "x", evening),
            (now + timedelta(days=1)).replace(hour=7, minute=0),
        )
        # Two posts that day on LinkedIn already (the limit): the next day.
        self.share_at(now.replace(hour=16))
        self.assertEqual(
            scheduling.next_allowed(self.amy_m, "linkedin", now.replace(hour=19, minute=30)),
            (now + timedelta(days=1)).replace(hour=7, minute=0),
        )


class StaggerTests(OrgTestCase):
    def test_two_hundred_colleagues_at_a_good_time_are_spread_and_keep_their_cadence(
        self,
    ) -> None:
        item = make_item(self.org)
        SharingPolicy.objects.create(org=self.org, max_per_day=1, min_hours_between=4)
        people = [
            make_member(self.org, user=make_user(f"p{number}@acme.example"))
            for number in range(200)
        ]
        with time_machine.travel(MONDAY_9, tick=False):
            now = timezone.now()
            for person in people:
                # Each already has one post planned tomorrow: the new one must respect it.
                Share.objects.create(
                    org=self.org,
                    membership=person,
                    item=make_item(self.org) if person.pk % 50 == 0 else item,
                    network="linkedin",
                    text="earlier",
                    status=Share.Status.PUBLISHED,
                    published_at=now - timedelta(days=1),
                ) if person.pk % 3 == 0 else None
                when = good_time(person, "linkedin", item, seed=str(person.pk))
                Share.objects.create(
                    org=self.org,
                    membership=person,
                    item=item,
                    network="linkedin",
                    text="mine",
                    status=Share.Status.SCHEDULED,
                    scheduled_for=when,
                )
        scheduled = list(
            Share.objects.filter(item=item, status=Share.Status.SCHEDULED).values_list(
                "membership_id", "scheduled_for"
            )
        )
        self.assertEqual(len(scheduled), 200)
        per_bucket = Counter(int(at.timestamp() // BUCKET.total_seconds()) for _m, at in scheduled)
        self.assertLessEqual(max(per_bucket.values()), PER_BUCKET)  # never a burst
        times = sorted(at for _m, at in scheduled)
        self.assertGreater(times[-1] - times[0], timedelta(hours=8))  # spread over a window
        self.assertEqual(len(set(times)), 200)  # jittered: no two at the same second
        # Nobody exceeds their cadence: every person's posts keep the rules.
        for person in people:
            mine = Share.objects.filter(membership=person).exclude(status=Share.Status.CANCELLED)
            moments = sorted(
                at or published
                for at, published in mine.values_list("scheduled_for", "published_at")
            )
            for first, second in itertools.pairwise(moments):
                self.assertGreaterEqual(second - first, timedelta(hours=4))
            week = [at for at in moments if at >= moments[-1] - timedelta(days=7)]
            self.assertLessEqual(len(week), 2)
            local_hours = {
                timezone.localtime(at).hour
                for at in moments
                if at > timezone.now() - timedelta(days=30)
            }
            self.assertTrue(all(7 <= hour < 21 for hour in local_hours if hour is not None))
