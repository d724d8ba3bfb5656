from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from chorus.orgs.models import AuditEntry, Membership, Organization, Role, Team


class DemoTests(TestCase):
    def test_demo_is_complete_and_idempotent(self) -> None:
        out = StringIO()
        call_command("demo", "--password", "demo-password-123", stdout=out)
        counts = (Membership.objects.count(), Team.objects.count(), AuditEntry.objects.count())
        call_command("demo", "--password", "demo-password-123", stdout=StringIO())
        self.assertEqual(
            (Membership.objects.count(), Team.objects.count(), AuditEntry.objects.count()), counts
        )
        acme = Organization.objects.get(slug="acme")
        self.assertEqual(acme.teams.count(), 3)
        self.assertGreaterEqual(acme.memberships.count(), 38)
        for email, role in [
            ("admin@acme.example", Role.ORG_ADMIN),
            ("pm@acme.example", Role.PROGRAM_MANAGER),
            ("manager@acme.example", Role.TEAM_MANAGER),
            ("ambassador@acme.example", Role.AMBASSADOR),
        ]:
            member = Membership.objects.get(org=acme, user__email=email)
            self.assertEqual(member.role, role)
            self.assertTrue(member.user.check_password("demo-password-123"))
            self.assertIn(email, out.getvalue())
        self.assertIn("demo-password-123", out.getvalue())
        # pm@acme.example belongs to a second organisation, to try switching.
        self.assertEqual(Membership.objects.filter(user__email="pm@acme.example").count(), 2)
        self.assertTrue(all(team.manager_id for team in acme.teams.all()))
        # Content and tracked links, for every screen to mean something.
        from chorus.content.models import Caption, ContentItem, CuratedEntry
        from chorus.links.models import Conversion, LinkDay, TrackedLink

        self.assertGreaterEqual(ContentItem.objects.filter(org=acme).count(), 150)
        self.assertGreaterEqual(Caption.objects.filter(org=acme).count(), 300)
        self.assertTrue(CuratedEntry.objects.filter(org=acme, status="new").exists())
        self.assertGreaterEqual(TrackedLink.objects.filter(org=acme).count(), 30)
        self.assertTrue(LinkDay.objects.filter(org=acme, clicks__gt=0).exists())
        self.assertTrue(Conversion.objects.filter(org=acme, ambassador__isnull=False).exists())


class DemoStoryTests(TestCase):
    """The demo tells a believable story: its figures agree with each other and its feed's
    reasons with each person's profile."""

    @classmethod
    def setUpTestData(cls) -> None:
        from chorus.web.demo import load_demo

        cls.org = load_demo("demo-password-123").org

    def test_titles_and_summaries_are_varied(self) -> None:
        import re

        from chorus.content.models import ContentItem

        items = list(ContentItem.objects.filter(org=self.org))
        # "40 lessons…", "16 lessons…", "7 lessons…": the same title but for a number.
        patterns = [re.sub(r"\d+", "#", item.title) for item in items]
        self.assertEqual(len(set(patterns)), len(items))
        self.assertGreater(len({item.summary for item in items}), 40)
        self.assertEqual({item.language for item in items}, {"en", "fr"})

    def test_items_have_small_pictures_drawn_locally(self) -> None:
        from PIL import Image

        from chorus.content.demo import IMAGE_SIZE, demo_image
        from chorus.content.models import ContentItem

        items = ContentItem.objects.filter(org=self.org)
        pictured = items.exclude(image="")
        self.assertEqual(pictured.count(), items.exclude(kind=ContentItem.Kind.TEXT).count())
        self.assertFalse(items.filter(kind=ContentItem.Kind.TEXT).exclude(image="").exists())
        names = set(pictured.values_list("image", flat=True))
        self.assertGreater(len(names), 8)
        for name in names:
            with ContentItem.image.field.storage.open(name) as stored:
                data = stored.read()
            self.assertLess(len(data), 40_000, name)
            with Image.open(ContentItem.image.field.storage.open(name)) as picture:
                self.assertEqual(picture.size, IMAGE_SIZE)
        # The same picture on every machine.
        self.assertEqual(demo_image("Cloud", 1), demo_image("Cloud", 1))
        self.assertNotEqual(demo_image("Cloud", 1), demo_image("Careers", 1))

    def test_clicks_follow_shares(self) -> None:
        from django.db.models import Count, Q

        from chorus.links.models import Click
        from chorus.sharing.models import Share

        shares = dict(
            Share.objects.filter(org=self.org, status=Share.Status.PUBLISHED)
            .values_list("membership")
            .annotate(count=Count("id"))
        )
        clicks = dict(
            Click.objects.filter(org=self.org, is_bot=False, link__ambassador__isnull=False)
            .values_list("link__ambassador")
            .annotate(count=Count("id", filter=Q(is_bot=False)))
        )
        self.assertTrue(clicks)
        # Nobody has clicks without a share, nor more than a dozen people per post.
        too_many = {
            person: (count, shares.get(person, 0))
            for person, count in clicks.items()
            if count > 12 * shares.get(person, 0)
        }
        self.assertEqual(too_many, {})

    def test_feed_reasons_match_each_persons_profile(self) -> None:
        from chorus.feed.live import feed_for
        from chorus.feed.models import AmbassadorProfile

        profiles = list(
            AmbassadorProfile.objects.filter(
                org=self.org, membership__participation__status="active"
            )
            .select_related("membership")
            .prefetch_related("interests")
            .order_by("id")
        )
        with_topics = [p for p in profiles if p.interests.exists()]
        without = [p for p in profiles if not p.interests.exists()]
        self.assertTrue(with_topics and without)
        stated = 0
        for profile in with_topics[:5] + without[:3]:
            declared = {topic.name for topic in profile.interests.all()}
            for card in feed_for(profile.membership):
                for code, params in card.suggestion.reasons:
                    if code == "topic_match":
                        stated += 1
                        self.assertLessEqual(set(params["topics"]), declared, profile)
                for text in card.reasons:
                    if not declared:
                        self.assertNotIn("Matches your topics", text)
        self.assertGreater(stated, 0)
