"""Retention deletes what it should and nothing else; every dated model is placed; the
audit log and the records export for the compliance team; the governance API."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta

import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from django.utils import timezone

from chorus.analytics.retention import COVERED, KEPT, apply_retention
from chorus.governance.models import GovernanceSettings, Rule
from chorus.links.actions import link_for
from chorus.links.models import Click, LinkDay
from chorus.orgs.actions import audit
from chorus.orgs.models import AuditEntry
from chorus.sharing.models import Review, Share
from tests.base import OrgTestCase
from tests.factory import backdate, make_item, make_share, make_token

NOW = timezone.make_aware(timezone.datetime(2026, 6, 15, 12, 0))


class DatedModelsTests(OrgTestCase):
    def test_every_dated_model_is_covered_by_retention_or_kept_for_a_reason(self) -> None:
        dated = {
            model._meta.label
            for model in apps.get_models()
            if any(
                isinstance(field, models.DateField)  # DateTimeField is a DateField
                for field in model._meta.get_fields()
            )
        }
        self.assertFalse(set(COVERED) & set(KEPT))
        unplaced = dated - set(COVERED) - set(KEPT)
        self.assertEqual(
            unplaced,
            set(),
            "Place each new dated model in chorus/analytics/retention.py: COVERED (what the "
            "nightly job does to it) or KEPT (why it is left alone).",
        )
        self.assertEqual({label for label in KEPT if label not in dated}, set())
        self.assertTrue(all(reason.strip() for reason in {**COVERED, **KEPT}.values()))


class RetentionTests(OrgTestCase):
    def setUp(self) -> None:
        clock = time_machine.travel(NOW, tick=False)
        clock.start()
        self.addCleanup(clock.stop)
        self.item = make_item(self.org, url="https://www.example.com/a")
        self.other_item = make_item(self.other_org, url="https://www.example.com/b")

    def click(self, link, days: int) -> Click:  # type: ignore[no-untyped-def]
        return Click.objects.create(
            org=link.org,
            link=link,
            event_id=uuid.uuid4().hex,
            occurred_at=NOW - timedelta(days=days),
            visitor=uuid.uuid4().hex,
        )

    def test_retention_deletes_what_it_should_and_nothing_else(self) -> None:
        GovernanceSettings.objects.create(
            org=self.org, share_text_days=30, click_days=60, audit_days=365
        )
        old = backdate(
            make_share(self.amy_m, self.item, status=Share.Status.PUBLISHED, text="old words"),
            created_at=NOW - timedelta(days=40),
        )
        Review.objects.create(org=self.org, share=old, reason="r", submitted_text="old words")
        recent = backdate(
            make_share(self.amy_m, self.item, status=Share.Status.PUBLISHED, text="new words"),
            created_at=NOW - timedelta(days=20),
        )
        waiting = backdate(
            make_share(self.amy_m, self.item, status=Share.Status.SCHEDULED, text="to publish"),
            created_at=NOW - timedelta(days=40),
        )
        outsider = backdate(
            make_share(self.oscar_m, self.other_item, status=Share.Status.PUBLISHED, text="kept"),
            created_at=NOW - timedelta(days=400),
        )
        link = link_for(self.amy_m, "x", item=self.item)
        other_link = link_for(self.oscar_m, "x", item=self.other_item)
        old_click, new_click = self.click(link, 61), self.click(link, 59)
        outsider_click = self.click(other_link, 500)
        day = LinkDay.objects.create(
            org=self.org, link=link, day=(NOW - timedelta(days=61)).date(), clicks=1
        )
        old_entry = backdate(
            audit(self.org, self.alice, "x.old", self.org), created_at=NOW - timedelta(days=366)
        )
        new_entry = backdate(
            audit(self.org, self.alice, "x.new", self.org), created_at=NOW - timedelta(days=364)
        )
        outsider_entry = backdate(
            audit(self.other_org, self.oscar, "x.old", self.other_org),
            created_at=NOW - timedelta(days=900),
        )

        out = io.StringIO()
        call_command("apply-retention", "--dry-run", stdout=out)
        self.assertIn("1 share text(s) would be blanked, 1 click(s)", out.getvalue())
        dry = apply_retention(dry_run=True)
        self.assertEqual((dry.texts, dry.clicks, dry.audit_entries), (1, 1, 1))
        old.refresh_from_db()
        self.assertEqual(old.text, "old words")  # a dry run changes nothing
        self.assertTrue(Click.objects.filter(pk=old_click.pk).exists())

        done = apply_retention()
        self.assertEqual((done.texts, done.clicks, done.audit_entries), (1, 1, 1))
        old.refresh_from_db()
        self.assertEqual((old.text, old.status), ("", Share.Status.PUBLISHED))  # still counted
        self.assertEqual(Review.objects.get(share=old).submitted_text, "")
        for share, text in ((recent, "new words"), (waiting, "to publish"), (outsider, "kept")):
            share.refresh_from_db()
            self.assertEqual(share.text, text)
        self.assertEqual(
            set(Click.objects.values_list("pk", flat=True)), {new_click.pk, outsider_click.pk}
        )
        self.assertTrue(LinkDay.objects.filter(pk=day.pk, clicks=1).exists())  # rollups stay
        self.assertEqual(
            set(AuditEntry.objects.filter(action__startswith="x.").values_list("pk", flat=True)),
            {new_entry.pk, outsider_entry.pk},
        )
        self.assertFalse(AuditEntry.objects.filter(pk=old_entry.pk).exists())

    def test_nothing_is_deleted_by_default(self) -> None:
        backdate(
            make_share(self.amy_m, self.item, status=Share.Status.PUBLISHED),
            created_at=NOW - timedelta(days=4000),
        )
        GovernanceSettings.objects.create(org=self.org)
        removed = apply_retention()
        self.assertEqual((removed.texts, removed.clicks, removed.audit_entries), (0, 0, 0))

    def test_the_settings_page_refuses_a_bad_period(self) -> None:
        self.login(self.alice)
        url = reverse("governance", args=[self.org.slug])
        response = self.client.post(url, {"form": "retention", "retention-click_days": "0"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(GovernanceSettings.objects.exists())
        response = self.client.post(url, {"form": "retention", "retention-click_days": "90"})
        self.assertRedirects(response, url)
        self.assertEqual(GovernanceSettings.objects.get().click_days, 90)
        self.assertTrue(AuditEntry.objects.filter(action="retention.change").exists())


class ExportTests(OrgTestCase):
    def setUp(self) -> None:
        clock = time_machine.travel(NOW, tick=False)
        clock.start()
        self.addCleanup(clock.stop)

    def test_the_audit_log_exports_filtered_as_csv_and_json_for_admins_only(self) -> None:
        backdate(
            audit(self.org, self.alice, "rule.add", self.org), created_at=NOW - timedelta(days=10)
        )
        audit(self.org, self.paul, "rule.add", self.org)
        audit(self.org, self.alice, "review.declined", self.org)
        audit(self.other_org, self.oscar, "rule.add", self.other_org)
        url = reverse("audit_export", args=[self.org.slug])
        self.login(self.alice)
        today = NOW.date().isoformat()
        response = self.client.get(url, {"audit-since": today, "audit-format": "csv"})
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]
        self.assertEqual(sorted(row["action"] for row in rows), ["review.declined", "rule.add"])
        response = self.client.get(
            url,
            {
                "audit-actor": "ALICE@acme.example",
                "audit-action": "review.",
                "audit-format": "json",
            },
        )
        self.assertEqual([row["action"] for row in response.json()], ["review.declined"])
        response = self.client.get(url, {"audit-since": "2026-06-20", "audit-until": "2026-06-01"})
        self.assertEqual(response.status_code, 400)
        response = self.client.get(url, {"audit-since": "yesterday"})
        self.assertEqual(response.status_code, 400)
        self.login(self.paul)
        self.assertEqual(self.client.get(url).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_records_list_published_posts_with_their_approvals(self) -> None:
        item = make_item(self.org)
        share = make_share(
            self.amy_m, item, status=Share.Status.PUBLISHED, published_at=NOW, text="Mine"
        )
        make_share(self.amy_m, item, status=Share.Status.CANCELLED, text="Not published")
        Review.objects.create(
            org=self.org,
            share=share,
            reason="first shares",
            submitted_text="Mine",
            decision=Review.Decision.APPROVED,
            reviewer=self.paul_m,
            decided_at=NOW,
        )
        self.login(self.alice)
        url = reverse("records_export", args=[self.org.slug])
        response = self.client.get(url, {"records-since": "2026-06-01", "records-format": "json"})
        [record] = response.json()
        self.assertEqual((record["text"], record["author"]), ("Mine", "amy@acme.example"))
        self.assertEqual(record["reviews"][0]["reviewer"], "paul@acme.example")
        self.assertEqual(record["reviews"][0]["decision"], "approved")
        response = self.client.get(url, {"records-until": "2026-06-14", "records-format": "csv"})
        body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
        self.assertEqual(body.strip().splitlines()[0].split(",")[0], "published_at")
        self.assertNotIn("Mine", body)
        self.login(self.paul)
        self.assertEqual(self.client.get(url).status_code, 403)


class GovernanceApiTests(OrgTestCase):
    def api(self, member, method: str, path: str, body: object = None):  # type: ignore[no-untyped-def]
        _token, raw = make_token(member)
        return getattr(self.client, method)(
            f"/api/v1{path}",
            json.dumps(body) if body is not None else None,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )

    def test_rules_are_for_admins_and_bad_patterns_are_refused(self) -> None:
        response = self.api(
            self.alice_m, "post", "/governance/rules", {"phrase": "(a+)+", "reason": "x"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("phrase", response.json()["errors"])
        self.assertFalse(Rule.objects.exists())
        response = self.api(
            self.alice_m, "post", "/governance/rules", {"phrase": "garanti*", "reason": "No."}
        )
        self.assertEqual(response.status_code, 201)
        self.assertEqual(self.api(self.paul_m, "get", "/governance/rules").status_code, 403)
        item = make_item(self.org)
        verdict = self.api(
            self.amy_m,
            "post",
            "/governance/check",
            {"content": item.pk, "network": "linkedin", "text": "GARANTIE"},
        ).json()
        self.assertEqual((verdict["allowed"], verdict["problems"]), (False, ["No."]))
        rule_id = Rule.objects.get().pk
        self.assertEqual(
            self.api(self.oscar_m, "delete", f"/governance/rules/{rule_id}").status_code, 404
        )
        self.assertEqual(
            self.api(self.alice_m, "delete", f"/governance/rules/{rule_id}").status_code, 204
        )

    def test_reviews_through_the_api_are_for_reviewers_only(self) -> None:
        item = make_item(self.org)
        share = make_share(self.amy_m, item, status=Share.Status.REVIEW, method="intent")
        review = Review.objects.create(org=self.org, share=share, reason="r", submitted_text="t")
        self.assertEqual(self.api(self.alice_m, "get", "/reviews").status_code, 403)
        path = f"/reviews/{review.pk}/decision"
        self.assertEqual(
            self.api(self.alice_m, "post", path, {"decision": "approved"}).status_code, 403
        )
        self.paul_m.is_reviewer = True
        self.paul_m.save()
        self.assertEqual(
            [row["id"] for row in self.api(self.paul_m, "get", "/reviews").json()], [review.pk]
        )
        response = self.api(self.paul_m, "post", path, {"decision": "declined"})
        self.assertEqual(response.status_code, 409)  # a reason is needed
        response = self.api(self.paul_m, "post", path, {"decision": "declined", "note": "Not now."})
        self.assertEqual((response.status_code, response.json()["decision"]), (200, "declined"))
        self.assertEqual(
            self.api(self.paul_m, "post", path, {"decision": "approved"}).status_code, 409
        )
        self.oscar_m.is_reviewer = True
        self.oscar_m.save()
        self.assertEqual(
            self.api(self.oscar_m, "post", path, {"decision": "approved"}).status_code, 404
        )

    def test_retention_through_the_api(self) -> None:
        response = self.api(
            self.alice_m,
            "put",
            "/governance/retention",
            {"share_text_days": 0, "click_days": None, "audit_days": None},
        )
        self.assertEqual(response.status_code, 400)
        response = self.api(
            self.alice_m,
            "put",
            "/governance/retention",
            {"share_text_days": 30, "click_days": None, "audit_days": 365},
        )
        self.assertEqual(
            response.json(), {"share_text_days": 30, "click_days": None, "audit_days": 365}
        )
        audit_rows = self.api(
            self.alice_m, "get", "/governance/audit?action=retention.change"
        ).json()
        self.assertEqual(len(audit_rows), 1)
