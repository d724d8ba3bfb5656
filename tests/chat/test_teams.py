"""Microsoft Teams, against a local receiver that checks each card against the Adaptive Card
JSON schema (tests/chat/teams_receiver.py): channels added by URL (checked, encrypted),
announcements and digests sent by the worker once each, retried, and refused URLs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from chorus.chat import delivery
from chorus.chat.models import ChatChannel, ChatMessage, ChatPreference
from chorus.content.actions import do_save_campaign, do_save_item
from chorus.feed.models import AmbassadorProfile
from chorus.integrations.capabilities import Announcement
from chorus.integrations.teams import cards
from chorus.notify.digest import send_due
from tests.base import OrgTestCase
from tests.chat.teams_receiver import card_errors, message_errors, teams_receiver

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
class TeamsTests(OrgTestCase):
    def add_channel(self, url: str, **fields: object) -> ChatChannel:
        return ChatChannel.objects.create(
            org=self.org, tool="teams", name="Marketing", target={"url": url}, **fields
        )

    def test_the_admin_adds_a_channel_whose_url_is_kept_encrypted(self) -> None:
        self.login(self.alice)
        url = "https://acme.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456"
        response = self.client.post(
            reverse("chat_channel_add", kwargs={"org": self.org.slug, "tool": "teams"}),
            {"teams-name": "Marketing", "teams-url": url, "teams-announce_content": "on"},
        )
        self.assertEqual(response.status_code, 302)
        channel = ChatChannel.objects.get(org=self.org, tool="teams")
        self.assertEqual(
            (channel.name, channel.target, channel.announce_campaigns),
            ("Marketing", {"url": url}, False),
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT target FROM chat_chatchannel WHERE id = %s", [channel.pk])
            self.assertNotIn("webhook.office.com", cursor.fetchone()[0])
        page = self.client.get(reverse("chat_settings", args=[self.org.slug]))
        self.assertNotContains(page, "webhookb2")  # the secret is never shown again

    @override_settings(CHORUS_ALLOW_PRIVATE_URLS=False)
    def test_a_url_that_is_not_https_is_refused_and_nothing_is_saved(self) -> None:
        self.login(self.alice)
        for url in (
            "ftp://example.com/hook",
            "http://example.com/hook",
            "https://user:pw@example.com/h",
            "not a url",
        ):
            response = self.client.post(
                reverse("chat_channel_add", kwargs={"org": self.org.slug, "tool": "teams"}),
                {"teams-name": "X", "teams-url": url},
            )
            self.assertEqual(response.status_code, 400, url)
        self.assertFalse(ChatChannel.objects.exists())

    @override_settings(CHORUS_ALLOW_PRIVATE_URLS=False)
    def test_a_url_to_a_private_address_is_never_posted_to(self) -> None:
        with teams_receiver() as receiver:
            channel = self.add_channel(receiver.url().replace("http://", "https://"))
            do_save_item(
                self.paul_m,
                None,
                {"title": "Hi", "url": "https://www.example.com/h", "status": "published"},
                fetch_preview=False,
            )
            delivery.send_due()
        message = ChatMessage.objects.get(channel=channel)
        self.assertEqual(message.status, ChatMessage.Status.FAILED)
        self.assertIn("not a public address", message.last_error)
        self.assertEqual(receiver.accepted, [])

    def test_new_content_and_campaigns_arrive_as_valid_adaptive_cards_once(self) -> None:
        with teams_receiver() as receiver:
            channel = self.add_channel(receiver.url())
            item = do_save_item(
                self.paul_m,
                None,
                {
                    "title": "Our new plant",
                    "url": "https://www.example.com/plant",
                    "summary": "Jobs",
                    "status": "published",
                },
                fetch_preview=False,
            )
            do_save_campaign(
                self.paul_m,
                None,
                {
                    "name": "Spring",
                    "slug": "spring",
                    "objective": "awareness",
                    "cta_url": "https://www.example.com/spring",
                },
            )
            self.assertEqual(delivery.send_due(), 2)
            self.assertEqual(delivery.send_due(), 0)
        self.assertEqual(receiver.rejected, [])
        self.assertEqual(len(receiver.accepted), 2)
        content_card = next(card for card in receiver.accepted if "Our new plant" in str(card))
        self.assertEqual((content_card["type"], content_card["version"]), ("AdaptiveCard", "1.5"))
        share = next(action for action in content_card["actions"] if action["title"] == "Share")
        self.assertTrue(share["url"].endswith(reverse("compose", args=[self.org.slug, item.pk])))
        self.assertEqual(ChatMessage.objects.filter(channel=channel, status="sent").count(), 2)

    def test_the_receiver_refuses_a_card_that_breaks_the_schema(self) -> None:
        """The receiver is not a rubber stamp: what the schema forbids is refused."""
        card = cards.announcement(
            Announcement(
                "content",
                "T",
                "",
                "https://e.example",
                "https://c.example",
                "content:1",
                "en",
                "Acme",
            )
        )
        self.assertEqual(card_errors(card), [])
        self.assertTrue(
            card_errors({**card, "body": [{"type": "TextBlock", "text": "x", "size": "Huge"}]})
        )
        self.assertTrue(
            card_errors({**card, "actions": [{"type": "Action.OpenUrl", "title": "x"}]})
        )  # no url
        self.assertTrue(
            message_errors(
                {"type": "message", "attachments": [{"contentType": "text/html", "content": card}]}
            )
        )
        with teams_receiver() as receiver:
            self.add_channel(receiver.url())
            broken = {
                "type": "message",
                "attachments": [
                    {
                        "contentType": "application/vnd.microsoft.card.adaptive",
                        "content": {
                            "type": "AdaptiveCard",
                            "version": "1.5",
                            "body": [{"type": "Nope"}],
                        },
                    }
                ],
            }
            status, _body = receiver.answer(json.dumps(broken).encode(), "application/json")
        self.assertEqual(status, 400)

    def test_a_failing_webhook_is_retried_with_backoff_and_a_refusal_stops_it(self) -> None:
        with teams_receiver() as receiver, time_machine.travel(NOW, tick=False) as clock:
            retried = self.add_channel(receiver.url("/ok"))
            receiver.fail_next = [500, 429]
            do_save_item(
                self.paul_m,
                None,
                {"title": "Hi", "url": "https://www.example.com/h", "status": "published"},
                fetch_preview=False,
            )
            self.assertEqual(delivery.send_due(), 0)
            message = ChatMessage.objects.get(channel=retried)
            first_wait = message.next_attempt_at - NOW
            self.assertGreaterEqual(first_wait, timedelta(seconds=15))
            clock.shift(timedelta(hours=1, minutes=1))
            self.assertEqual(delivery.send_due(), 0)
            clock.shift(timedelta(hours=1, minutes=1))
            self.assertEqual(delivery.send_due(), 1)
            message.refresh_from_db()
            self.assertEqual((message.status, message.attempts), (ChatMessage.Status.SENT, 3))
            self.assertEqual(len(receiver.accepted), 1)
            # A URL whose flow was turned off answers 404: given up at once.
            ChatChannel.objects.filter(pk=retried.pk).update(announce_campaigns=False)
            gone = self.add_channel(receiver.url("/gone"))
            receiver.fail_next = [404]
            do_save_campaign(
                self.paul_m, None, {"name": "Spring", "slug": "spring", "objective": "awareness"}
            )
            delivery.send_due()
        failed = ChatMessage.objects.get(channel=gone)
        self.assertEqual((failed.status, failed.attempts), (ChatMessage.Status.FAILED, 1))
        self.assertIn("404", failed.last_error)

    def test_a_person_gets_their_digest_at_their_own_workflows_url(self) -> None:
        AmbassadorProfile.objects.create(org=self.org, membership=self.amy_m)
        with teams_receiver() as receiver, time_machine.travel(NOW, tick=False):
            self.client.force_login(self.amy)
            missing = self.client.post(
                reverse("digest_channel", args=[self.org.slug]), {"via": "teams"}
            )
            self.assertEqual(missing.status_code, 400)
            response = self.client.post(
                reverse("digest_channel", args=[self.org.slug]),
                {"via": "teams", "url": receiver.url("/amy")},
            )
            self.assertEqual(response.status_code, 302)
            preference = ChatPreference.objects.get(membership=self.amy_m)
            self.assertEqual(preference.target, {"url": receiver.url("/amy")})
            # Saving again without the URL keeps the one saved (it is never shown back).
            self.client.post(reverse("digest_channel", args=[self.org.slug]), {"via": "teams"})
            preference.refresh_from_db()
            self.assertEqual(preference.target, {"url": receiver.url("/amy")})
            send_due(NOW)
            delivery.send_due()
        self.assertEqual(receiver.rejected, [])
        (card,) = receiver.accepted
        self.assertIn("Amy", card["body"][0]["text"])
        self.assertTrue(card["actions"][0]["url"].endswith(reverse("feed", args=[self.org.slug])))
