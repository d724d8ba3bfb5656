"""The live feed page: ranked cards with reasons, only for people in the programme."""

from __future__ import annotations

from chorus.content.models import ContentItem
from chorus.feed.live import feed_for
from chorus.feed.models import Feedback, Profile
from chorus.program.models import Participation
from tests.base import OrgTestCase
from tests.factory import make_item, make_member, make_topic


class LiveFeedTests(OrgTestCase):
    def setUp(self) -> None:
        self.cloud = make_topic(self.org, "Cloud")
        self.careers = make_topic(self.org, "Careers")
        self.cloud_items = []
        for n in range(4):
            item = make_item(
                self.org, f"Cloud costs explained, part {n}", summary="Cloud platform savings"
            )
            item.topics.add(self.cloud)
            self.cloud_items.append(item)
        self.job_items = []
        for n in range(4):
            item = make_item(
                self.org, f"We are hiring engineers, round {n}", summary="Careers and jobs"
            )
            item.topics.add(self.careers)
            self.job_items.append(item)
        make_item(self.org, "Draft", status=ContentItem.Status.DRAFT)
        make_item(self.org, "Secret memo", internal_only=True)
        make_item(self.other_org, "Globex news")
        self.profile = Profile.objects.create(org=self.org, membership=self.amy_m, languages=["en"])

    def titles(self, member=None) -> list[str]:  # type: ignore[no-untyped-def]
        return [card.item.title for card in feed_for(member or self.amy_m)]

    def test_cards_follow_the_persons_topics_and_say_why(self) -> None:
        self.profile.interests.set([self.cloud])
        cards = feed_for(self.amy_m)
        self.assertTrue(cards[0].item.title.startswith("Cloud"))
        self.assertIn("Matches your topics: Cloud", cards[0].reasons)
        self.assertNotIn("Draft", self.titles())
        self.assertNotIn("Secret memo", self.titles())
        self.assertNotIn("Globex news", self.titles())
        # Changing the topics changes both the ranking and the stated reason.
        self.profile.interests.set([self.careers])
        cards = feed_for(self.amy_m)
        self.assertTrue(cards[0].item.title.startswith("We are hiring"))
        self.assertIn("Matches your topics: Careers", cards[0].reasons)

    def test_nobody_outside_the_programme_gets_a_suggestion(self) -> None:
        for status in ("invited", "declined", "left", None):
            member = make_member(self.org, programme=status)
            self.assertEqual(feed_for(member), [], status)
            self.client.force_login(member.user)
            page = self.client.get("/o/acme/feed/")
            self.assertEqual(page.status_code, 200)
            self.assertEqual(page.context["cards"], [])
        Participation.objects.filter(membership=self.amy_m).update(status="left")
        self.assertEqual(feed_for(self.amy_m), [])

    def test_not_for_me_removes_the_card(self) -> None:
        self.profile.interests.set([self.cloud])
        first = feed_for(self.amy_m)[0].item
        self.login(self.amy)
        self.client.post(f"/o/acme/feed/{first.pk}/not-for-me/", HTTP_HX_REQUEST="true")
        self.assertTrue(Feedback.objects.filter(membership=self.amy_m, item=first).exists())
        self.assertNotIn(first.title, [card.item.title for card in feed_for(self.amy_m)])
        self.assertEqual(self.client.get(f"/o/acme/feed/{first.pk}/not-for-me/").status_code, 405)

    def test_the_page_shows_cards_and_reasons_in_french(self) -> None:
        self.profile.interests.set([self.cloud])
        self.amy.language = "fr"
        self.amy.save()
        self.login(self.amy)
        page = self.client.get("/o/acme/feed/")
        self.assertContains(page, "Cloud costs explained")
        self.assertContains(page, "Correspond à vos thèmes : Cloud")

    def test_query_count_does_not_grow_with_the_number_of_cards(self) -> None:
        self.login(self.amy)
        self.client.get("/o/acme/feed/")
        with self.assertNumQueries(13) as few:
            self.client.get("/o/acme/feed/")
        for n in range(12):
            make_item(self.org, f"More news {n}").topics.add(self.cloud)
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get("/o/acme/feed/")
