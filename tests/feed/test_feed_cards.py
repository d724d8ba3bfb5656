"""The feed page as a feed: pages of cards with "load more" (htmx or a plain link), a picture
or a drawn placeholder, and "not for me" that can be undone."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from chorus.feed import cache
from chorus.feed.models import Feedback
from chorus.feed.views import PAGE_SIZE
from tests.base import OrgTestCase
from tests.factory import make_item

# The smallest valid GIF: a picture the card shows as it is.
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


class FeedCardTests(OrgTestCase):
    def setUp(self) -> None:
        cache.forget()
        self.items = [make_item(self.org, f"Story number {n}") for n in range(PAGE_SIZE + 4)]
        self.login(self.amy)

    def test_the_first_page_then_more_with_htmx_and_without(self) -> None:
        first = self.client.get("/o/acme/feed/")
        self.assertEqual(len(first.context["cards"]), PAGE_SIZE)
        self.assertContains(first, 'href="/o/acme/feed/?page=2"')
        # The ambassador's home is the same feed; its next page is the feed's.
        self.assertContains(self.client.get("/o/acme/"), 'hx-get="/o/acme/feed/?page=2"')
        self.assertContains(first, "Load more suggestions")
        # htmx: the next cards alone, to replace the "load more" row; nothing left after.
        more = self.client.get("/o/acme/feed/?page=2", HTTP_HX_REQUEST="true")
        self.assertEqual(len(more.context["cards"]), 4)
        self.assertNotContains(more, "<html")
        self.assertNotContains(more, "Load more suggestions")
        shown = {card.item.pk for card in first.context["cards"]}
        self.assertFalse(shown & {card.item.pk for card in more.context["cards"]})
        self.assertEqual(len(shown | {card.item.pk for card in more.context["cards"]}), 19)
        # Without JavaScript the link is a whole page of its own.
        plain = self.client.get("/o/acme/feed/?page=2")
        self.assertContains(plain, "<html")
        self.assertEqual(len(plain.context["cards"]), 4)
        # A page that is not one is the first page.
        self.assertEqual(self.client.get("/o/acme/feed/?page=x").context["page"], 1)

    def test_picture_or_placeholder(self) -> None:
        pictured = self.client.get("/o/acme/feed/").context["cards"][0].item
        pictured.image = SimpleUploadedFile("p.gif", GIF, content_type="image/gif")
        pictured.save()
        page = self.client.get("/o/acme/feed/?page=1").content.decode()
        self.assertIn(f'src="{pictured.picture}"', page)
        self.assertEqual(page.count('class="card-media placeholder'), PAGE_SIZE - 1)

    def test_not_for_me_then_undo_with_htmx(self) -> None:
        item = self.client.get("/o/acme/feed/").context["cards"][0].item
        hidden = self.client.post(f"/o/acme/feed/{item.pk}/not-for-me/", HTTP_HX_REQUEST="true")
        self.assertContains(hidden, "Undo")
        self.assertContains(hidden, f"/o/acme/feed/{item.pk}/not-for-me/undo/")
        self.assertTrue(Feedback.objects.filter(membership=self.amy_m, item=item).exists())
        self.assertNotIn(item, [c.item for c in self.client.get("/o/acme/feed/").context["cards"]])

        back = self.client.post(f"/o/acme/feed/{item.pk}/not-for-me/undo/", HTTP_HX_REQUEST="true")
        self.assertContains(back, f'id="card-{item.pk}"')
        self.assertContains(back, "Not for me")
        self.assertFalse(Feedback.objects.filter(membership=self.amy_m, item=item).exists())
        self.assertIn(item, [c.item for c in self.client.get("/o/acme/feed/").context["cards"]])

    def test_not_for_me_then_undo_without_javascript(self) -> None:
        item = self.items[3]
        answer = self.client.post(f"/o/acme/feed/{item.pk}/not-for-me/")
        self.assertRedirects(answer, f"/o/acme/feed/?hidden={item.pk}")
        page = self.client.get(answer["Location"])
        self.assertContains(page, f"/o/acme/feed/{item.pk}/not-for-me/undo/")
        self.assertRedirects(
            self.client.post(f"/o/acme/feed/{item.pk}/not-for-me/undo/"), "/o/acme/feed/"
        )
        self.assertFalse(Feedback.objects.filter(membership=self.amy_m).exists())
        # Undoing twice is harmless; only POST changes anything.
        self.assertEqual(
            self.client.post(f"/o/acme/feed/{item.pk}/not-for-me/undo/").status_code, 302
        )
        self.assertEqual(
            self.client.get(f"/o/acme/feed/{item.pk}/not-for-me/undo/").status_code, 405
        )

    def test_an_outsider_gets_404(self) -> None:
        item = self.items[0]
        Feedback.objects.create(org=self.org, membership=self.amy_m, item=item)
        self.login(self.oscar)
        self.assertEqual(
            self.client.post(f"/o/globex/feed/{item.pk}/not-for-me/undo/").status_code, 404
        )
        self.assertEqual(
            self.client.post(f"/o/acme/feed/{item.pk}/not-for-me/undo/").status_code, 404
        )
        self.assertTrue(Feedback.objects.filter(membership=self.amy_m, item=item).exists())
