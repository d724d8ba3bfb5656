"""The ambassador profile: topics, languages, networks with audiences, posting habits."""

from __future__ import annotations

from chorus.feed.models import AmbassadorProfile
from tests.base import OrgTestCase
from tests.factory import make_topic


class ProfileTests(OrgTestCase):
    url = "/o/acme/me/"

    def test_save_topics_languages_networks_and_habits(self) -> None:
        cloud = make_topic(self.org, "Cloud")
        make_topic(self.org, "Internal", subscription="assigned")
        self.login(self.amy)
        page = self.client.get(self.url)
        self.assertContains(page, "Cloud")
        self.assertNotIn(
            "Internal", [str(t) for t in page.context["form"].fields["interests"].queryset]
        )
        response = self.client.post(
            self.url,
            {
                "interests": [cloud.pk],
                "languages": ["en", "fr"],
                "site": "Lyon",
                "net_linkedin": "on",
                "size_linkedin": "medium",
                "who_linkedin": ["clients", "peers"],
                "net_mastodon": "on",
                "size_mastodon": "small",
                "size_x": "huge",  # ignored: X is not ticked
                "posting_days": ["0", "2"],
                "posting_hours": ["morning"],
                "weekly_cadence": 3,
                "digest": "weekly",
            },
        )
        self.assertEqual(response.status_code, 302)
        profile = AmbassadorProfile.objects.get(membership=self.amy_m)
        self.assertEqual(
            profile.networks,
            {
                "linkedin": {"size": "medium", "who": ["clients", "peers"]},
                "mastodon": {"size": "small", "who": []},
            },
        )
        self.assertEqual(
            (profile.languages, profile.site, profile.posting_days), (["en", "fr"], "Lyon", [0, 2])
        )
        self.assertEqual(list(profile.interests.all()), [cloud])
        self.assertTrue(profile.is_complete)

    def test_bad_input_changes_nothing(self) -> None:
        foreign = make_topic(self.other_org, "Globex topic")
        self.login(self.amy)
        self.client.get(self.url)
        for data in (
            {"languages": ["en"], "weekly_cadence": 20, "digest": "weekly"},
            {"languages": ["de"], "weekly_cadence": 2, "digest": "weekly"},
            {"languages": ["en"], "weekly_cadence": 2, "digest": "hourly"},
            {
                "languages": ["en"],
                "weekly_cadence": 2,
                "digest": "weekly",
                "interests": [foreign.pk],
            },
            {
                "languages": ["en"],
                "weekly_cadence": 2,
                "digest": "weekly",
                "net_x": "on",
                "size_x": "galactic",
            },
        ):
            self.assertEqual(self.client.post(self.url, data).status_code, 400, data)
        profile = AmbassadorProfile.objects.get(membership=self.amy_m)
        self.assertEqual((profile.weekly_cadence, profile.networks), (2, {}))
        self.assertFalse(profile.is_complete)
