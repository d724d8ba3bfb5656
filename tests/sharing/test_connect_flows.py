"""Connecting networks through the pages: Bluesky with an app password on the real local
PDS, Mastodon's OAuth with the real mock server, LinkedIn and X with the stand-ins; then
publishing through each connection, and disconnecting."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from chorus.lib import safe_fetch
from chorus.sharing.models import Connection, MastodonApp, Share
from chorus.sharing.publishing import publish_share
from tests.base import OrgTestCase
from tests.factory import make_caption, make_item
from tests.sharing.mastodon_server import MockMastodon
from tests.sharing.pds_server import LocalPds
from tests.sharing.standins import LinkedInStandIn, XStandIn


@pytest.fixture(autouse=True)
def _servers(request: pytest.FixtureRequest, mastodon: MockMastodon, pds: LocalPds) -> None:
    if request.instance is not None:
        request.instance.mastodon = mastodon
        request.instance.pds = pds


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
class ConnectFlowTests(OrgTestCase):
    mastodon: MockMastodon
    pds: LocalPds

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.item = make_item(cls.org, title="Solar plant opens")
        make_caption(cls.item, "bluesky", "Our solar plant is open.")

    def continue_link(self, response: Any) -> str:
        if response.status_code != 200:
            shown = self.client.get(response["Location"])
            self.fail((response["Location"], [str(m) for m in shown.context["messages"]]))
        found = re.search(r'href="([^"]+)"[^>]*data-testid="continue"', response.content.decode())
        assert found, response.content.decode()[:500]
        return found.group(1).replace("&amp;", "&")

    def publish_through(self, connection: Connection, text: str) -> Share:
        share = Share.objects.create(
            org=self.org,
            membership=self.amy_m,
            item=self.item,
            network=connection.network,
            connection=connection,
            text=text,
            status=Share.Status.SCHEDULED,
            scheduled_for=timezone.now(),
        )
        publish_share(share.pk)
        share.refresh_from_db()
        return share

    def test_bluesky_connects_with_an_app_password_and_publishes(self) -> None:
        account = self.pds.create_account("amy")
        self.login(self.amy)
        response = self.client.post(
            reverse("connect_bluesky", args=[self.org.slug]),
            {
                "identifier": account.handle,
                "app_password": account.app_password,
                "pds": self.pds.url,
            },
        )
        self.assertRedirects(response, reverse("connections", args=[self.org.slug]))
        connection = Connection.objects.get(membership=self.amy_m, network="bluesky")
        self.assertEqual(connection.remote_id, account.did)
        share = self.publish_through(connection, "Proud of this one. https://example.com/x")
        self.assertEqual(share.status, Share.Status.PUBLISHED, share.error)
        record = self.pds.get_record(share.remote_id)
        self.assertEqual(record["text"], "Proud of this one. https://example.com/x")

    def test_a_wrong_app_password_is_refused_and_nothing_is_stored(self) -> None:
        account = self.pds.create_account("bad")
        self.login(self.amy)
        response = self.client.post(
            reverse("connect_bluesky", args=[self.org.slug]),
            {"identifier": account.handle, "app_password": "wrong-pass-word", "pds": self.pds.url},
        )
        self.assertContains(response, "Bluesky refused", status_code=400)
        self.assertFalse(Connection.objects.exists())

    def test_mastodon_connects_through_oauth_once_per_server_and_publishes(self) -> None:
        self.login(self.amy)
        response = self.client.post(
            reverse("connect_mastodon", args=[self.org.slug]), {"instance": self.mastodon.url}
        )
        authorize = self.continue_link(response)
        query = dict(parse_qsl(urlsplit(authorize).query))
        location = self.mastodon.choose_account(
            query["client_id"], query["redirect_uri"], query["state"]
        )
        callback = urlsplit(location)
        self.assertEqual(callback.path, reverse("connection_callback_mastodon"))
        response = self.client.get(f"{callback.path}?{callback.query}")
        self.assertRedirects(response, reverse("connections", args=[self.org.slug]))
        connection = Connection.objects.get(membership=self.amy_m, network="mastodon")
        self.assertEqual(connection.status, Connection.Status.ACTIVE)
        # The server's own limit is learnt and used by the composer's counter.
        self.assertEqual(connection.credentials["max_characters"], 500)
        from chorus.sharing.share_check import run

        self.assertEqual(run(self.item, "mastodon", "Hello", self.amy_m).limit, 500)
        share = self.publish_through(connection, "Via OAuth https://example.com/m")
        self.assertEqual(share.status, Share.Status.PUBLISHED, share.error)
        # A second person on the same server reuses the registered app.
        self.login(self.paul)
        self.client.post(
            reverse("connect_mastodon", args=[self.org.slug]), {"instance": self.mastodon.url}
        )
        self.assertEqual(MastodonApp.objects.count(), 1)

    def test_a_forged_or_replayed_state_is_refused(self) -> None:
        self.login(self.amy)
        response = self.client.get(
            reverse("connection_callback_mastodon") + "?code=mockcode_x&state=forged"
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Connection.objects.exists())

    def test_linkedin_and_x_connect_through_oauth_and_publish(self) -> None:
        with LinkedInStandIn() as linkedin, XStandIn() as x_api:
            overrides = {**linkedin.settings(), **x_api.settings()}
            with override_settings(**overrides):
                linkedin.sign_in(linkedin.add_member("Amy"))
                x_api.sign_in(x_api.add_user("amy"))
                self.login(self.amy)
                for network, api in (("linkedin", linkedin), ("x", x_api)):
                    page = self.client.post(reverse(f"connect_{network}", args=[self.org.slug]))
                    consent = safe_fetch.request("GET", self.continue_link(page))
                    self.assertEqual(consent.status, 302, consent.body)
                    callback = urlsplit(consent.headers["location"])
                    self.client.get(f"{callback.path}?{callback.query}")
                    connection = Connection.objects.get(membership=self.amy_m, network=network)
                    share = self.publish_through(connection, f"On {network} https://example.com/")
                    self.assertEqual(share.status, Share.Status.PUBLISHED, share.error)
                    self.assertEqual(api.count_posts(), 1)
                linkedin_connection = Connection.objects.get(network="linkedin")
                self.assertIsNotNone(linkedin_connection.expires_at)  # 60 days, warned before

    def test_disconnecting_revokes_and_forgets_the_token(self) -> None:
        self.login(self.amy)
        self.client.post(
            reverse("connect_mastodon", args=[self.org.slug]), {"instance": self.mastodon.url}
        )
        connection = Connection.objects.create(
            org=self.org,
            membership=self.amy_m,
            network="mastodon",
            handle="@amy",
            credentials=self.mastodon.credentials(),
        )
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("connection_disconnect", args=[self.org.slug, connection.pk])
            )
        self.assertEqual(response.status_code, 302)
        connection.refresh_from_db()
        self.assertEqual((connection.status, connection.credentials), ("revoked", {}))

    def test_people_outside_the_programme_cannot_connect(self) -> None:
        from tests.factory import make_member, make_user

        invited = make_member(self.org, user=make_user("ivy@acme.example"), programme="invited")
        self.client.force_login(invited.user)
        self.client.post(
            reverse("connect_mastodon", args=[self.org.slug]), {"instance": self.mastodon.url}
        )
        self.assertFalse(MastodonApp.objects.exists())
        self.assertFalse(Connection.objects.exists())
