"""The publishing engine after a lost answer: it looks before posting again (X), or asks
the person when the network cannot tell (LinkedIn). Never a second post."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import override_settings
from django.utils import timezone

from chorus.sharing.models import Attempt, Connection, Share
from chorus.sharing.publishing import publish_share
from chorus.sharing.tasks import publish_due
from tests.base import OrgTestCase
from tests.factory import make_item
from tests.sharing.standins import LinkedInStandIn, XStandIn


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True, CHORUS_FETCH_TIMEOUT=1)
class ReconcileTests(OrgTestCase):
    def share(self, connection: Connection, text: str) -> Share:
        return Share.objects.create(
            org=self.org,
            membership=self.amy_m,
            item=make_item(self.org),
            network=connection.network,
            connection=connection,
            text=text,
            status=Share.Status.SCHEDULED,
            scheduled_for=timezone.now(),
        )

    def test_x_a_lost_answer_is_reconciled_by_reading_recent_posts(self) -> None:
        with XStandIn() as x_api, override_settings(**x_api.settings()):
            user = x_api.add_user("amy")
            tokens = x_api.issue_tokens(user)
            connection = Connection.objects.create(
                org=self.org,
                membership=self.amy_m,
                network="x",
                handle="@amy",
                credentials={
                    "access_token": tokens["access_token"],
                    "refresh_token": tokens["refresh_token"],
                    "expires_at": (timezone.now() + timedelta(hours=2)).isoformat(),
                    "user_id": user.id,
                    "username": user.username,
                },
            )
            share = self.share(connection, "Slow network, one post https://example.com/x")
            x_api.slow(3)  # the post is created, the answer comes after our timeout
            self.assertEqual(publish_share(share.pk), "retry")
            share.refresh_from_db()
            self.assertEqual(share.status, Share.Status.SCHEDULED)
            self.assertEqual(Attempt.objects.get(share=share).outcome, "unknown")
            with time_machine.travel(share.next_attempt_at + timedelta(seconds=1), tick=False):
                publish_due()
            share.refresh_from_db()
            self.assertEqual(share.status, Share.Status.PUBLISHED, share.error)
            self.assertEqual(x_api.count_posts(text=share.text), 1)
            self.assertEqual(len(x_api.seen("tweets")), 1)  # never posted a second time

    def test_linkedin_an_unknown_outcome_is_for_the_person_to_settle(self) -> None:
        with LinkedInStandIn() as linkedin, override_settings(**linkedin.settings()):
            member = linkedin.add_member("Amy")
            connection = Connection.objects.create(
                org=self.org,
                membership=self.amy_m,
                network="linkedin",
                handle="Amy",
                credentials={
                    "access_token": linkedin.issue_token(member),
                    "member_id": member.sub,
                    "expires_at": (timezone.now() + timedelta(days=50)).isoformat(),
                },
            )
            share = self.share(connection, "Slow LinkedIn https://example.com/l")
            linkedin.slow(3)
            publish_share(share.pk)
            share.refresh_from_db()
            with time_machine.travel(share.next_attempt_at + timedelta(seconds=1), tick=False):
                publish_due()
            share.refresh_from_db()
            self.assertEqual(share.status, Share.Status.CHECK)
            self.assertEqual(linkedin.count_posts(), 1)
            # The person looks and says it went out: it counts, nothing is re-sent.
            self.client.force_login(self.amy)
            self.client.post(f"/o/acme/shares/{share.pk}/", {"action": "published"})
            share.refresh_from_db()
            self.assertEqual(share.status, Share.Status.PUBLISHED)
            self.assertEqual(linkedin.count_posts(), 1)
