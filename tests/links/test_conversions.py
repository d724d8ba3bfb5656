"""Conversions: attribution to the last click within the window, once per external id."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from chorus.links.actions import link_for, link_settings, record_conversion
from chorus.links.models import Click, Conversion
from tests.base import OrgTestCase
from tests.factory import make_campaign, make_item


class AttributionTests(OrgTestCase):
    def setUp(self) -> None:
        self.campaign = make_campaign(self.org)
        self.item = make_item(self.org, campaign=self.campaign)
        self.amy_link = link_for(self.amy_m, "linkedin", item=self.item)
        self.maya_link = link_for(self.maya_m, "x", item=self.item)
        self.now = timezone.now()

    def click(self, link, days_ago: float, is_bot: bool = False) -> str:  # type: ignore[no-untyped-def]
        event = uuid.uuid4().hex
        Click.objects.create(
            org=self.org,
            link=link,
            event_id=event,
            visitor="v",
            occurred_at=self.now - timedelta(days=days_ago),
            is_bot=is_bot,
        )
        return event

    def test_a_conversion_10_days_after_the_click_is_attributed(self) -> None:
        ref = self.click(self.amy_link, 10)
        conversion, created = record_conversion(
            self.org, kind="lead", refs=[ref], occurred_at=self.now
        )
        self.assertTrue(created)
        self.assertEqual(
            (conversion.ambassador, conversion.item, conversion.campaign, conversion.network),
            (self.amy_m, self.item, self.campaign, "linkedin"),
        )

    def test_40_days_later_is_not(self) -> None:
        ref = self.click(self.amy_link, 40)
        conversion, _ = record_conversion(self.org, kind="lead", refs=[ref], occurred_at=self.now)
        self.assertIsNone(conversion.link)
        self.assertIsNone(conversion.ambassador)

    def test_the_window_is_configurable(self) -> None:
        options = link_settings(self.org)
        options.attribution_days = 7
        options.save()
        ref = self.click(self.amy_link, 10)
        conversion, _ = record_conversion(self.org, kind="lead", refs=[ref])
        self.assertIsNone(conversion.link)

    def test_with_two_ambassadors_clicks_the_later_wins(self) -> None:
        older = self.click(self.amy_link, 5)
        later = self.click(self.maya_link, 2)
        conversion, _ = record_conversion(self.org, kind="signup", refs=[later, older])
        self.assertEqual(conversion.ambassador, self.maya_m)
        conversion, _ = record_conversion(
            self.org, kind="signup", refs=[older, later], external_id="b"
        )
        self.assertEqual(conversion.ambassador, self.maya_m)

    def test_a_repeated_external_id_counts_once(self) -> None:
        ref = self.click(self.amy_link, 1)
        first, created = record_conversion(
            self.org, kind="purchase", refs=[ref], external_id="order-1", value=Decimal("99.90")
        )
        again, created_again = record_conversion(
            self.org, kind="purchase", refs=[ref], external_id="order-1", value=Decimal("99.90")
        )
        self.assertTrue(created)
        self.assertFalse(created_again)
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(Conversion.objects.count(), 1)
        # Another organisation may use the same external id.
        _, created_elsewhere = record_conversion(
            self.other_org, kind="purchase", refs=[], external_id="order-1"
        )
        self.assertTrue(created_elsewhere)

    def test_bot_clicks_and_other_orgs_clicks_never_attribute(self) -> None:
        bot = self.click(self.amy_link, 1, is_bot=True)
        conversion, _ = record_conversion(self.org, kind="lead", refs=[bot])
        self.assertIsNone(conversion.link)
        ref = self.click(self.amy_link, 1)
        conversion, _ = record_conversion(self.other_org, kind="lead", refs=[ref])
        self.assertIsNone(conversion.link)


class ConversionApiTests(OrgTestCase):
    def setUp(self) -> None:
        item = make_item(self.org)
        self.link = link_for(self.amy_m, "linkedin", item=item)
        self.ref = uuid.uuid4().hex
        Click.objects.create(
            org=self.org, link=self.link, event_id=self.ref, visitor="v", occurred_at=timezone.now()
        )
        self.options = link_settings(self.org)

    def org_key(self) -> str:
        self.client.force_login(self.paul)
        self.client.post("/o/acme/links/settings/", {"new_key": "1"})
        key = self.client.get("/o/acme/links/settings/").context["new_key"]
        self.client.logout()
        return str(key)

    def post(self, path: str, body: dict, **headers: str):  # type: ignore[no-untyped-def,type-arg]
        return self.client.post(path, json.dumps(body), content_type="application/json", **headers)

    def test_server_conversions_need_the_org_key(self) -> None:
        body = {
            "kind": "lead",
            "click": self.ref,
            "external_id": "crm-1",
            "value": "120.50",
            "currency": "eur",
        }
        self.assertEqual(self.post("/api/v1/conversions", body).status_code, 401)
        self.assertEqual(
            self.post(
                "/api/v1/conversions", body, HTTP_AUTHORIZATION="Bearer chorus_org_nope"
            ).status_code,
            401,
        )
        key = self.org_key()
        response = self.post("/api/v1/conversions", body, HTTP_AUTHORIZATION=f"Bearer {key}")
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(
            (response.json()["ambassador"], response.json()["attributed"]),
            ("amy@acme.example", True),
        )
        again = self.post("/api/v1/conversions", body, HTTP_AUTHORIZATION=f"Bearer {key}")
        self.assertEqual((again.status_code, again.json()["created"]), (200, False))
        conversion = Conversion.objects.get()
        self.assertEqual((conversion.value, conversion.currency), (Decimal("120.50"), "EUR"))

    def test_bad_conversions_are_refused(self) -> None:
        key = self.org_key()
        for body in (
            {"kind": "fame"},
            {"kind": "lead", "value": "-3"},
            {"kind": "lead", "value": "abc"},
            {},
        ):
            response = self.post("/api/v1/conversions", body, HTTP_AUTHORIZATION=f"Bearer {key}")
            self.assertEqual(response.status_code, 422, body)
        self.assertFalse(Conversion.objects.exists())

    def test_the_website_script_reports_through_the_beacon(self) -> None:
        script = self.client.get(f"/t/{self.options.site_key}.js")
        self.assertEqual(script["Content-Type"], "application/javascript")
        self.assertIn(self.options.site_key, script.content.decode())
        body = {"site": self.options.site_key, "kind": "signup", "clicks": ["0" * 32, self.ref]}
        response = self.client.post(
            "/api/v1/conversions/beacon", json.dumps(body), content_type="text/plain"
        )
        self.assertEqual(response.status_code, 202)
        self.assertEqual(Conversion.objects.get().ambassador, self.amy_m)
        # Without a known click, or with a wrong site key, nothing is recorded.
        self.client.post(
            "/api/v1/conversions/beacon",
            json.dumps({**body, "clicks": ["f" * 32]}),
            content_type="text/plain",
        )
        self.client.post(
            "/api/v1/conversions/beacon",
            json.dumps({**body, "site": "nope"}),
            content_type="text/plain",
        )
        self.assertEqual(Conversion.objects.count(), 1)
        self.assertEqual(self.client.get("/t/unknown.js").status_code, 404)
