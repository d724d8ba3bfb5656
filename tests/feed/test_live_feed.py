"""The live feed page: ranked cards with reasons, only for people in the programme, never stale."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chorus.content.models import ContentItem
from chorus.feed import cache, live
from chorus.feed.live import feed_for
from chorus.feed.models import AmbassadorProfile, Feedback
from chorus.program.models import Participation
from tests.base import OrgTestCase
from tests.factory import (
    make_campaign,
    make_caption,
    make_item,
    make_member,
    make_org,
    make_share,
    make_topic,
)


class FeedTestCase(OrgTestCase):
    """Cloud and careers items, a few that must never show, and Amy's profile."""

    def setUp(self) -> None:
        # Kept contexts outlive a test's rolled-back rows: start each test without any.
        cache.forget()
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
        make_item(self.org, "Gone yesterday", expire_at=timezone.now() - timedelta(days=1))
        make_item(self.org, "Text without a link", url="", canonical_url="")
        make_item(self.other_org, "Globex news")
        self.profile = AmbassadorProfile.objects.create(
            org=self.org, membership=self.amy_m, languages=["en"]
        )

    def titles(self, member=None) -> list[str]:  # type: ignore[no-untyped-def]
        return [card.item.title for card in feed_for(member or self.amy_m)]


class LiveFeedTests(FeedTestCase):
    def test_cards_follow_the_persons_topics_and_say_why(self) -> None:
        self.profile.interests.set([self.cloud])
        cards = feed_for(self.amy_m)
        self.assertTrue(cards[0].item.title.startswith("Cloud"))
        self.assertIn("Matches your topics: Cloud", cards[0].reasons)
        for hidden in ("Draft", "Secret memo", "Gone yesterday", "Text without a link"):
            self.assertNotIn(hidden, self.titles())
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

    def test_an_organisation_without_content_has_an_empty_feed(self) -> None:
        empty = make_org()
        member = make_member(empty)
        self.assertEqual(feed_for(member), [])
        make_item(empty, "Draft only", status=ContentItem.Status.DRAFT)
        self.assertEqual(feed_for(member), [])
        make_item(empty, "No topic at all")  # nor any topic in the whole catalogue
        self.assertEqual([card.item.title for card in feed_for(member)], ["No topic at all"])

    def test_not_for_me_removes_the_card(self) -> None:
        self.profile.interests.set([self.cloud])
        first = feed_for(self.amy_m)[0].item
        self.login(self.amy)
        self.client.post(f"/o/acme/feed/{first.pk}/not-for-me/", HTTP_HX_REQUEST="true")
        self.assertTrue(Feedback.objects.filter(membership=self.amy_m, item=first).exists())
        self.assertNotIn(first.title, [card.item.title for card in feed_for(self.amy_m)])
        page = self.client.get("/o/acme/feed/")
        self.assertNotIn(first, [card.item for card in page.context["cards"]])
        self.assertEqual(self.client.get(f"/o/acme/feed/{first.pk}/not-for-me/").status_code, 405)

    def test_the_page_shows_cards_and_reasons_in_french(self) -> None:
        self.profile.interests.set([self.cloud])
        self.amy.language = "fr"
        self.amy.save()
        self.login(self.amy)
        page = self.client.get("/o/acme/feed/")
        self.assertContains(page, "Cloud costs explained")
        self.assertContains(page, "Correspond à vos thèmes : Cloud")


class FreshFeedTests(FeedTestCase):
    """The organisation's part of the feed is kept between requests, and never served stale."""

    def setUp(self) -> None:
        super().setUp()
        self.profile.interests.set([self.cloud])
        self.login(self.amy)

    def page_titles(self) -> list[str]:
        page = self.client.get("/o/acme/feed/")
        self.assertEqual(page.status_code, 200)
        return [card.item.title for card in page.context["cards"]]

    def test_the_organisations_part_is_built_once(self) -> None:
        with mock.patch.object(live, "build_org_feed", wraps=live.build_org_feed) as build:
            first = self.page_titles()
            self.assertEqual(self.page_titles(), first)
            self.assertEqual(feed_for(self.amy_m)[0].item.title, first[0])
        self.assertEqual(build.call_count, 1)

    def test_not_for_me_counts_at_once_without_a_rebuild(self) -> None:
        first = feed_for(self.amy_m)[0].item
        with mock.patch.object(live, "build_org_feed", wraps=live.build_org_feed) as build:
            self.client.post(f"/o/acme/feed/{first.pk}/not-for-me/", HTTP_HX_REQUEST="true")
            titles = self.page_titles()
        self.assertNotIn(first.title, titles)
        self.assertEqual(build.call_count, 0)  # the person's part is read on every request

    def test_publishing_archiving_and_editing_show_on_the_next_request(self) -> None:
        self.page_titles()
        draft = make_item(self.org, "Cloud migration guide", status=ContentItem.Status.DRAFT)
        draft.topics.add(self.cloud)
        self.assertNotIn("Cloud migration guide", self.page_titles())
        draft.status = ContentItem.Status.PUBLISHED
        draft.save()
        self.assertIn("Cloud migration guide", self.page_titles())

        draft.status = ContentItem.Status.ARCHIVED
        draft.save()
        self.assertNotIn("Cloud migration guide", self.page_titles())

        job = self.job_items[0]
        job.title = "Cloud engineers wanted"
        job.save()
        self.assertIn("Cloud engineers wanted", self.page_titles())
        job.topics.set([self.cloud])  # a topic change alone moves the card up
        cards = feed_for(self.amy_m)
        moved = next(card for card in cards if card.item == job)
        self.assertIn("Matches your topics: Cloud", moved.reasons)

    @mock.patch.object(cache, "STAMP_SECONDS", 0)
    @mock.patch.object(cache, "BASE_STAMP_SECONDS", 0)
    def test_changes_without_signals_are_seen_too(self) -> None:
        # Another process (the worker, another web worker) or a bulk write sends no
        # signal this process hears: the database stamp catches it (read every
        # BASE_STAMP_SECONDS; here on every request).
        self.page_titles()
        ContentItem.objects.bulk_create(
            [ContentItem(org=self.org, title="Bulk cloud news", url="https://example.com/b",
                         status=ContentItem.Status.PUBLISHED, language="en")]
        )  # fmt: skip
        self.assertIn("Bulk cloud news", self.page_titles())
        # An update() changes no timestamp; the cards are checked live all the same.
        ContentItem.objects.filter(title="Bulk cloud news").update(status="archived")
        self.assertNotIn("Bulk cloud news", self.page_titles())

    def test_scheduled_and_expiring_items_follow_the_clock(self) -> None:
        # Within a context's maximum age: the publication and expiry times end it.
        now = timezone.now()
        later = make_item(self.org, "Cloud launch at noon", publish_at=now + timedelta(minutes=2))
        later.topics.add(self.cloud)
        soon_gone = make_item(self.org, "Cloud offer ends", expire_at=now + timedelta(minutes=4))
        soon_gone.topics.add(self.cloud)
        with mock.patch.object(live, "build_org_feed", wraps=live.build_org_feed) as build:
            titles = self.page_titles()
            self.assertNotIn("Cloud launch at noon", titles)
            self.assertIn("Cloud offer ends", titles)
            with time_machine.travel(now + timedelta(minutes=3)):
                titles = self.page_titles()
                self.assertIn("Cloud launch at noon", titles)
                self.assertIn("Cloud offer ends", titles)
            with time_machine.travel(now + timedelta(minutes=5)):
                self.assertNotIn("Cloud offer ends", self.page_titles())
        self.assertEqual(build.call_count, 3)

    def test_a_colleagues_share_counts_at_once(self) -> None:
        from chorus.links.actions import link_for

        top = feed_for(self.amy_m)[0]
        self.assertNotIn("pushed_down_overlap", dict(top.suggestion.reasons))
        for _ in range(3):
            colleague = make_member(self.org, team=self.team)
            link_for(colleague, "linkedin", item=top.item)
        moved = next(card for card in feed_for(self.amy_m) if card.item == top.item)
        self.assertEqual(dict(moved.suggestion.reasons)["pushed_down_overlap"], {"colleagues": 3})
        # Only taking one's link (opening the composer) does not remove it...
        link_for(self.amy_m, "linkedin", item=top.item)
        self.assertIn(top.item.title, self.page_titles())
        # ...sharing it oneself does.
        make_share(self.amy_m, top.item, network="linkedin", status="published")
        self.assertNotIn(top.item.title, self.page_titles())


class QueryCountTests(OrgTestCase):
    """The feed page's query count does not grow with the number of cards."""

    def setUp(self) -> None:
        cache.forget()
        self.topics = [make_topic(self.org, f"Topic {n}") for n in range(3)]
        self.campaign = make_campaign(self.org, "Spring launch", priority=4)
        self.campaign.target_teams.add(self.team)
        AmbassadorProfile.objects.create(
            org=self.org, membership=self.amy_m, languages=["en", "fr"]
        )
        self.made = 0
        self.login(self.amy)

    def add_items(self, count: int) -> None:
        for _ in range(count):
            n = self.made = self.made + 1
            item = make_item(
                self.org,
                f"Story {n}",
                summary="Cloud and careers",
                talking_points=f"Point {n}",
                language="fr" if n % 2 else "en",
                campaign=self.campaign if n % 3 == 0 else None,
            )
            item.topics.add(self.topics[n % 3], self.topics[(n + 1) % 3])
            make_caption(item, "linkedin", text=f"Caption {n}")
            make_caption(item, "x", text=f"Short {n}")

    def count_queries(self) -> tuple[int, int, list[str]]:
        """Queries of a first request (building the organisation's part) and of the next."""
        cache.forget()  # nothing kept: neither the context nor the stamps last read
        with CaptureQueriesContext(connection) as cold:
            page = self.client.get("/o/acme/feed/")
        with CaptureQueriesContext(connection) as warm:
            again = self.client.get("/o/acme/feed/")
        titles = [card.item.title for card in page.context["cards"]]
        # Items made a millisecond apart tie; the order among them may differ.
        self.assertCountEqual([card.item.title for card in again.context["cards"]], titles)
        return len(cold), len(warm), titles

    def test_query_count_does_not_grow_with_the_number_of_cards(self) -> None:
        n = 5
        self.add_items(n)
        cold_few, warm_few, few = self.count_queries()
        self.add_items(2 * n)
        cold_many, warm_many, many = self.count_queries()
        self.assertEqual((len(few), len(many)), (n, 3 * n))
        self.assertEqual(cold_many, cold_few)
        self.assertEqual(warm_many, warm_few)
        self.assertLess(warm_few, cold_few)
        page = self.client.get("/o/acme/feed/")
        for text in ("Spring launch", "Point 3", "Topic 1", "Suggested captions: LinkedIn, X"):
            self.assertContains(page, text)


class FeedFilterTests(OrgTestCase):
    def setUp(self) -> None:
        cache.forget()
        self.cloud = make_topic(self.org, "Cloud")
        self.energy = make_topic(self.org, "Energy")
        self.campaign = make_campaign(self.org, "Spring launch")
        self.items = {}
        for name, topic, campaign, network in (
            ("Cloud post", self.cloud, None, "linkedin"),
            ("Energy post", self.energy, self.campaign, "x"),
            ("Both post", self.energy, None, "mastodon"),
        ):
            item = make_item(self.org, title=name, campaign=campaign)
            item.topics.add(topic)
            make_caption(item, network)
            self.items[name] = item
        self.login(self.amy)

    def titles(self, query: str) -> set[str]:
        response = self.client.get(f"/o/acme/feed/{query}")
        return {card.item.title for card in response.context["cards"]}

    def test_filters_by_topic_campaign_and_network(self) -> None:
        self.assertEqual(self.titles(""), {"Cloud post", "Energy post", "Both post"})
        self.assertEqual(self.titles(f"?topic={self.cloud.pk}"), {"Cloud post"})
        self.assertEqual(self.titles(f"?campaign={self.campaign.pk}"), {"Energy post"})
        self.assertEqual(self.titles("?network=mastodon"), {"Both post"})
        # Unknown values are ignored rather than failing.
        self.assertEqual(len(self.titles("?topic=999999&network=myspace")), 3)
