"""Disclosures survive every publishing path and cannot be removed; refused words block,
review words queue; the composer says why as the person types."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from chorus.governance.models import Disclosure, Rule
from chorus.integrations.base import Account
from chorus.sharing import actions
from chorus.sharing.actions import do_connect
from chorus.sharing.models import Review, Share
from chorus.sharing.share_check import run
from chorus.sharing.tasks import publish_due
from tests.base import OrgTestCase
from tests.factory import make_campaign, make_item, make_member, make_team, make_token
from tests.sharing.mastodon_server import MockMastodon

DISCLOSURE_EN = "#employee of Acme"
DISCLOSURE_FR = "#salarié d'Acme"


@pytest.mark.usefixtures("_mastodon")
@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
class GovernanceCase(OrgTestCase):
    mastodon: MockMastodon

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.campaign = make_campaign(cls.org, "Savings")
        cls.item = make_item(cls.org, title="Our savings plan", campaign=cls.campaign)
        Disclosure.objects.create(org=cls.org, network="", language="en", text=DISCLOSURE_EN)
        Disclosure.objects.create(org=cls.org, network="", language="fr", text=DISCLOSURE_FR)

    def setUp(self) -> None:
        super().setUp()
        # 10:00 UTC, outside the default quiet hours; the clock goes on from there.
        morning = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
        traveller = time_machine.travel(morning, tick=True)
        traveller.start()
        self.addCleanup(traveller.stop)
        self.marker = uuid.uuid4().hex[:8]

    def connect(self, member: Any = None) -> None:
        member = member or self.amy_m
        do_connect(
            member,
            "mastodon",
            Account(remote_id="1", handle="@a@mock"),
            self.mastodon.credentials(),
        )

    def compose(self, network: str, text: str, user: Any = None) -> Any:
        self.login(user or self.amy)
        url = reverse("compose", args=[self.org.slug, self.item.pk])
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(url, {"network": network, "text": text, "when": "now"})

    def posted(self) -> list[dict[str, Any]]:
        return [s for s in self.mastodon.statuses() if self.marker in s["content"]]


class DisclosureTests(GovernanceCase):
    def test_the_composer_adds_it_in_the_persons_language_and_counts_it(self) -> None:
        self.login(self.amy)
        page = self.client.get(reverse("compose", args=[self.org.slug, self.item.pk]))
        self.assertContains(page, DISCLOSURE_EN)
        self.amy.language = "fr"
        self.amy.save()
        page = self.client.get(reverse("compose", args=[self.org.slug, self.item.pk]))
        self.assertContains(page, "#salarié d&#x27;Acme")
        self.assertNotContains(page, DISCLOSURE_EN)
        # Counted in the length: a text that fits X alone no longer fits with it.
        text = "x" * 240
        link = self.client.get(
            reverse("compose", args=[self.org.slug, self.item.pk]) + "?network=x"
        )
        link_url = link.context["link_url"]
        alone = run(self.item, "x", f"{text}\n\n{link_url}", self.amy_m)
        self.assertTrue(alone.fits)
        response = self.compose("x", f"{text} {DISCLOSURE_FR}")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "X en accepte 280", status_code=400)
        self.assertFalse(Share.objects.exists())

    def test_it_may_be_moved_but_not_removed_from_the_composer(self) -> None:
        response = self.compose("linkedin", f"Proud of this {self.marker}.")
        self.assertContains(response, "you may move it, not remove it", status_code=400)
        self.assertContains(response, DISCLOSURE_EN, status_code=400)
        self.assertFalse(Share.objects.exists())
        # Moved to the front, spelt in capitals: kept.
        response = self.compose("linkedin", f"#EMPLOYEE of acme. Proud of this {self.marker}.")
        share = Share.objects.get()
        self.assertRedirects(response, reverse("share_intent", args=[self.org.slug, share.pk]))

    def test_it_is_kept_when_an_intent_text_is_edited(self) -> None:
        self.compose("whatsapp", f"Read this {self.marker} {DISCLOSURE_EN}")
        share = Share.objects.get()
        self.assertEqual((share.method, share.status), (Share.Method.INTENT, Share.Status.DRAFT))
        url = reverse("share_action", args=[self.org.slug, share.pk])
        self.client.post(url, {"action": "edit", "text": f"Edited, no disclosure {self.marker}"})
        share.refresh_from_db()
        self.assertIn(DISCLOSURE_EN, share.text)  # refused: unchanged
        self.assertNotIn("Edited", share.text)
        self.client.post(url, {"action": "edit", "text": f"{DISCLOSURE_EN} edited {self.marker}"})
        share.refresh_from_db()
        self.assertTrue(share.text.startswith(f"{DISCLOSURE_EN} edited"))

    def test_every_device_path_carries_it_even_if_the_stored_text_lost_it(self) -> None:
        for network in ("whatsapp", "email", "linkedin"):
            with self.subTest(network=network):
                self.compose(network, f"Look {self.marker} {DISCLOSURE_EN}")
                share = Share.objects.filter(network=network).get()
                # Changed behind the actions' back (an import, the admin): still carried.
                Share.objects.filter(pk=share.pk).update(text=f"Look {self.marker}")
                page = self.client.get(reverse("share_intent", args=[self.org.slug, share.pk]))
                content = page.content.decode()
                copy_box = content.split('id="share-text"')[1].split("</textarea>")[0]
                self.assertIn(DISCLOSURE_EN, copy_box)  # the copy to the clipboard
                open_url = content.split('class="button" href="')[1].split('"')[0]
                if network != "linkedin":  # LinkedIn's share page takes only the link
                    self.assertIn("employee", open_url)

    def test_the_api_refuses_a_text_without_it_and_publishing_keeps_it(self) -> None:
        self.connect()
        _token, raw = make_token(self.amy_m)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        body = {
            "content": self.item.pk,
            "network": "mastodon",
            "text": f"No disclosure {self.marker}",
        }
        response = self.client.post(
            "/api/v1/shares", json.dumps(body), content_type="application/json", **headers
        )
        self.assertEqual(response.status_code, 409)
        self.assertIn("not remove it", response.json()["detail"])
        self.assertFalse(Share.objects.exists())
        body["text"] = f"With it {self.marker} {DISCLOSURE_EN}"
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                "/api/v1/shares", json.dumps(body), content_type="application/json", **headers
            )
        self.assertEqual(response.status_code, 201)
        share = Share.objects.get()
        share.refresh_from_db()
        self.assertEqual(share.status, Share.Status.PUBLISHED)
        [status] = self.posted()
        self.assertIn("employee of Acme", status["content"])

    def test_publishing_by_api_adds_it_to_a_text_changed_behind_the_actions(self) -> None:
        self.connect()
        share = actions.do_compose(
            self.amy_m, self.item, "mastodon", f"Hi {self.marker} {DISCLOSURE_EN}", when="good"
        )
        Share.objects.filter(pk=share.pk).update(
            text=f"Hi {self.marker}", scheduled_for=timezone.now()
        )
        publish_due()
        [status] = self.posted()
        self.assertIn("employee of Acme", status["content"])


class RuleTests(GovernanceCase):
    def test_a_refused_word_blocks_with_its_reason_shown_as_the_person_types(self) -> None:
        Rule.objects.create(org=self.org, phrase="garanti*", reason="Pas de promesse de rendement.")
        Rule.objects.create(org=self.org, phrase="guaranteed returns", reason="No promises.")
        check = reverse("compose_check", args=[self.org.slug, self.item.pk])
        self.login(self.amy)
        live = self.client.post(
            check, {"network": "linkedin", "text": f"Capital GARANTÍ {DISCLOSURE_EN}"}
        )
        self.assertContains(live, "Pas de promesse de rendement.")
        live = self.client.post(
            check, {"network": "linkedin", "text": f"Guaranteed Returns! {DISCLOSURE_EN}"}
        )
        self.assertContains(live, "No promises.")
        live = self.client.post(check, {"network": "linkedin", "text": "Fine words."})
        self.assertContains(live, "not remove it")  # the disclosure, as they type too
        response = self.compose("linkedin", f"Un capital garanti {DISCLOSURE_EN}")
        self.assertContains(response, "Pas de promesse de rendement.", status_code=400)
        self.assertFalse(Share.objects.exists())

    def test_a_review_word_queues_the_post_with_the_rule_that_sent_it(self) -> None:
        self.connect()
        Rule.objects.create(
            org=self.org,
            phrase="rendement",
            action=Rule.Action.REVIEW,
            reason="Chiffres à vérifier.",
        )
        live = self.client
        self.login(self.amy)
        check = reverse("compose_check", args=[self.org.slug, self.item.pk])
        panel = live.post(check, {"network": "mastodon", "text": f"Le RENDÉMENT {DISCLOSURE_EN}"})
        self.assertContains(panel, "will be reviewed")
        response = self.compose("mastodon", f"Un bon Rendement {self.marker} {DISCLOSURE_EN}")
        self.assertRedirects(response, reverse("share_queue", args=[self.org.slug]))
        share = Share.objects.get()
        self.assertEqual(share.status, Share.Status.REVIEW)
        review = Review.objects.get(share=share)
        self.assertIn("Chiffres à vérifier.", review.reason)
        self.assertIn("rendement", review.reason)
        publish_due()
        self.assertEqual(self.posted(), [])  # held: nothing goes out

    def test_rules_apply_to_their_team_or_campaign_only(self) -> None:
        other_team = make_team(self.org, "Plant")
        bob = make_member(self.org, team=other_team)
        Rule.objects.create(org=self.org, phrase="merger", reason="Quiet period.", team=self.team)
        other_item = make_item(self.org, title="Elsewhere")
        Rule.objects.create(
            org=self.org, phrase="yield", reason="Campaign rule.", campaign=self.campaign
        )
        text = f"merger yield {DISCLOSURE_EN}"
        with self.assertRaisesMessage(actions.ShareRefused, "Quiet period."):
            actions.do_compose(self.amy_m, other_item, "linkedin", text)
        with self.assertRaisesMessage(actions.ShareRefused, "Campaign rule."):
            actions.do_compose(bob, self.item, "linkedin", text)
        share = actions.do_compose(bob, other_item, "linkedin", text)
        self.assertEqual(share.status, Share.Status.DRAFT)

    def test_a_rule_that_is_not_words_is_refused_by_the_form(self) -> None:
        self.login(self.alice)
        url = reverse("governance", args=[self.org.slug])
        response = self.client.post(
            url,
            {"form": "rule", "rule-phrase": "(a+)+$", "rule-action": "refuse", "rule-reason": "x"},
        )
        self.assertContains(response, "Patterns such as regular expressions", status_code=400)
        self.assertFalse(Rule.objects.exists())
        response = self.client.post(
            url,
            {
                "form": "rule",
                "rule-phrase": "garanti*",
                "rule-action": "review",
                "rule-reason": "x",
            },
        )
        self.assertRedirects(response, url)
        self.assertEqual(Rule.objects.get().action, Rule.Action.REVIEW)
