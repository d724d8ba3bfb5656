"""Engagement tasks: a programme manager asks for likes, boosts and replies on an existing
post; the task reaches the feed of programme members who connected or follow the network;
they do it through Chorus on mastodon-mock, or on the network's page and mark it done;
replies in their own words earn like original shares; the "engagement" check shows them."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from chorus.analytics.figures import engagement_task_figures
from chorus.analytics.health import Facts, check_engagement
from chorus.engage.models import Kind, PointsEntry
from chorus.engage.points import award
from chorus.feed.models import AmbassadorProfile
from chorus.integrations.base import Account, Post
from chorus.integrations.mastodon.client import client as mastodon_client
from chorus.program.models import HealthThresholds
from chorus.sharing.actions import ShareRefused, do_connect, do_create_task, do_engage
from chorus.sharing.models import EngagementTask, EngagementTaskDone
from tests.base import OrgTestCase
from tests.factory import make_member, make_user
from tests.sharing.mastodon_server import MockMastodon

ANGLE = "Say what you learned from the team that built it."


@pytest.fixture(autouse=True)
def _mastodon(request: pytest.FixtureRequest, mastodon: MockMastodon) -> None:
    if request.instance is not None:
        request.instance.mastodon = mastodon


class EngagementTaskTests(OrgTestCase):
    mastodon: MockMastodon

    def setUp(self) -> None:
        super().setUp()
        override = self.settings(CHORUS_ALLOW_PRIVATE_URLS=True)
        override.enable()
        self.addCleanup(override.disable)
        # The mock names itself localhost:<port> in its statuses' addresses.
        self.credentials = {
            **self.mastodon.credentials(),
            "instance": f"http://localhost:{self.mastodon.port}",
        }
        self.company_post = mastodon_client.publish(
            self.credentials,
            Post(
                text=f"We opened a plant {uuid.uuid4().hex[:6]}", idempotency_key=str(uuid.uuid4())
            ),
        )

    def task(
        self, action: str = "reply", network: str = "mastodon", **fields: Any
    ) -> EngagementTask:
        url = fields.pop("post_url", self.company_post.remote_url)
        return do_create_task(
            self.paul_m, network=network, post_url=url, action=action, angle=ANGLE, **fields
        )

    def connect(self, member: Any = None) -> None:
        do_connect(member or self.amy_m, "mastodon", Account("1", "@amy@mock"), self.credentials)

    # --- Asking ------------------------------------------------------------------------

    def test_a_programme_manager_asks_and_the_wrong_people_cannot(self) -> None:
        url = reverse("engagement_tasks", args=[self.org.slug])
        data = {
            "network": "mastodon",
            "post_url": self.company_post.remote_url,
            "action": "reply",
            "angle": ANGLE,
        }
        self.login(self.paul)
        self.assertRedirects(self.client.post(url, data), url)
        task = EngagementTask.objects.get()
        self.assertEqual((task.action, task.angle, task.created_by), ("reply", ANGLE, self.paul_m))
        bad = self.client.post(url, {**data, "post_url": "javascript:alert(1)"})
        self.assertEqual(bad.status_code, 400)
        self.assertEqual(EngagementTask.objects.count(), 1)
        self.login(self.amy)
        self.assertEqual(self.client.post(url, data).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.get(url).status_code, 404)
        close = reverse("engagement_task_close", args=[self.org.slug, task.pk])
        self.assertEqual(self.client.post(close).status_code, 404)
        self.login(self.amy)
        self.assertEqual(self.client.post(close).status_code, 403)
        self.login(self.paul)
        self.client.post(close)
        task.refresh_from_db()
        self.assertFalse(task.is_open)

    # --- Reaching people ---------------------------------------------------------------

    def test_the_feed_offers_it_to_members_who_connected_or_follow_the_network(self) -> None:
        task = self.task()
        feed = reverse("feed", args=[self.org.slug])
        self.login(self.amy)
        self.assertNotContains(
            self.client.get(feed), reverse("engage", args=[self.org.slug, task.pk])
        )
        self.connect()
        self.assertContains(self.client.get(feed), reverse("engage", args=[self.org.slug, task.pk]))
        # Without a connection, following the network in the profile is enough.
        bea = make_member(self.org, "ambassador", make_user("bea@acme.example"), team=self.team)
        AmbassadorProfile.objects.update_or_create(
            membership=bea, defaults={"org": self.org, "networks": {"mastodon": {"size": "small"}}}
        )
        self.client.force_login(bea.user)
        self.assertContains(self.client.get(feed), ANGLE)
        # Done or closed: no longer offered.
        do_engage(
            bea, task, text="I toured it last week: the team thought of everything.", marked=True
        )
        self.assertNotContains(self.client.get(feed), ANGLE)

    # --- Doing it ----------------------------------------------------------------------

    def test_a_reply_through_chorus_is_posted_under_the_post_and_recorded(self) -> None:
        task = self.task()
        self.connect()
        self.login(self.amy)
        page = reverse("engage", args=[self.org.slug, task.pk])
        self.assertContains(self.client.get(page), "with Chorus")
        reply = "I toured the plant last week: the team thought of every detail."
        response = self.client.post(page, {"how": "api", "text": reply})
        self.assertRedirects(response, reverse("feed", args=[self.org.slug]))
        done = EngagementTaskDone.objects.get(task=task)
        self.assertEqual((done.method, done.membership), ("api", self.amy_m))
        posted = self.mastodon.status(done.remote_id)
        self.assertEqual(posted["in_reply_to_id"], self.company_post.remote_id)
        self.assertGreater(done.originality, 0.9)
        again = self.client.post(page, {"how": "api", "text": reply})
        self.assertEqual(again.status_code, 400)  # refused: done already, nothing sent
        self.assertEqual(EngagementTaskDone.objects.count(), 1)

    def test_a_like_through_chorus_favourites_the_post(self) -> None:
        task = self.task("like")
        self.connect()
        do_engage(self.amy_m, task)
        status = self.mastodon.status(self.company_post.remote_id)
        self.assertGreaterEqual(status["favourites_count"], 1)

    def test_a_post_the_network_cannot_find_is_refused_and_nothing_is_recorded(self) -> None:
        task = self.task("like", post_url=f"http://localhost:{self.mastodon.port}/@x/999999999")
        self.connect()
        with self.assertRaisesMessage(ShareRefused, "found no post at that address"):
            do_engage(self.amy_m, task)
        self.assertFalse(EngagementTaskDone.objects.exists())

    def test_elsewhere_the_person_opens_the_post_then_marks_it_done(self) -> None:
        task = self.task(
            "boost", network="x", post_url="https://x.com/acme/status/1860000000000000042"
        )
        self.login(self.amy)
        page = self.client.get(reverse("engage", args=[self.org.slug, task.pk]))
        self.assertContains(page, "https://x.com/intent/retweet?tweet_id=1860000000000000042")
        self.assertNotContains(page, "with Chorus")
        self.client.post(reverse("engage", args=[self.org.slug, task.pk]), {"how": "marked"})
        self.assertEqual(EngagementTaskDone.objects.get().method, "marked")

    def test_an_empty_reply_is_refused_and_outsiders_get_404(self) -> None:
        task = self.task()
        self.connect()
        self.login(self.amy)
        page = reverse("engage", args=[self.org.slug, task.pk])
        self.assertContains(
            self.client.post(page, {"how": "api", "text": " "}), "Write your reply", status_code=400
        )
        self.assertFalse(EngagementTaskDone.objects.exists())
        self.login(self.oscar)
        self.assertEqual(self.client.get(page).status_code, 404)
        self.assertEqual(self.client.post(page, {"how": "marked"}).status_code, 404)

    # --- Points and figures ------------------------------------------------------------

    def test_replies_in_own_words_earn_like_original_shares_and_likes_earn_a_tap(self) -> None:
        reply_task, like_task = self.task(), self.task("like")
        bea = make_member(self.org, "ambassador", make_user("bea@acme.example"), team=self.team)
        cyd = make_member(self.org, "ambassador", make_user("cyd@acme.example"), team=self.team)
        own = "I toured the plant last week: the engineers thought of every detail."
        do_engage(self.amy_m, reply_task, text=own, marked=True)
        do_engage(bea, reply_task, text=ANGLE, marked=True)  # the angle, copied
        do_engage(cyd, like_task, marked=True)
        award(self.org)
        points = dict(
            PointsEntry.objects.filter(kind=Kind.ENGAGEMENT, source_type="engagement").values_list(
                "membership_id", "points"
            )
        )
        self.assertEqual(points[self.amy_m.pk], 10)  # all own words: an original share's 10
        self.assertEqual(points[bea.pk], 1)  # a copied reply is worth a tap
        self.assertEqual(points[cyd.pk], 1)

        now = timezone.now()
        figures = engagement_task_figures(
            self.org.pk, now - timedelta(days=1), now + timedelta(seconds=1)
        )
        self.assertEqual(
            (figures.done, figures.replies, figures.own_word_replies, figures.taps), (3, 2, 1, 1)
        )
        check = check_engagement(
            Facts(
                org=self.org,
                now=now + timedelta(seconds=1),
                thresholds=HealthThresholds.for_org(self.org),
            )
        )
        self.assertEqual(check.figure("engagement_tasks_done"), 3)
        self.assertAlmostEqual(check.figure("own_word_replies"), 1 / 3)

    def test_a_near_identical_reply_to_a_colleagues_counts_as_a_copy(self) -> None:
        task = self.task()
        bea = make_member(self.org, "ambassador", make_user("bea@acme.example"), team=self.team)
        text = "I toured the plant last week and the engineers thought of every single detail."
        do_engage(self.amy_m, task, text=text, marked=True)
        second = do_engage(bea, task, text=text + "!", marked=True)
        self.assertEqual(second.near_duplicates, 1)
