"""Slack, against the contract stand-in of its Web API (tests/chat/slack_standin.py):
connecting a workspace (OAuth v2, state checked, token encrypted), picking channels,
announcements sent by the worker once each with retries, the signed "Share" click answered
to the right person with their opt-in respected, and digests as direct messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import time_machine
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from chorus.chat import delivery
from chorus.chat.models import ChatChannel, ChatMessage, ChatPreference, ChatWorkspace
from chorus.content.actions import do_save_item
from chorus.content.models import ContentItem
from chorus.feed.models import AmbassadorProfile
from chorus.notify.digest import send_due
from chorus.orgs.models import Role
from tests.base import OrgTestCase
from tests.chat.slack_standin import SlackStandIn, signed_click, slack_standin
from tests.factory import make_member, make_user

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@contextmanager
def slack() -> Iterator[SlackStandIn]:
    with (
        slack_standin() as standin,
        override_settings(
            CHORUS_SLACK_CLIENT_ID=standin.client_id,
            CHORUS_SLACK_CLIENT_SECRET=standin.client_secret,
            CHORUS_SLACK_SIGNING_SECRET=SIGNING_SECRET,
            CHORUS_SLACK_API_URL=standin.api_url,
            CHORUS_SLACK_AUTHORIZE_URL=standin.authorize_url,
        ),
    ):
        yield standin


class SlackTestCase(OrgTestCase):
    def connect(self, standin: SlackStandIn) -> ChatWorkspace:
        """The admin connects the workspace through the pages, as in a browser."""
        self.login(self.alice)
        response = self.client.post(
            reverse("chat_connect", kwargs={"org": self.org.slug, "tool": "slack"})
        )
        query = parse_qs(urlsplit(response["Location"]).query)
        code = standin.issue_code(query["redirect_uri"][0])
        response = self.client.get(
            reverse("chat_callback", kwargs={"tool": "slack"}),
            {"code": code, "state": query["state"][0]},
        )
        self.assertRedirects(
            response,
            reverse("chat_channels_pick", kwargs={"org": self.org.slug, "tool": "slack"}),
            fetch_redirect_response=False,
        )
        return ChatWorkspace.objects.get(org=self.org, tool="slack")

    def add_channel(self, workspace: ChatWorkspace, channel: str = "C0GENERAL") -> ChatChannel:
        return ChatChannel.objects.create(
            org=self.org,
            tool="slack",
            workspace=workspace,
            name="#general",
            target={"channel": channel},
            external_id=channel,
        )


class ConnectTests(SlackTestCase):
    def test_the_admin_connects_a_workspace_and_its_token_is_encrypted(self) -> None:
        with slack() as standin:
            self.login(self.alice)
            response = self.client.post(
                reverse("chat_connect", kwargs={"org": self.org.slug, "tool": "slack"})
            )
            target = urlsplit(response["Location"])
            query = parse_qs(target.query)
            self.assertEqual(f"http://{target.netloc}{target.path}", standin.authorize_url)
            self.assertEqual(query["client_id"], [standin.client_id])
            self.assertIn("chat:write", query["scope"][0])
            self.assertIn("users:read.email", query["scope"][0])
            code = standin.issue_code(query["redirect_uri"][0])
            self.client.get(
                reverse("chat_callback", kwargs={"tool": "slack"}),
                {"code": code, "state": query["state"][0]},
            )
        workspace = ChatWorkspace.objects.get(org=self.org, tool="slack")
        self.assertEqual(
            (workspace.external_id, workspace.name), (standin.team_id, standin.team_name)
        )
        token = workspace.credentials["access_token"]
        self.assertIn(token, standin.tokens)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT credentials FROM chat_chatworkspace WHERE id = %s", [workspace.pk]
            )
            stored = cursor.fetchone()[0]
        self.assertNotIn(token, stored)
        self.assertNotIn("xoxb", stored)

    def test_a_callback_with_another_state_connects_nothing(self) -> None:
        with slack() as standin:
            self.login(self.alice)
            response = self.client.post(
                reverse("chat_connect", kwargs={"org": self.org.slug, "tool": "slack"})
            )
            query = parse_qs(urlsplit(response["Location"]).query)
            code = standin.issue_code(query["redirect_uri"][0])
            response = self.client.get(
                reverse("chat_callback", kwargs={"tool": "slack"}),
                {"code": code, "state": "forged"},
                follow=True,
            )
        self.assertContains(response, "could not be checked")
        self.assertFalse(ChatWorkspace.objects.exists())
        self.assertEqual(standin.calls_to("oauth.v2.access"), [])

    def test_a_refused_code_is_said_and_connects_nothing(self) -> None:
        with slack():
            self.login(self.alice)
            response = self.client.post(
                reverse("chat_connect", kwargs={"org": self.org.slug, "tool": "slack"})
            )
            query = parse_qs(urlsplit(response["Location"]).query)
            response = self.client.get(
                reverse("chat_callback", kwargs={"tool": "slack"}),
                {"code": "never-issued", "state": query["state"][0]},
                follow=True,
            )
        self.assertContains(response, "invalid_code")
        self.assertFalse(ChatWorkspace.objects.exists())

    def test_a_callback_without_a_pending_connection_is_404(self) -> None:
        with slack():
            self.login(self.alice)
            response = self.client.get(
                reverse("chat_callback", kwargs={"tool": "slack"}), {"code": "x", "state": "y"}
            )
        self.assertEqual(response.status_code, 404)

    def test_the_admin_picks_channels_from_every_page_of_the_list(self) -> None:
        with slack() as standin:
            standin.page_size_cap = 2
            standin.channels = {
                "C01": ("general", False, True),
                "C02": ("marketing", False, True),
                "C03": ("sales", True, True),
                "C04": ("old", False, False),
            }
            standin.archived = {"C04"}
            workspace = self.connect(standin)
            page = self.client.get(
                reverse("chat_channels_pick", kwargs={"org": self.org.slug, "tool": "slack"})
            )
            self.assertContains(page, "#marketing")
            self.assertContains(page, "#sales")
            self.assertNotContains(page, "#old")
            self.assertEqual(len(standin.calls_to("conversations.list")), 2)
            response = self.client.post(
                reverse("chat_channels_pick", kwargs={"org": self.org.slug, "tool": "slack"}),
                {"channels": ["C02", "C03"], "announce_content": "on"},
            )
            self.assertEqual(response.status_code, 302)
            bad = self.client.post(
                reverse("chat_channels_pick", kwargs={"org": self.org.slug, "tool": "slack"}),
                {"channels": ["C99"]},
            )
            self.assertEqual(bad.status_code, 400)
        channels = ChatChannel.objects.filter(workspace=workspace).order_by("name")
        self.assertEqual(
            [(c.name, c.target, c.announce_content, c.announce_campaigns) for c in channels],
            [
                ("#marketing", {"channel": "C02"}, True, False),
                ("#sales", {"channel": "C03"}, True, False),
            ],
        )


class AnnouncementTests(SlackTestCase):
    def test_new_content_is_announced_once_with_a_share_button(self) -> None:
        with slack() as standin:
            standin.channels = {"C0GENERAL": ("general", False, True)}
            channel = self.add_channel(self.connect(standin))
            with self.captureOnCommitCallbacks(execute=True):
                item = do_save_item(
                    self.paul_m,
                    None,
                    {
                        "title": "Our new plant opens",
                        "url": "https://www.example.com/plant",
                        "summary": "Jobs & <growth>",
                        "status": ContentItem.Status.PUBLISHED,
                    },
                    fetch_preview=False,
                )
            # Saved again, and published again: still one announcement for the channel.
            do_save_item(self.paul_m, item, {"summary": "Jobs and growth"}, fetch_preview=False)
            delivery.send_due()
            posts = standin.calls_to("chat.postMessage")
        self.assertEqual(len(posts), 1)
        self.assertEqual(posts[0]["channel"], "C0GENERAL")
        buttons = [
            b
            for block in posts[0]["blocks"]
            if block["type"] == "actions"
            for b in block["elements"]
        ]
        share = next(b for b in buttons if b.get("action_id") == "chorus_share")
        self.assertEqual(share["value"], f"content:{item.pk}")
        self.assertEqual(share["text"]["text"], "Share")
        section = next(block for block in posts[0]["blocks"] if block["type"] == "section")
        self.assertIn("Jobs &amp; &lt;growth&gt;", section["text"]["text"])
        message = ChatMessage.objects.get(channel=channel)
        self.assertEqual((message.status, message.attempts), (ChatMessage.Status.SENT, 1))
        self.assertTrue(message.remote_id)

    def test_the_announcement_is_in_the_organisations_language(self) -> None:
        self.org.default_language = "fr"
        self.org.save()
        with slack() as standin:
            standin.channels = {"C0GENERAL": ("general", False, True)}
            self.add_channel(self.connect(standin))
            do_save_item(
                self.paul_m,
                None,
                {"title": "Printemps", "url": "https://www.example.com/p", "status": "published"},
                fetch_preview=False,
            )
            delivery.send_due()
            (post,) = standin.calls_to("chat.postMessage")
        buttons = [
            b for block in post["blocks"] if block["type"] == "actions" for b in block["elements"]
        ]
        self.assertEqual(buttons[0]["text"]["text"], "Partager")

    def test_a_rate_limited_message_waits_as_slack_asks_then_goes(self) -> None:
        with slack() as standin, time_machine.travel(NOW, tick=False) as clock:
            standin.channels = {"C0GENERAL": ("general", False, True)}
            channel = self.add_channel(self.connect(standin))
            standin.fail("chat.postMessage", 429, "ratelimited", retry_after="120")
            do_save_item(
                self.paul_m,
                None,
                {"title": "Hello", "url": "https://www.example.com/h", "status": "published"},
                fetch_preview=False,
            )
            with self.assertLogs("chorus.chat.delivery", "WARNING") as logs:
                self.assertEqual(delivery.send_due(), 0)
            self.assertIn("ratelimited", logs.output[0])
            message = ChatMessage.objects.get(channel=channel)
            self.assertEqual((message.status, message.attempts), (ChatMessage.Status.PENDING, 1))
            self.assertGreaterEqual(message.next_attempt_at, NOW + timedelta(seconds=120))
            self.assertEqual(delivery.send_due(), 0)  # not yet due
            clock.shift(timedelta(minutes=3))
            self.assertEqual(delivery.send_due(), 1)
            self.assertEqual(delivery.send_due(), 0)  # sent: never again
        self.assertEqual(len(standin.calls_to("chat.postMessage")), 2)
        message.refresh_from_db()
        self.assertEqual((message.status, message.attempts), (ChatMessage.Status.SENT, 2))

    def test_a_channel_that_is_gone_fails_at_once_and_says_why(self) -> None:
        with slack() as standin:
            channel = self.add_channel(self.connect(standin), channel="C0GONE")
            do_save_item(
                self.paul_m,
                None,
                {"title": "Hello", "url": "https://www.example.com/h", "status": "published"},
                fetch_preview=False,
            )
            delivery.send_due()
            delivery.send_due()
        message = ChatMessage.objects.get(channel=channel)
        self.assertEqual((message.status, message.attempts), (ChatMessage.Status.FAILED, 1))
        self.assertIn("channel_not_found", message.last_error)
        self.assertEqual(len(standin.calls_to("chat.postMessage")), 1)

    def test_two_workers_never_send_the_same_message(self) -> None:
        with slack() as standin:
            standin.channels = {"C0GENERAL": ("general", False, True)}
            channel = self.add_channel(self.connect(standin))
            do_save_item(
                self.paul_m,
                None,
                {"title": "Hello", "url": "https://www.example.com/h", "status": "published"},
                fetch_preview=False,
            )
            message = ChatMessage.objects.get(channel=channel)
            self.assertIs(delivery.claim(message.pk), False)  # taken, fresh
            self.assertIsNone(delivery.claim(message.pk))  # the other worker finds it taken
            self.assertFalse(delivery.send(message.pk))
        self.assertEqual(standin.calls_to("chat.postMessage"), [])


class ClickTests(SlackTestCase):
    def setUp(self) -> None:
        self.item = ContentItem.objects.create(
            org=self.org, title="Plant", url="https://www.example.com/p", status="published"
        )

    def click(self, standin: SlackStandIn, user: str, at: datetime, **options: str):  # type: ignore[no-untyped-def]
        body, headers = signed_click(
            SIGNING_SECRET,
            int(at.timestamp()),
            team=standin.team_id,
            user=user,
            channel="C0GENERAL",
            value=f"content:{self.item.pk}",
            **options,
        )
        return self.client.generic(
            "POST",
            reverse("chat_interactions", kwargs={"tool": "slack"}),
            body,
            content_type=headers.pop("Content-Type"),
            headers=headers,
        )

    def test_a_programme_member_who_clicks_gets_their_composer(self) -> None:
        with slack() as standin, time_machine.travel(NOW, tick=False):
            standin.channels = {"C0GENERAL": ("general", False, True)}
            self.connect(standin)
            standin.add_user("U0AMY", "Amy@Acme.example")
            self.client.logout()
            response = self.click(standin, "U0AMY", NOW - timedelta(minutes=4))
            self.assertEqual(response.status_code, 200)
            again = self.click(standin, "U0AMY", NOW - timedelta(minutes=4))  # Slack retried it
            self.assertEqual(again.status_code, 200)
            self.assertEqual(ChatMessage.objects.filter(kind="reply").count(), 1)
            delivery.send_due()
            (info,) = standin.calls_to("users.info")
            (reply,) = standin.calls_to("chat.postEphemeral")
        self.assertEqual(info["user"], "U0AMY")
        self.assertEqual((reply["channel"], reply["user"]), ("C0GENERAL", "U0AMY"))
        (button,) = [
            b for block in reply["blocks"] if block["type"] == "actions" for b in block["elements"]
        ]
        self.assertTrue(
            button["url"].endswith(reverse("compose", args=[self.org.slug, self.item.pk]))
        )
        self.assertEqual(ChatMessage.objects.get(kind="reply").membership, self.amy_m)

    def test_someone_not_in_the_programme_gets_a_polite_word_and_no_composer(self) -> None:
        bob = make_user("bob@acme.example", first_name="Bob")
        make_member(self.org, Role.AMBASSADOR, bob, programme="invited")
        with slack() as standin, time_machine.travel(NOW, tick=False):
            standin.channels = {"C0GENERAL": ("general", False, True)}
            self.connect(standin)
            standin.add_user("U0BOB", "bob@acme.example")
            standin.add_user("U0EVE", "eve@elsewhere.example")
            self.click(standin, "U0BOB", NOW, trigger_id="t-bob")
            self.click(standin, "U0EVE", NOW, trigger_id="t-eve")
            delivery.send_due()
            replies = {call["user"]: call for call in standin.calls_to("chat.postEphemeral")}
        for user in ("U0BOB", "U0EVE"):
            self.assertFalse([b for b in replies[user]["blocks"] if b["type"] == "actions"])
            self.assertNotIn("compose", json.dumps(replies[user]))
        self.assertIn("ambassador programme", replies["U0BOB"]["text"])
        self.assertIn("could not find you", replies["U0EVE"]["text"])

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        """POST an interactive request as Slack does; the answer's status."""
        url = reverse("chat_interactions", kwargs={"tool": "slack"})
        kind = "application/x-www-form-urlencoded"
        return self.client.generic(
            "POST", url, body, content_type=kind, headers=headers
        ).status_code

    def signed(self, standin: SlackStandIn, at: datetime, secret: str = SIGNING_SECRET):  # type: ignore[no-untyped-def]
        body, headers = signed_click(
            secret,
            int(at.timestamp()),
            team=standin.team_id,
            user="U1",
            channel="C1",
            value=f"content:{self.item.pk}",
        )
        headers.pop("Content-Type")
        return body, headers

    def test_the_signature_is_checked_both_ways(self) -> None:
        with slack() as standin, time_machine.travel(NOW, tick=False):
            self.connect(standin)
            self.client.logout()
            body, headers = self.signed(standin, NOW)
            _forged_body, forged = self.signed(standin, NOW, secret="another-secret")
            self.assertEqual(self.post(body, forged), 401)  # signed with another secret
            self.assertEqual(self.post(body.replace(b"U1", b"U2"), headers), 401)  # changed
            self.assertEqual(self.post(body, {}), 401)  # not signed at all
            # Replayed after the five-minute window (and from too far ahead).
            late = self.signed(standin, NOW - timedelta(minutes=5, seconds=1))
            early = self.signed(standin, NOW + timedelta(minutes=5, seconds=1))
            self.assertEqual(self.post(*late), 401)
            self.assertEqual(self.post(*early), 401)
            self.assertFalse(ChatMessage.objects.exists())
            # The genuine one, inside the window (the edge: 5 minutes old).
            self.assertEqual(self.post(body, headers), 200)
            self.assertEqual(self.post(*self.signed(standin, NOW - timedelta(minutes=5))), 200)
            self.assertEqual(ChatMessage.objects.filter(kind="reply").count(), 1)

    def test_a_click_on_another_organisations_item_is_ignored(self) -> None:
        other_item = ContentItem.objects.create(
            org=self.other_org, title="Globex", url="https://www.example.com/g", status="published"
        )
        with slack() as standin, time_machine.travel(NOW, tick=False):
            self.connect(standin)  # Acme's workspace
            self.client.logout()
            body, headers = signed_click(
                SIGNING_SECRET,
                int(NOW.timestamp()),
                team=standin.team_id,
                user="U1",
                channel="C1",
                value=f"content:{other_item.pk}",
            )
            kind = headers.pop("Content-Type")
            url = reverse("chat_interactions", kwargs={"tool": "slack"})
            response = self.client.generic("POST", url, body, content_type=kind, headers=headers)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(ChatMessage.objects.exists())

    def test_without_a_signing_secret_nothing_is_accepted(self) -> None:
        with slack() as standin, override_settings(CHORUS_SLACK_SIGNING_SECRET=""):
            body, headers = signed_click(
                "",
                int(datetime.now(UTC).timestamp()),
                team=standin.team_id,
                user="U1",
                channel="C1",
                value="v",
            )
            kind = headers.pop("Content-Type")
            response = self.client.generic(
                "POST",
                reverse("chat_interactions", kwargs={"tool": "slack"}),
                body,
                content_type=kind,
                headers=headers,
            )
        self.assertEqual(response.status_code, 401)

    def test_the_interactions_url_takes_only_post(self) -> None:
        self.assertEqual(
            self.client.get(reverse("chat_interactions", kwargs={"tool": "slack"})).status_code, 405
        )
        self.assertEqual(self.client.post("/chat/nochat/interactions/").status_code, 404)


class DigestTests(SlackTestCase):
    def test_a_person_who_chose_slack_gets_their_digest_as_a_direct_message(self) -> None:
        AmbassadorProfile.objects.create(org=self.org, membership=self.amy_m)
        AmbassadorProfile.objects.create(org=self.org, membership=self.maya_m)
        with slack() as standin, time_machine.travel(NOW, tick=False):
            self.connect(standin)
            standin.add_user("U0AMY", "amy@acme.example")
            self.client.force_login(self.amy)
            page = self.client.get(reverse("digest_channel", args=[self.org.slug]))
            self.assertContains(page, "Slack")
            response = self.client.post(
                reverse("digest_channel", args=[self.org.slug]), {"via": "slack"}
            )
            self.assertEqual(response.status_code, 302)
            self.assertEqual(ChatPreference.objects.get(membership=self.amy_m).digest_tool, "slack")
            mail.outbox.clear()
            send_due(NOW)
            # Maya kept the e-mail; Amy's digest went to the chat outbox.
            self.assertEqual([m.to[0] for m in mail.outbox], ["maya@acme.example"])
            send_due(NOW)  # the same day again: not twice
            delivery.send_due()
            (lookup,) = standin.calls_to("users.lookupByEmail")
            (post,) = standin.calls_to("chat.postMessage")
        self.assertEqual(lookup["email"], "amy@acme.example")
        self.assertEqual(post["channel"], "U0AMY")
        self.assertEqual(post["blocks"][0]["type"], "header")
        self.assertIn("Amy", post["blocks"][0]["text"]["text"])
        self.assertEqual(ChatMessage.objects.get(kind="digest").status, ChatMessage.Status.SENT)

    def test_slack_is_not_offered_for_the_digest_without_a_workspace(self) -> None:
        self.client.force_login(self.amy)
        response = self.client.post(
            reverse("digest_channel", args=[self.org.slug]), {"via": "slack"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(ChatPreference.objects.exists())


class FallbackTests(SlackTestCase):
    def test_a_digest_slack_cannot_deliver_goes_by_e_mail_instead(self) -> None:
        AmbassadorProfile.objects.create(org=self.org, membership=self.amy_m)
        with slack() as standin, time_machine.travel(NOW, tick=False):
            self.connect(standin)  # Amy has no account in this Slack workspace
            ChatPreference.objects.create(org=self.org, membership=self.amy_m, digest_tool="slack")
            send_due(NOW)
            mail.outbox.clear()
            delivery.send_due()
        message = ChatMessage.objects.get(kind="digest")
        self.assertEqual(message.status, ChatMessage.Status.FAILED)
        self.assertIn("users_not_found", message.last_error)
        self.assertIn("sent by e-mail instead", message.last_error)
        self.assertEqual([m.to for m in mail.outbox], [["amy@acme.example"]])

    def test_an_item_unpublished_before_its_time_is_not_announced(self) -> None:
        with slack() as standin, time_machine.travel(NOW, tick=False) as clock:
            standin.channels = {"C0GENERAL": ("general", False, True)}
            channel = self.add_channel(self.connect(standin))
            item = do_save_item(
                self.paul_m,
                None,
                {
                    "title": "Tomorrow",
                    "url": "https://www.example.com/t",
                    "status": "published",
                    "publish_at": NOW + timedelta(days=1),
                },
                fetch_preview=False,
            )
            self.assertEqual(delivery.send_due(), 0)  # not before its time
            do_save_item(self.paul_m, item, {"status": "draft"}, fetch_preview=False)
            clock.shift(timedelta(days=1, minutes=1))
            self.assertEqual(delivery.send_due(), 0)
        self.assertEqual(standin.calls_to("chat.postMessage"), [])
        message = ChatMessage.objects.get(channel=channel)
        self.assertEqual(message.status, ChatMessage.Status.FAILED)
        self.assertIn("no longer published", message.last_error)


class LookBeforeResendingTests(SlackTestCase):
    def test_a_post_whose_answer_was_lost_is_not_posted_twice(self) -> None:
        with slack() as standin, time_machine.travel(NOW, tick=False) as clock:
            standin.channels = {"C0GENERAL": ("general", False, True)}
            channel = self.add_channel(self.connect(standin))
            standin.lose_next_answer = True  # posted, but Slack's answer is a 500
            do_save_item(
                self.paul_m,
                None,
                {"title": "Hello", "url": "https://www.example.com/h", "status": "published"},
                fetch_preview=False,
            )
            self.assertEqual(delivery.send_due(), 0)
            clock.shift(timedelta(hours=1, minutes=1))
            self.assertEqual(delivery.send_due(), 1)
        self.assertEqual(len(standin.calls_to("chat.postMessage")), 1)
        (history,) = standin.calls_to("conversations.history")
        self.assertEqual(history["channel"], "C0GENERAL")
        message = ChatMessage.objects.get(channel=channel)
        self.assertEqual(message.status, ChatMessage.Status.SENT)
        self.assertEqual(message.remote_id, standin.history["C0GENERAL"][0]["ts"])

    def test_a_worker_that_died_mid_send_is_taken_over_after_a_look(self) -> None:
        with slack() as standin, time_machine.travel(NOW, tick=False) as clock:
            standin.channels = {"C0GENERAL": ("general", False, True)}
            channel = self.add_channel(self.connect(standin))
            do_save_item(
                self.paul_m,
                None,
                {"title": "Hello", "url": "https://www.example.com/h", "status": "published"},
                fetch_preview=False,
            )
            message = ChatMessage.objects.get(channel=channel)
            self.assertIs(delivery.claim(message.pk), False)  # a worker takes it, then dies
            self.assertEqual(delivery.send_due(), 0)  # its claim still holds
            clock.shift(delivery.CLAIM_FOR + timedelta(seconds=1))
            self.assertEqual(delivery.send_due(), 1)
        # It had not posted: the next worker looked, found nothing, and posted once.
        self.assertEqual(len(standin.calls_to("conversations.history")), 1)
        self.assertEqual(len(standin.calls_to("chat.postMessage")), 1)


class RevokedTokenTests(SlackTestCase):
    def test_a_revoked_token_is_shown_to_the_admin_until_they_connect_again(self) -> None:
        with slack() as standin:
            standin.channels = {"C0GENERAL": ("general", False, True)}
            workspace = self.connect(standin)
            channel = self.add_channel(workspace)
            standin.tokens.clear()  # the app was removed from the workspace
            do_save_item(
                self.paul_m,
                None,
                {"title": "Hello", "url": "https://www.example.com/h", "status": "published"},
                fetch_preview=False,
            )
            delivery.send_due()
            message = ChatMessage.objects.get(channel=channel)
            self.assertEqual((message.status, message.attempts), (ChatMessage.Status.FAILED, 1))
            self.assertIn("invalid_auth", message.last_error)
            page = self.client.get(reverse("chat_settings", args=[self.org.slug]))
            self.assertContains(page, 'data-testid="chat-refused"')
            self.connect(standin)  # connected again: the notice goes
            page = self.client.get(reverse("chat_settings", args=[self.org.slug]))
            self.assertNotContains(page, 'data-testid="chat-refused"')
