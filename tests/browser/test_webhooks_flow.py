"""Webhooks in Chromium: an admin registers an endpoint on the settings page, sees a failed
delivery to a real receiver on 127.0.0.1, replays it, and sees it delivered."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import login
from tests.webhook_receiver import receiver

pytestmark = pytest.mark.browser

PASSWORD = "browser-demo-password"


def test_register_see_a_failed_delivery_and_replay_it(
    transactional_db: None, live_server: Any, settings: Any, new_page: Any
) -> None:
    from django.contrib.auth import get_user_model

    from chorus.content.actions import do_suggest
    from chorus.orgs.models import Role
    from chorus.webhooks import delivery
    from chorus.webhooks.models import Message
    from tests.factory import make_member, make_org

    settings.CHORUS_ALLOW_PRIVATE_URLS = True  # the receiver listens on 127.0.0.1
    base = str(live_server.url)
    User = get_user_model()
    org = make_org("Acme", "acme")
    make_member(org, Role.ORG_ADMIN, User.objects.create_user("root@acme.test", password=PASSWORD))
    amy = make_member(org, Role.AMBASSADOR, User.objects.create_user("amy@acme.test"))

    page = new_page()
    login(page, base, "root@acme.test")
    with receiver("whsec_" + "A" * 43 + "=") as hook:
        page.goto(f"{base}/o/acme/settings/")
        page.get_by_role("link", name="Webhooks").click()
        page.fill("input[name=url]", hook.url)
        page.get_by_label("A member suggested content").check()
        page.get_by_role("button", name="Register the endpoint").click()
        secret = page.get_by_test_id("webhook-secret").locator("code").inner_text().strip()
        assert secret.startswith("whsec_")
        hook.secret = secret

        hook.fail_all = True
        do_suggest(amy, url="https://example.com/idea", text="Worth sharing", note="")
        assert delivery.deliver_due() == 0  # the worker's run: the receiver answers 500
        page.get_by_role("link", name="Open the endpoint").click()
        row = page.get_by_test_id("webhook-messages").locator("tbody tr").first
        assert "HTTP 500" in row.get_by_test_id("attempt").inner_text()
        assert "suggestion.created" in row.inner_text()

        hook.fail_all = False
        row.get_by_role("button", name="Replay").click()
        page.get_by_text("The message will be sent again within a minute.").wait_for()
        assert delivery.deliver_due() == 1
        page.reload()
        row = page.get_by_test_id("webhook-messages").locator("tbody tr").first
        assert row.get_by_test_id("message-state").inner_text().startswith("Delivered")
        assert "replay" in row.inner_text()
        message = Message.objects.get()
        assert hook.acked_ids(1) == [message.message_id]
        assert hook.rejected == []
