"""Chat tools in Chromium: an admin connects Slack (OAuth v2 against the contract stand-in),
picks a channel, adds a Teams channel by its URL, sends a test message to each, and sees them
sent; the Teams card passed the Adaptive Card schema at the receiver."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import login
from tests.chat.slack_standin import slack_standin
from tests.chat.teams_receiver import teams_receiver

pytestmark = pytest.mark.browser

PASSWORD = "browser-demo-password"


def test_connect_slack_add_teams_and_send_test_messages(
    transactional_db: None, live_server: Any, settings: Any, new_page: Any
) -> None:
    from django.contrib.auth import get_user_model

    from chorus.chat import delivery
    from chorus.chat.models import ChatMessage
    from chorus.orgs.models import Role
    from tests.factory import make_member, make_org

    settings.CHORUS_ALLOW_PRIVATE_URLS = True  # the Teams receiver listens on 127.0.0.1
    base = str(live_server.url)
    User = get_user_model()
    org = make_org("Acme", "acme")
    make_member(org, Role.ORG_ADMIN, User.objects.create_user("root@acme.test", password=PASSWORD))

    with slack_standin() as slack, teams_receiver() as teams:
        slack.channels = {"C0NEWS": ("news", False, True)}
        settings.CHORUS_SLACK_CLIENT_ID = slack.client_id
        settings.CHORUS_SLACK_CLIENT_SECRET = slack.client_secret
        settings.CHORUS_SLACK_SIGNING_SECRET = "signing"
        settings.CHORUS_SLACK_API_URL = slack.api_url
        settings.CHORUS_SLACK_AUTHORIZE_URL = slack.authorize_url
        page = new_page()
        login(page, base, "root@acme.test")
        page.goto(f"{base}/o/acme/settings/")
        page.get_by_role("link", name="Chat tools").click()
        page.get_by_role("button", name="Connect Slack").click()
        # Slack's consent (the stand-in allows at once), then back on the channel picker.
        page.get_by_text("Connected to Acme Slack.").wait_for()
        page.get_by_label("#news").check()
        page.get_by_role("button", name="Add the channels").click()
        page.get_by_text("The channels were added.").wait_for()

        teams_panel = page.get_by_test_id("chat-tool-teams")
        teams_panel.get_by_label("Channel name").fill("Marketing")
        teams_panel.get_by_label("Webhook or Workflows URL").fill(teams.url())
        teams_panel.get_by_role("button", name="Add the channel").click()
        page.get_by_text("The channel was added.").wait_for()

        for panel in ("chat-tool-slack", "chat-tool-teams"):
            page.get_by_test_id(panel).get_by_role("button", name="Send a test message").click()
            page.get_by_text("A test message is on its way").wait_for()
        delivery.send_due()  # the worker's minute sweep (it also runs right after each commit)
        page.reload()
        states = page.get_by_test_id("chat-message-state").all_inner_texts()
        assert [state.strip() for state in states] == ["Sent", "Sent"]
        assert ChatMessage.objects.filter(status="sent").count() == 2
        (post,) = slack.calls_to("chat.postMessage")
        assert post["channel"] == "C0NEWS"
        assert teams.rejected == []
        assert "Test message from Chorus" in str(teams.accepted)
