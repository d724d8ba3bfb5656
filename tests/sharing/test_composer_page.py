"""The composer page: the tracked link shown once (as a link card in the preview, never next
to the item's raw address), the counter naming the network, and what the item is about beside
the text."""

from __future__ import annotations

import re

from django.test import SimpleTestCase
from django.urls import reverse

from chorus.sharing.actions import compose_text
from chorus.sharing.models import Share
from tests.base import OrgTestCase
from tests.factory import make_caption, make_item

RAW = "https://www.acme.example/news/solar"
LINK = "http://testserver/l/abc123"


class ComposeTextTests(SimpleTestCase):
    def test_the_raw_address_becomes_the_tracked_link(self) -> None:
        self.assertEqual(compose_text(f"Read this: {RAW}", LINK, (RAW,)), f"Read this: {LINK}")
        self.assertEqual(compose_text(f"{RAW}. Worth it.", LINK, (RAW,)), f"{LINK}. Worth it.")

    def test_a_longer_address_is_left_alone_and_the_link_added_once(self) -> None:
        text = compose_text(f"See {RAW}-2024 and {RAW}/photos", LINK, (RAW,))
        self.assertEqual(text, f"See {RAW}-2024 and {RAW}/photos\n\n{LINK}")
        self.assertEqual(compose_text(f"Hi {LINK}", LINK, (RAW,)), f"Hi {LINK}")
        self.assertEqual(compose_text("", LINK, (RAW,)), LINK)

    def test_without_a_tracked_link_nothing_changes(self) -> None:
        self.assertEqual(compose_text(f"Read {RAW} ", "", (RAW,)), f"Read {RAW}")


class ComposerPageTests(OrgTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.item = make_item(
            cls.org,
            title="Solar plant opens",
            url=RAW,
            canonical_url=RAW,
            site_name="Acme News",
            talking_points="- jobs for the region\n- cheaper energy",
            engagement_tip="Answer comments within the first hour.",
        )
        make_caption(cls.item, "linkedin", f"Our plant runs on sunshine. {RAW}")

    def test_the_caption_carries_the_tracked_link_once_shown_as_a_card(self) -> None:
        self.login(self.amy)
        page = self.client.get(
            reverse("compose", args=["acme", self.item.pk]) + "?network=linkedin"
        )
        text = page.context["form"]["text"].value()
        links = re.findall(r"https?://\S+", text)
        self.assertEqual(len(links), 1, text)
        self.assertIn("/l/", links[0])
        self.assertTrue(text.endswith(links[0]))
        self.assertNotIn(RAW, page.content.decode())
        self.assertContains(page, 'data-testid="link-card"')
        self.assertEqual(page.context["preview_text"], "Our plant runs on sunshine.")
        self.assertContains(page, "characters on LinkedIn")
        self.assertContains(page, "jobs for the region")
        self.assertContains(page, "Answer comments within the first hour.")

    def test_the_live_check_counts_and_previews_what_is_typed(self) -> None:
        self.login(self.amy)
        link = self.client.get(reverse("compose", args=["acme", self.item.pk])).context["link_url"]
        check = self.client.post(
            reverse("compose_check", args=["acme", self.item.pk]),
            {"network": "linkedin", "text": f"Twelve chars\n\n{link}", "link_url": link},
        )
        self.assertContains(
            check, f"{len('Twelve chars') + 2 + len(link)} / 3000 characters on LinkedIn"
        )
        self.assertEqual(check.context["preview_text"], "Twelve chars")
        self.assertContains(check, 'data-testid="link-card"')

    def test_a_share_typed_with_the_raw_address_goes_out_with_the_tracked_link_only(self) -> None:
        self.login(self.amy)
        self.client.post(
            reverse("compose", args=["acme", self.item.pk]),
            {
                "network": "linkedin",
                "text": f"My own take on it, really mine. {RAW}",
                "when": "now",
            },
        )
        share = Share.objects.get(membership=self.amy_m)
        self.assertNotIn(RAW, share.text)
        self.assertEqual(len(re.findall(r"https?://\S+", share.text)), 1, share.text)
        self.assertTrue(share.text.endswith(f"/l/{share.link.code}"))
