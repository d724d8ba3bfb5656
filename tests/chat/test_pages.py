"""The "Chat tools" settings page and its actions: admins only, outsiders 404, in French and
English; the test-message button; the digest preference page."""

from __future__ import annotations

from django.test import override_settings
from django.urls import reverse

from chorus.chat.models import ChatChannel, ChatMessage
from chorus.orgs.models import AuditEntry
from tests.base import OrgTestCase
from tests.chat.teams_receiver import teams_receiver


class ChatSettingsPageTests(OrgTestCase):
    def setUp(self) -> None:
        self.channel = ChatChannel.objects.create(
            org=self.org,
            tool="teams",
            name="Marketing",
            target={"url": "https://acme.example/hook"},
        )
        self.url = reverse("chat_settings", args=[self.org.slug])

    def test_it_works_for_the_admin(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url)
        self.assertContains(response, "Chat tools")
        self.assertContains(response, "Microsoft Teams")
        self.assertContains(response, "Slack")
        self.assertContains(response, "Marketing")
        self.assertContains(response, "Send a test message")
        self.assertNotContains(response, "acme.example/hook")
        settings_page = self.client.get(reverse("org_settings", args=[self.org.slug]))
        self.assertContains(settings_page, self.url)

    def test_slack_is_offered_only_when_the_server_has_its_app(self) -> None:
        self.login(self.alice)
        self.assertNotContains(
            self.client.get(self.url),
            reverse("chat_connect", kwargs={"org": self.org.slug, "tool": "slack"}),
        )
        with override_settings(
            CHORUS_SLACK_CLIENT_ID="1.2",
            CHORUS_SLACK_CLIENT_SECRET="s",
            CHORUS_SLACK_SIGNING_SECRET="x",
        ):
            response = self.client.get(self.url)
            self.assertContains(
                response, reverse("chat_connect", kwargs={"org": self.org.slug, "tool": "slack"})
            )
            # The "Connect" form's redirect to Slack's consent page is allowed by this page's CSP.
            self.assertIn(
                "form-action 'self' https://slack.com", response["Content-Security-Policy"]
            )
        self.assertNotIn("slack.com", self.client.get(self.url)["Content-Security-Policy"])

    def test_it_is_in_french_for_a_french_admin(self) -> None:
        self.alice.language = "fr"
        self.alice.save()
        self.login(self.alice)
        response = self.client.get(self.url)
        self.assertContains(response, '<html lang="fr"')

    def test_other_roles_get_403_and_outsiders_404(self) -> None:
        test_url = reverse("chat_channel_test", args=[self.org.slug, self.channel.pk])
        add_url = reverse("chat_channel_add", kwargs={"org": self.org.slug, "tool": "teams"})
        for user in (self.paul, self.maya, self.amy):
            self.login(user)
            self.assertEqual(self.client.get(self.url).status_code, 403)
            self.assertEqual(self.client.post(test_url).status_code, 403)
            self.assertEqual(
                self.client.post(
                    add_url, {"teams-name": "x", "teams-url": "https://e.example/h"}
                ).status_code,
                403,
            )
        self.login(self.oscar)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(test_url).status_code, 404)
        own_org_test = reverse("chat_channel_test", args=[self.other_org.slug, self.channel.pk])
        self.assertEqual(self.client.post(own_org_test).status_code, 404)
        self.assertFalse(ChatMessage.objects.exists())
        self.assertEqual(ChatChannel.objects.count(), 1)

    def test_a_bad_id_is_404_and_the_wrong_method_405(self) -> None:
        self.login(self.alice)
        self.assertEqual(
            self.client.post(
                reverse("chat_channel_test", args=[self.org.slug, 999999])
            ).status_code,
            404,
        )
        self.assertEqual(
            self.client.get(
                reverse("chat_channel_test", args=[self.org.slug, self.channel.pk])
            ).status_code,
            405,
        )
        self.assertEqual(self.client.post(self.url).status_code, 405)

    @override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
    def test_the_test_button_queues_a_message_the_worker_sends(self) -> None:
        self.login(self.alice)
        with teams_receiver() as receiver:
            ChatChannel.objects.filter(pk=self.channel.pk).update(target={"url": receiver.url()})
            # The page queues it; the worker sends it right after the commit.
            with self.captureOnCommitCallbacks(execute=False) as callbacks:
                response = self.client.post(
                    reverse("chat_channel_test", args=[self.org.slug, self.channel.pk])
                )
            self.assertEqual(response.status_code, 302)
            message = ChatMessage.objects.get(channel=self.channel)
            self.assertEqual((message.kind, message.status), ("test", "pending"))
            self.assertEqual(receiver.accepted, [])  # nothing sent inside the request
            for callback in callbacks:
                callback()
        message.refresh_from_db()
        self.assertEqual(message.status, "sent")
        self.assertIn("Test message from Chorus", str(receiver.accepted))
        page = self.client.get(self.url)
        self.assertContains(page, "Test message")

    def test_removing_a_channel_is_audited(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            reverse("chat_channel_remove", args=[self.org.slug, self.channel.pk])
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(ChatChannel.objects.exists())
        self.assertTrue(
            AuditEntry.objects.filter(org=self.org, action="chat.channel.remove").exists()
        )

    def test_the_digest_page_offers_email_and_teams_to_any_member(self) -> None:
        self.login(self.amy)
        response = self.client.get(reverse("digest_channel", args=[self.org.slug]))
        self.assertContains(response, "E-mail")
        self.assertContains(response, "Microsoft Teams")
        self.assertNotContains(response, "Slack")  # no workspace connected
        notifications = self.client.get(reverse("notifications", args=[self.org.slug]))
        self.assertContains(notifications, reverse("digest_channel", args=[self.org.slug]))
        self.login(self.oscar)
        self.assertEqual(
            self.client.get(reverse("digest_channel", args=[self.org.slug])).status_code, 404
        )
