"""Composing, scheduling, publishing and leaving, end to end through the pages, the API and
the worker's publishing engine, against the real local Mastodon mock."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection as db_connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from chorus.integrations.base import Account
from chorus.notify.models import Notification
from chorus.program import actions as program_actions
from chorus.sharing import actions
from chorus.sharing.actions import do_connect
from chorus.sharing.models import Connection, Share, SharingPolicy
from chorus.sharing.publishing import claim, publish_share
from chorus.sharing.tasks import publish_due
from tests.base import OrgTestCase
from tests.factory import make_caption, make_item, make_member, make_token, make_user
from tests.sharing.mastodon_server import MockMastodon

CAPTION = "Our new plant runs on solar power: a first in the region."


@pytest.fixture(autouse=True)
def _mastodon(request: pytest.FixtureRequest, mastodon: MockMastodon) -> None:
    if request.instance is not None:
        request.instance.mastodon = mastodon


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
class SharingFlowTests(OrgTestCase):
    mastodon: MockMastodon

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.item = make_item(cls.org, title="Solar plant opens", talking_points="- jobs\n- energy")
        make_caption(cls.item, "mastodon", CAPTION)
        make_caption(cls.item, "linkedin", CAPTION)

    def setUp(self) -> None:
        super().setUp()
        # Today at 10:00 UTC, outside the default quiet hours (21:00-07:00 local), whatever
        # the hour the suite runs at; the clock goes on from there.
        morning = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
        traveller = time_machine.travel(morning, tick=True)
        traveller.start()
        self.addCleanup(traveller.stop)

    def connect_mastodon(self, member: Any = None) -> Connection:
        member = member or self.amy_m
        account = Account(remote_id="1", handle="@amy@mock")
        return do_connect(member, "mastodon", account, self.mastodon.credentials())

    def compose(self, network: str, text: str, **extra: Any) -> Any:
        self.login(self.amy)
        url = reverse("compose", args=[self.org.slug, self.item.pk])
        # "Now" hands the share to the worker once the transaction commits.
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(url, {"network": network, "text": text, "when": "now", **extra})

    # --- Intents ---------------------------------------------------------------------------

    def test_without_a_connection_the_share_goes_through_an_intent_then_counts_once_confirmed(
        self,
    ) -> None:
        response = self.compose("linkedin", "I visited it last week: impressive. " + CAPTION)
        share = Share.objects.get(membership=self.amy_m)
        self.assertRedirects(response, reverse("share_intent", args=[self.org.slug, share.pk]))
        self.assertEqual(share.method, Share.Method.INTENT)
        self.assertEqual(share.status, Share.Status.DRAFT)
        self.assertIn(f"/l/{share.link.code}", share.text)  # the person's tracked link
        page = self.client.get(reverse("share_intent", args=[self.org.slug, share.pk]))
        self.assertContains(page, "https://www.linkedin.com/sharing/share-offsite/?url=")
        self.assertContains(page, 'data-copy-first="share-text"')  # LinkedIn takes only a URL
        self.client.post(
            reverse("share_intent", args=[self.org.slug, share.pk]),
            {"post_url": "https://www.linkedin.com/feed/update/urn:li:share:1/"},
        )
        share.refresh_from_db()
        self.assertEqual(share.status, Share.Status.PUBLISHED)
        self.assertTrue(share.remote_url.startswith("https://www.linkedin.com/"))

    # --- Publishing through the API --------------------------------------------------------

    def test_a_connected_mastodon_share_is_published_with_the_tracked_link(self) -> None:
        self.connect_mastodon()
        before = len(self.mastodon.statuses())
        self.compose("mastodon", "Proud of the team behind this. " + CAPTION)
        share = Share.objects.get(membership=self.amy_m)
        self.assertEqual(share.method, Share.Method.API)
        self.assertEqual(share.status, Share.Status.PUBLISHED, share.error)
        statuses = self.mastodon.statuses()
        self.assertEqual(len(statuses), before + 1)
        self.assertIn(f"/l/{share.link.code}", statuses[0]["content"])
        self.assertEqual(share.remote_id, str(statuses[0]["id"]))

    def test_a_good_time_share_waits_for_its_slot_then_the_worker_publishes_it(self) -> None:
        self.connect_mastodon()
        with time_machine.travel("2026-12-01 09:00:00+00:00", tick=False):
            self.compose("mastodon", "My own take. " + CAPTION, when="good")
            share = Share.objects.get(membership=self.amy_m)
            self.assertEqual(share.status, Share.Status.SCHEDULED)
            self.assertGreater(share.scheduled_for, timezone.now())
            self.assertEqual(publish_due(), 0)
        with time_machine.travel(share.scheduled_for + timedelta(minutes=1), tick=False):
            self.assertEqual(publish_due(), 1)
        share.refresh_from_db()
        self.assertEqual(share.status, Share.Status.PUBLISHED, share.error)

    def test_a_retryable_error_schedules_a_retry_and_a_permanent_one_tells_the_person(self) -> None:
        self.connect_mastodon()
        self.mastodon.add_fault({"path": "/api/v1/statuses", "method": "POST", "status": 503})
        try:
            self.compose("mastodon", "Retry me. " + CAPTION)
        finally:
            self.mastodon.clear_faults()
        share = Share.objects.get(membership=self.amy_m)
        self.assertEqual(share.status, Share.Status.SCHEDULED)
        self.assertEqual(share.attempts, 1)
        self.assertGreater(share.next_attempt_at, timezone.now())
        with time_machine.travel(share.next_attempt_at + timedelta(seconds=1), tick=False):
            publish_due()
        share.refresh_from_db()
        self.assertEqual(share.status, Share.Status.PUBLISHED, share.error)

        # Too long for this server: stop, and say what to do.
        Share.objects.filter(pk=share.pk).delete()
        long_text = "word " * 130
        share = Share.objects.create(
            org=self.org,
            membership=self.amy_m,
            item=self.item,
            network="mastodon",
            connection=Connection.objects.get(membership=self.amy_m),
            text=long_text,
            status=Share.Status.SCHEDULED,
            scheduled_for=timezone.now(),
        )
        self.assertEqual(publish_share(share.pk), Share.Status.FAILED)
        share.refresh_from_db()
        self.assertEqual(share.error_code, "too_long")
        self.assertTrue(Notification.objects.filter(membership=self.amy_m, kind="share").exists())

    def test_an_expired_token_asks_to_reconnect(self) -> None:
        connection = do_connect(
            self.amy_m,
            "mastodon",
            Account(remote_id="1", handle="@amy@mock"),
            self.mastodon.credentials("revoked-token"),
        )
        self.compose("mastodon", "Mine. " + CAPTION)
        share = Share.objects.get(membership=self.amy_m)
        self.assertEqual((share.status, share.error_code), (Share.Status.FAILED, "reconnect"))
        connection.refresh_from_db()
        self.assertEqual(connection.status, Connection.Status.EXPIRED)

    def test_only_one_worker_claims_a_share(self) -> None:
        connection = self.connect_mastodon()
        share = Share.objects.create(
            org=self.org,
            membership=self.amy_m,
            item=self.item,
            network="mastodon",
            connection=connection,
            text="Claim me " + CAPTION,
            status=Share.Status.SCHEDULED,
            scheduled_for=timezone.now(),
        )
        self.assertTrue(claim(share.pk, "worker-a"))
        self.assertFalse(claim(share.pk, "worker-b"))
        self.assertEqual(publish_share(share.pk, "worker-b"), "not-claimed")

    def test_an_abandoned_claim_is_reclaimed_and_posts_once_thanks_to_the_idempotency_key(
        self,
    ) -> None:
        connection = self.connect_mastodon()
        text = f"Crash test {timezone.now().timestamp()} " + CAPTION
        share = Share.objects.create(
            org=self.org,
            membership=self.amy_m,
            item=self.item,
            network="mastodon",
            connection=connection,
            text=text,
            status=Share.Status.SCHEDULED,
            scheduled_for=timezone.now(),
        )
        # A first worker posted, then died before recording the result.
        from chorus.integrations.mastodon.client import client
        from chorus.sharing.models import Attempt
        from chorus.sharing.publishing import post_for

        self.assertTrue(claim(share.pk, "dead-worker"))
        Attempt.objects.create(share=share, worker="dead-worker")
        client.publish(self.mastodon.credentials(), post_for(share))
        with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
            self.assertEqual(publish_due(), 1)
        share.refresh_from_db()
        self.assertEqual(share.status, Share.Status.PUBLISHED)
        matching = [
            s for s in self.mastodon.statuses() if "Crash test" in s["content"] and str(share.pk)
        ]
        self.assertEqual(sum(1 for s in matching if text.split()[2] in s["content"]), 1)

    # --- Rules -----------------------------------------------------------------------------

    def test_the_originality_rule_can_require_own_words(self) -> None:
        SharingPolicy.objects.create(org=self.org, originality="require", min_own_words=30)
        response = self.compose("linkedin", CAPTION)
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "30", status_code=400)
        self.assertFalse(Share.objects.exists())
        self.compose(
            "linkedin",
            "I spent a day with the engineers who built this and their pride was contagious. "
            + CAPTION,
        )
        self.assertEqual(Share.objects.count(), 1)

    def test_the_cadence_refuses_a_second_post_the_same_day_with_a_reason(self) -> None:
        SharingPolicy.objects.create(
            org=self.org, max_per_day=1, min_hours_between=0, quiet_start=time(0), quiet_end=time(0)
        )
        self.compose("linkedin", "First, in my words. " + CAPTION)
        Share.objects.update(status=Share.Status.PUBLISHED, published_at=timezone.now())
        response = self.compose("linkedin", "Second, again. " + CAPTION)
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "limit", status_code=400)
        self.assertEqual(Share.objects.count(), 1)

    def test_the_live_check_reports_near_duplicates_of_colleagues(self) -> None:
        for number in range(3):
            colleague = make_member(self.org, user=make_user(f"c{number}@acme.example"))
            self.client.force_login(colleague.user)
            self.client.post(
                reverse("compose", args=[self.org.slug, self.item.pk]),
                {"network": "linkedin", "text": CAPTION, "when": "now"},
            )
        self.assertEqual(Share.objects.count(), 3)
        # Intent shares count as posted once confirmed; drafts are not posts yet.
        Share.objects.update(status=Share.Status.PUBLISHED, published_at=timezone.now())
        self.login(self.amy)
        response = self.client.post(
            reverse("compose_check", args=[self.org.slug, self.item.pk]),
            {"network": "linkedin", "text": CAPTION},
        )
        self.assertContains(response, "0% in your own words")
        self.assertContains(response, "3 colleagues")

    # --- Queue -----------------------------------------------------------------------------

    def test_the_queue_reorders_edits_and_cancels(self) -> None:
        connection = self.connect_mastodon()
        now = timezone.now()
        first, second = (
            Share.objects.create(
                org=self.org,
                membership=self.amy_m,
                item=self.item,
                network="mastodon",
                connection=connection,
                text=f"Share {n} " + CAPTION,
                status=Share.Status.SCHEDULED,
                scheduled_for=now + timedelta(days=n + 1),
            )
            for n in range(2)
        )
        self.login(self.amy)
        action = reverse("share_action", args=[self.org.slug, second.pk])
        self.client.post(action, {"action": "up"})
        first.refresh_from_db()
        second.refresh_from_db()
        self.assertLess(second.scheduled_for, first.scheduled_for)
        self.client.post(action, {"action": "edit", "text": "Edited in my words"})
        second.refresh_from_db()
        self.assertTrue(second.text.startswith("Edited in my words"))
        self.client.post(action, {"action": "cancel"})
        second.refresh_from_db()
        self.assertEqual(second.status, Share.Status.CANCELLED)
        # Someone else's share is not theirs to touch.
        self.login(self.paul)
        other = self.client.post(
            reverse("share_action", args=[self.org.slug, first.pk]), {"action": "cancel"}
        )
        self.assertEqual(other.status_code, 404)

    # --- The opt-in and leaving rules ------------------------------------------------------

    def test_nobody_outside_the_programme_gets_a_share_or_a_feed_through_pages_or_api(
        self,
    ) -> None:
        invited = make_member(self.org, user=make_user("ivy@acme.example"), programme="invited")
        self.client.force_login(invited.user)
        response = self.client.post(
            reverse("compose", args=[self.org.slug, self.item.pk]),
            {"network": "linkedin", "text": "Hello " + CAPTION, "when": "now"},
        )
        self.assertContains(response, "Join the ambassador programme", status_code=400)
        self.assertFalse(Share.objects.exists())
        _token, raw = make_token(invited)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        api = self.client.post(
            "/api/v1/shares",
            {"content": self.item.pk, "network": "linkedin", "text": "Hi"},
            content_type="application/json",
            **headers,
        )
        self.assertEqual(api.status_code, 403)
        self.assertEqual(self.client.get("/api/v1/feed", **headers).status_code, 403)
        self.assertFalse(Share.objects.exists())
        with self.assertRaises(actions.ShareRefused):
            actions.do_compose(invited, self.item, "linkedin", "Hi")

    def test_leaving_cancels_scheduled_shares_removes_connections_and_keeps_attribution(
        self,
    ) -> None:
        connection = self.connect_mastodon()
        published = Share.objects.create(
            org=self.org,
            membership=self.amy_m,
            item=self.item,
            network="linkedin",
            text="Done",
            status=Share.Status.PUBLISHED,
            published_at=timezone.now(),
        )
        scheduled = Share.objects.create(
            org=self.org,
            membership=self.amy_m,
            item=self.item,
            network="mastodon",
            connection=connection,
            text="Later",
            status=Share.Status.SCHEDULED,
            scheduled_for=timezone.now() + timedelta(days=1),
        )
        program_actions.do_leave(self.amy_m, anonymise=False)
        scheduled.refresh_from_db()
        published.refresh_from_db()
        connection.refresh_from_db()
        self.assertEqual(scheduled.status, Share.Status.CANCELLED)
        self.assertEqual(connection.status, Connection.Status.REVOKED)
        self.assertEqual(connection.credentials, {})
        self.assertEqual(published.membership, self.amy_m)  # attribution kept, as chosen
        with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
            self.assertEqual(publish_due(), 0)

    def test_leaving_anonymised_detaches_past_shares(self) -> None:
        published = Share.objects.create(
            org=self.org,
            membership=self.amy_m,
            item=self.item,
            network="linkedin",
            text="Done",
            status=Share.Status.PUBLISHED,
            published_at=timezone.now(),
        )
        program_actions.do_leave(self.amy_m, anonymise=True)
        published.refresh_from_db()
        self.assertIsNone(published.membership)
        self.assertEqual(published.status, Share.Status.PUBLISHED)  # still counts for the org

    # --- Secrets at rest -------------------------------------------------------------------

    def test_tokens_are_encrypted_at_rest_and_survive_a_key_rotation(self) -> None:
        connection = self.connect_mastodon()
        with db_connection.cursor() as cursor:
            cursor.execute(
                "SELECT credentials FROM sharing_connection WHERE id = %s", [connection.pk]
            )
            raw = cursor.fetchone()[0]
        self.assertNotIn("mock_token", raw)
        self.assertTrue(raw.startswith("gAAAA"))  # a Fernet token
        from django.core.management import call_command

        from chorus.lib import crypto

        with override_settings(
            CHORUS_ENCRYPTION_KEYS=["a-brand-new-key-for-rotation-tests-0001", "test"]
        ):
            # Old rows were written with the SECRET_KEY-derived key: list it as the old one.
            from django.conf import settings

            with override_settings(
                CHORUS_ENCRYPTION_KEYS=[
                    "a-brand-new-key-for-rotation-tests-0001",
                    settings.SECRET_KEY,
                ]
            ):
                call_command("rotate-keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
            with override_settings(
                CHORUS_ENCRYPTION_KEYS=["a-brand-new-key-for-rotation-tests-0001"]
            ):
                self.assertEqual(
                    Connection.objects.get(pk=connection.pk).credentials["access_token"],
                    "mock_token",
                )
        del crypto


class NetworksPageTests(OrgTestCase):
    def test_networks_without_app_credentials_are_named_with_the_reason(self) -> None:
        self.login(self.amy)
        page = self.client.get(reverse("connections", args=[self.org.slug]))
        self.assertContains(page, "Connect LinkedIn")
        self.assertNotContains(page, 'data-testid="not-offered"')
        with override_settings(CHORUS_LINKEDIN_CLIENT_ID="", CHORUS_X_CLIENT_ID=""):
            page = self.client.get(reverse("connections", args=[self.org.slug]))
        self.assertNotContains(page, "Connect LinkedIn")
        self.assertContains(
            page, "LinkedIn, X cannot be connected on this Chorus server yet: its administrator"
        )
