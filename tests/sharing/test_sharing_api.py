"""The sharing API: check, shares, connections; and the expiry warning."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import time_machine
from django.test import override_settings
from django.utils import timezone

from chorus.notify.models import Notification
from chorus.sharing.models import Connection, Share, SharingPolicy
from chorus.sharing.tasks import warn_expiring_connections
from tests.base import OrgTestCase
from tests.factory import make_caption, make_connection, make_item, make_token

CAPTION = "Our new plant runs on solar power: a first in the region."


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
class SharingApiTests(OrgTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.item = make_item(cls.org, title="Solar plant opens")
        make_caption(cls.item, "x", CAPTION)
        cls.token = make_token(cls.amy_m)[1]

    def api(self, method: str, path: str, body: dict | None = None):  # type: ignore[no-untyped-def]
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}
        if body is None:
            return getattr(self.client, method)(path, **headers)
        return getattr(self.client, method)(path, body, content_type="application/json", **headers)

    def test_check_answers_originality_duplicates_length_and_limit(self) -> None:
        copied = self.api(
            "post",
            "/api/v1/shares/check",
            {"content": self.item.pk, "network": "x", "text": CAPTION},
        ).json()
        self.assertEqual(copied["originality"], 0.0)
        self.assertEqual((copied["length"], copied["limit"]), (len(CAPTION), 280))
        own = self.api(
            "post",
            "/api/v1/shares/check",
            {
                "content": self.item.pk,
                "network": "x",
                "text": "I toured it with our engineers: the control room is a marvel. https://example.com/a-very-long-link/that/x/counts/as/twenty-three",
            },
        ).json()
        self.assertGreater(own["originality"], 0.8)
        self.assertEqual(own["near_duplicates"], 0)
        # X counts any link as 23 characters.
        self.assertEqual(
            own["length"],
            len("I toured it with our engineers: the control room is a marvel. ") + 23,
        )

    def test_bad_input_gets_a_clear_error_and_changes_nothing(self) -> None:
        unknown = self.api(
            "post", "/api/v1/shares", {"content": self.item.pk, "network": "myspace", "text": "x"}
        )
        self.assertEqual(unknown.status_code, 400)
        self.assertIn("Unknown network", unknown.json()["detail"])
        missing = self.api("post", "/api/v1/shares", {"network": "x"})
        self.assertIn(missing.status_code, (400, 422))
        self.assertEqual(
            self.api(
                "post", "/api/v1/shares/check", {"content": 999999, "network": "x", "text": "x"}
            ).status_code,
            404,
        )
        self.assertFalse(Share.objects.exists())

    def test_create_list_and_cancel_shares(self) -> None:
        make_connection(self.amy_m, "x", access_token="t", refresh_token="r")
        at = (timezone.now() + timedelta(days=2)).replace(hour=10, minute=0)
        created = self.api(
            "post",
            "/api/v1/shares",
            {
                "content": self.item.pk,
                "network": "x",
                "text": "In my words. " + CAPTION,
                "when": "at",
                "at": at.isoformat(),
            },
        )
        self.assertEqual(created.status_code, 201, created.content)
        share = created.json()
        self.assertEqual((share["status"], share["method"]), ("scheduled", "api"))
        self.assertIn("/l/", share["text"])
        listed = self.api("get", "/api/v1/shares").json()
        self.assertEqual([row["id"] for row in listed], [share["id"]])
        cancelled = self.api("post", f"/api/v1/shares/{share['id']}/cancel")
        self.assertEqual(cancelled.json()["status"], "cancelled")
        again = self.api("post", f"/api/v1/shares/{share['id']}/cancel")
        self.assertEqual(again.status_code, 409)

    @time_machine.travel("2026-11-30 09:00:00+00:00", tick=False)
    def test_a_share_too_soon_is_told_the_next_allowed_time(self) -> None:
        SharingPolicy.objects.create(
            org=self.org, min_hours_between=3, quiet_start=time(21), quiet_end=time(7)
        )
        make_connection(self.amy_m, "x", access_token="t", refresh_token="r")
        planned = timezone.now() + timedelta(minutes=47)
        Share.objects.create(
            org=self.org,
            membership=self.amy_m,
            item=make_item(self.org, title="Earlier news"),
            network="x",
            text="Earlier",
            status=Share.Status.SCHEDULED,
            scheduled_for=planned,
        )
        body = {"content": self.item.pk, "network": "x", "text": "In my words. " + CAPTION}
        refused = self.api("post", "/api/v1/shares", body)
        self.assertEqual(refused.status_code, 409, refused.content)
        self.assertIn("less than 3 hours", refused.json()["detail"])
        # The end of the gap, as ISO 8601 a client can send back to schedule it then.
        moment = refused.json()["next_allowed"]
        self.assertEqual(datetime.fromisoformat(moment), planned + timedelta(hours=3))
        self.assertEqual(Share.objects.filter(item=self.item).count(), 0)
        then = self.api("post", "/api/v1/shares", {**body, "when": "at", "at": moment})
        self.assertEqual(then.status_code, 201, then.content)
        self.assertEqual(then.json()["scheduled_for"], moment.replace("+00:00", "Z"))

    def test_connections_are_listed_without_secrets_and_can_be_removed(self) -> None:
        connection = make_connection(self.amy_m, "mastodon", access_token="very-secret")
        listed = self.api("get", "/api/v1/connections")
        self.assertNotIn("very-secret", listed.content.decode())
        self.assertEqual(listed.json()[0]["network"], "mastodon")
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(
                self.api("delete", f"/api/v1/connections/{connection.pk}").status_code, 204
            )
        self.assertEqual(Connection.objects.get().status, "revoked")
        self.assertEqual(self.api("get", "/api/v1/connections").json(), [])


class ExpiryWarningTests(OrgTestCase):
    def test_a_linkedin_token_about_to_expire_is_announced_once(self) -> None:
        connection = make_connection(self.amy_m, "linkedin", access_token="t")
        Connection.objects.filter(pk=connection.pk).update(
            expires_at=timezone.now() + timedelta(days=3)
        )
        later = make_connection(self.paul_m, "linkedin", access_token="t")
        Connection.objects.filter(pk=later.pk).update(
            expires_at=timezone.now() + timedelta(days=40)
        )
        warn_expiring_connections.call_local()
        warn_expiring_connections.call_local()
        warnings = Notification.objects.filter(kind="connection")
        self.assertEqual([n.membership_id for n in warnings], [self.amy_m.pk])
        self.assertIn("reconnect", warnings[0].message)
