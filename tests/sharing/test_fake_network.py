"""Adding a network takes one package and one registry entry: a network of the tests'
own (tests/sharing/fake_network) is offered by the composer and the API, publishes, and
has its counts read back, with nothing else changed."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from chorus.integrations import registry
from chorus.integrations.base import Account
from chorus.sharing.actions import do_connect
from chorus.sharing.metrics import sync_due
from chorus.sharing.models import EngagementSnapshot, Share
from tests.base import OrgTestCase
from tests.factory import make_item, make_token
from tests.sharing import fake_network

TEXT = "Our new plant runs on solar power: I went to see it, and it is impressive."


class FakeNetworkTests(OrgTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.item = make_item(cls.org, title="Solar plant opens")

    def setUp(self) -> None:
        super().setUp()
        # 10:00 UTC: outside the default quiet hours, whatever the hour the suite runs at.
        morning = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
        traveller = time_machine.travel(morning, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)
        fake_network.server.posts.clear()
        fake_network.server.likes.clear()
        # The one registry entry.
        registry.register(fake_network.integration)
        self.addCleanup(registry.unregister, fake_network.KEY)

    def compose_page(self) -> str:
        self.login(self.amy)
        url = reverse("compose", args=[self.org.slug, self.item.pk])
        return self.client.get(url, {"network": fake_network.KEY}).content.decode()

    def test_the_composer_offers_it_only_while_it_is_registered(self) -> None:
        page = self.compose_page()
        self.assertIn(f'href="?network={fake_network.KEY}"', page)
        self.assertIn(">Fakenet</a>", page)
        registry.unregister(fake_network.KEY)
        self.assertNotIn("Fakenet", self.compose_page())

    def test_a_share_publishes_through_it_and_its_counts_are_read_back(self) -> None:
        do_connect(
            self.amy_m, fake_network.KEY, Account("amy", "@amy"), {"user": "amy", "token": "valid"}
        )
        self.login(self.amy)
        url = reverse("compose", args=[self.org.slug, self.item.pk])
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                url, {"network": fake_network.KEY, "text": TEXT, "when": "now"}
            )
        self.assertRedirects(response, reverse("share_queue", args=[self.org.slug]))
        share = Share.objects.get(membership=self.amy_m)
        self.assertEqual(share.method, Share.Method.API)
        self.assertEqual(share.status, Share.Status.PUBLISHED)
        posted = fake_network.server.posts[share.remote_id]
        self.assertIn(TEXT, posted.text)
        self.assertIn(f"/l/{share.link.code}", posted.text)  # the tracked link went out
        self.assertEqual(share.remote_url, f"https://fakenet.example/{share.remote_id}")

        fake_network.server.likes[share.remote_id] = 7
        with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1), tick=False):
            report = sync_due()
        self.assertEqual(report.snapshots, 1)
        snapshot = EngagementSnapshot.objects.get(share=share)
        self.assertEqual((snapshot.reactions, snapshot.comments), (7, 1))

    def test_without_a_connection_its_share_page_opens(self) -> None:
        self.login(self.amy)
        url = reverse("compose", args=[self.org.slug, self.item.pk])
        response = self.client.post(url, {"network": fake_network.KEY, "text": TEXT, "when": "now"})
        share = Share.objects.get(membership=self.amy_m)
        self.assertRedirects(response, reverse("share_intent", args=[self.org.slug, share.pk]))
        self.assertEqual(share.method, Share.Method.INTENT)
        page = self.client.get(response["Location"]).content.decode()
        self.assertIn("https://fakenet.example/share?text=", page)
        self.assertEqual(fake_network.server.posts, {})

    def test_the_api_takes_it(self) -> None:
        token = make_token(self.amy_m)[1]
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        created = self.client.post(
            "/api/v1/shares",
            {"content": self.item.pk, "network": fake_network.KEY, "text": TEXT},
            content_type="application/json",
            **headers,
        )
        self.assertEqual(created.status_code, 201, created.content)
        self.assertEqual(created.json()["network"], fake_network.KEY)
        registry.unregister(fake_network.KEY)
        refused = self.client.post(
            "/api/v1/shares",
            {"content": self.item.pk, "network": fake_network.KEY, "text": TEXT},
            content_type="application/json",
            **headers,
        )
        self.assertEqual(refused.status_code, 400)
