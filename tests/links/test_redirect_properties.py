"""No open redirect: whatever the code, the redirect only ever reaches stored destinations."""

from __future__ import annotations

import shutil
import tempfile

from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from chorus.links import journal, redirect
from chorus.links.actions import link_for
from chorus.links.models import TrackedLink
from tests.base import OrgTestCase
from tests.factory import make_item

CRAFTED = [
    "//evil.example",
    "/\\evil.example",
    "https:evil.example",
    "%2F%2Fevil.example",
    "javascript:alert(1)",
    "..%2F..%2Fadmin",
    "@evil.example",
    "abc%0d%0aLocation:%20x",
    "ABCDEFGH?next=https://evil.example",
    "ABCDEFGHJ#https://evil.example",
]


class NoOpenRedirectTests(HypothesisTestCase, OrgTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.links = [
            link_for(cls.amy_m, network, item=make_item(cls.org))
            for network in ("x", "linkedin", "bluesky")
        ]

    def setUp(self) -> None:
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory, True)
        override = override_settings(
            CHORUS_CLICK_JOURNAL="file", CHORUS_CLICK_JOURNAL_DIR=directory
        )
        override.enable()
        self.addCleanup(override.disable)
        journal.reset()
        self.addCleanup(journal.reset)
        redirect._cache.clear()
        self.destinations = set(TrackedLink.objects.values_list("destination", flat=True))

    def check(self, path: str) -> None:
        response = self.client.get(path)
        if response.status_code in (301, 302):
            location = response["Location"]
            base = location.split("&chorus_click=")[0]
            self.assertIn(base, self.destinations, f"{path} → {location}")
        else:
            self.assertIn(response.status_code, (404, 405), path)
            self.assertNotIn("Location", response)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.text(min_size=0, max_size=40))
    def test_random_codes_never_redirect_elsewhere(self, code: str) -> None:
        from urllib.parse import quote

        self.check("/l/" + quote(code, safe=""))

    @settings(max_examples=60, deadline=None)
    @given(
        st.sampled_from(CRAFTED),
        st.text(alphabet="abcdefghijkmnpqrstuvwxyz23456789", min_size=0, max_size=12),
    )
    def test_crafted_codes_never_redirect_elsewhere(self, crafted: str, noise: str) -> None:
        self.check(f"/l/{crafted}{noise}")
        self.check(f"/l/{noise}{crafted}")

    def test_known_codes_with_extra_path_or_query_only_reach_their_destination(self) -> None:
        for link in self.links:
            self.check(f"/l/{link.code}?next=https://evil.example")
            self.check(f"/l/{link.code}/https://evil.example")
            self.check(f"/l/{link.code}%2F%2Fevil.example")
            response = self.client.get(f"/l/{link.code}?url=https://evil.example")
            self.assertTrue(response["Location"].startswith(link.destination))
