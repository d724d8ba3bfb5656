"""The chat tools in the API: channels, workspaces and test messages for org admins only
(outsiders 404), bad input 400 with nothing changed, secrets never answered, the test message
sent by the worker after the request; and each person's digest channel."""

from __future__ import annotations

import json
from typing import Any

from django.test import override_settings
from django.urls import reverse

from chorus.chat.models import ChatChannel, ChatMessage, ChatPreference, ChatWorkspace
from chorus.orgs.models import AuditEntry
from tests.chat.teams_receiver import teams_receiver
from tests.chat.test_slack import SlackTestCase, slack
from tests.factory import make_token


class ChatApiTestCase(SlackTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.tokens = {
            m.pk: make_token(m)[1] for m in (cls.alice_m, cls.paul_m, cls.maya_m, cls.amy_m)
        }
        cls.tokens[cls.oscar_m.pk] = make_token(cls.oscar_m)[1]

    def setUp(self) -> None:
        self.channel = ChatChannel.objects.create(
            org=self.org, tool="teams", name="Marketing", target={"url": "https://acme.example/h"}
        )

    def call(self, method: str, path: str, who: Any, body: Any = None) -> Any:
        kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {self.tokens[who.pk]}"}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)


class ChannelApiTests(ChatApiTestCase):
    def test_only_admins_and_outsiders_get_404(self) -> None:
        channel = f"/chat/channels/{self.channel.pk}"
        calls = [
            ("get", "/chat/channels", None),
            ("get", "/chat/workspaces", None),
            ("post", "/chat/teams/channels", {"name": "x", "url": "https://e.example/h"}),
            ("delete", channel, None),
            ("post", f"{channel}/test", None),
            ("delete", "/chat/slack/workspace", None),
            ("post", "/chat/slack/channels/pick", {"channels": ["C01"]}),
        ]
        for member in (self.paul_m, self.maya_m, self.amy_m):
            for method, path, body in calls:
                response = self.call(method, path, member, body)
                self.assertEqual(response.status_code, 403, (member, method, path))
        for method, path in (("delete", channel), ("post", f"{channel}/test")):
            self.assertEqual(self.call(method, path, self.oscar_m).status_code, 404)
        self.assertEqual(self.call("get", "/chat/channels", self.oscar_m).json(), [])
        self.assertEqual(list(ChatChannel.objects.all()), [self.channel])
        self.assertFalse(ChatMessage.objects.exists())

    def test_a_teams_channel_is_added_by_url_which_is_never_answered(self) -> None:
        bad = self.call(
            "post", "/chat/teams/channels", self.alice_m, {"name": "Sales", "url": "ftp://x/h"}
        )
        self.assertEqual(bad.status_code, 400)
        self.assertIn("url", bad.json()["errors"])
        missing = self.call("post", "/chat/teams/channels", self.alice_m, {"name": "Sales"})
        self.assertEqual(missing.status_code, 422)
        self.assertEqual(ChatChannel.objects.count(), 1)
        secret = "https://acme.webhook.office.com/hook/s3cret"
        body = {"name": "Sales", "url": secret, "announce_campaigns": False}
        response = self.call("post", "/chat/teams/channels", self.alice_m, body)
        self.assertEqual(response.status_code, 201, response.content)
        created = ChatChannel.objects.get(pk=response.json()["id"], org=self.org)
        self.assertEqual(created.target, {"url": secret})
        self.assertEqual((created.announce_content, created.announce_campaigns), (True, False))
        listed = self.call("get", "/chat/channels", self.alice_m)
        self.assertEqual([c["name"] for c in listed.json()], ["Marketing", "Sales"])
        for answer in (response, listed):
            self.assertNotIn("s3cret", answer.content.decode())
            self.assertNotIn("acme.example/h", answer.content.decode())
        # Slack's channels are picked from its workspace, not added by URL; unknown tools 404.
        for tool in ("slack", "irc"):
            answer = self.call("post", f"/chat/{tool}/channels", self.alice_m, body)
            self.assertEqual(answer.status_code, 404)

    def test_removing_a_channel_is_audited(self) -> None:
        path = f"/chat/channels/{self.channel.pk}"
        self.assertEqual(self.call("delete", path, self.alice_m).status_code, 204)
        self.assertFalse(ChatChannel.objects.exists())
        self.assertTrue(AuditEntry.objects.filter(action="chat.channel.remove").exists())
        self.assertEqual(self.call("delete", path, self.alice_m).status_code, 404)

    @override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
    def test_the_test_message_is_queued_and_sent_by_the_worker(self) -> None:
        with teams_receiver() as receiver:
            ChatChannel.objects.filter(pk=self.channel.pk).update(target={"url": receiver.url()})
            with self.captureOnCommitCallbacks(execute=False) as callbacks:
                response = self.call("post", f"/chat/channels/{self.channel.pk}/test", self.alice_m)
            self.assertEqual(response.status_code, 202, response.content)
            self.assertEqual(response.json()["status"], "pending")
            message = ChatMessage.objects.get(channel=self.channel, pk=response.json()["id"])
            self.assertEqual(message.kind, "test")
            self.assertEqual(receiver.accepted, [])  # nothing sent inside the request
            for callback in callbacks:
                callback()
        message.refresh_from_db()
        self.assertEqual(message.status, "sent")
        self.assertIn("Test message from Chorus", str(receiver.accepted))
        self.assertNotIn(receiver.url(), response.content.decode())


class SlackApiTests(ChatApiTestCase):
    def test_the_admin_picks_channels_and_disconnects(self) -> None:
        with slack() as standin:
            standin.channels = {
                "C01": ("general", False, True),
                "C02": ("marketing", False, True),
            }
            before = self.call("get", "/chat/slack/channels/available", self.alice_m)
            self.assertEqual(before.status_code, 404)  # not connected yet
            workspace = self.connect(standin)
            bot_token = workspace.credentials["access_token"]
            available = self.call("get", "/chat/slack/channels/available", self.alice_m)
            self.assertEqual(
                available.json(),
                [{"id": "C01", "name": "general"}, {"id": "C02", "name": "marketing"}],
            )
            pick = "/chat/slack/channels/pick"
            bad = self.call("post", pick, self.alice_m, {"channels": ["C02", "C99"]})
            self.assertEqual(bad.status_code, 400)
            self.assertIn("channels", bad.json()["errors"])
            self.assertEqual(
                self.call("post", pick, self.alice_m, {"channels": []}).status_code, 400
            )
            self.assertFalse(ChatChannel.objects.filter(workspace=workspace).exists())
            body = {"channels": ["C02"], "announce_content": False}
            picked = self.call("post", pick, self.alice_m, body)
            self.assertEqual(picked.status_code, 201, picked.content)
            self.assertEqual(
                [(c["name"], c["external_id"], c["announce_content"]) for c in picked.json()],
                [("#marketing", "C02", False)],
            )
            # A channel picked is not offered again.
            again = self.call("get", "/chat/slack/channels/available", self.alice_m).json()
            self.assertEqual([c["id"] for c in again], ["C01"])
            workspaces = self.call("get", "/chat/workspaces", self.alice_m)
            self.assertEqual([w["name"] for w in workspaces.json()], [workspace.name])
        for answer in (available, picked, workspaces):
            self.assertNotIn(bot_token, answer.content.decode())
        self.assertEqual(
            self.call("delete", "/chat/teams/workspace", self.alice_m).status_code, 404
        )
        self.assertEqual(
            self.call("delete", "/chat/slack/workspace", self.oscar_m).status_code, 404
        )
        self.assertTrue(ChatWorkspace.objects.filter(pk=workspace.pk).exists())
        gone = self.call("delete", "/chat/slack/workspace", self.alice_m)
        self.assertEqual(gone.status_code, 204)
        self.assertFalse(ChatWorkspace.objects.exists())
        self.assertFalse(ChatChannel.objects.filter(tool="slack").exists())
        self.assertTrue(AuditEntry.objects.filter(action="chat.disconnect").exists())
        self.assertEqual(
            self.call("delete", "/chat/slack/workspace", self.alice_m).status_code, 404
        )


class DigestChannelApiTests(ChatApiTestCase):
    path = "/me/digest-channel"

    def test_a_person_chooses_teams_with_their_own_url_then_email(self) -> None:
        shown = self.call("get", self.path, self.amy_m).json()
        self.assertEqual(shown, {"via": "", "has_url": False, "choices": ["teams"]})
        for body in (
            {"via": "teams"},  # no URL yet
            {"via": "teams", "url": "http://not-https.example/x"},
            {"via": "slack"},  # no workspace connected
            {"via": "pigeon"},
        ):
            response = self.call("put", self.path, self.amy_m, body)
            self.assertEqual(response.status_code, 400, body)
        self.assertFalse(ChatPreference.objects.exists())
        secret = "https://acme.webhook.office.com/amy/s3cret"
        response = self.call("put", self.path, self.amy_m, {"via": "teams", "url": secret})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json(), {"via": "teams", "has_url": True, "choices": ["teams"]})
        self.assertNotIn("s3cret", response.content.decode())
        # Without a URL the saved one is kept.
        kept = self.call("put", self.path, self.amy_m, {"via": "teams"})
        self.assertEqual(kept.status_code, 200)
        self.assertEqual(ChatPreference.objects.get(membership=self.amy_m).target, {"url": secret})
        # Someone else's choice is theirs only.
        self.assertEqual(self.call("get", self.path, self.paul_m).json()["via"], "")
        self.assertEqual(self.call("get", self.path, self.oscar_m).json()["via"], "")
        email = self.call("put", self.path, self.amy_m, {"via": ""})
        self.assertEqual(email.json()["via"], "")
        self.assertFalse(ChatPreference.objects.exists())

    def test_the_page_too_switches_back_to_email(self) -> None:
        ChatPreference.objects.create(
            membership=self.amy_m,
            org=self.org,
            digest_tool="teams",
            target={"url": "https://x.example/a"},
        )
        self.login(self.amy)
        response = self.client.post(reverse("digest_channel", args=[self.org.slug]), {"via": ""})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(ChatPreference.objects.exists())
