"""Images posted with an item: uploaded by a programme manager (checked, cleaned, ordered,
described in English and French), chosen in the composer, refused before anything is saved
when a network would not take them, and published through the worker on mastodon-mock."""

from __future__ import annotations

import shutil
import tempfile
from datetime import time
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from chorus.content.models import ContentImage
from chorus.integrations.base import Account
from chorus.orgs.models import AuditEntry
from chorus.sharing.actions import ShareRefused, do_compose, do_connect
from chorus.sharing.models import Share, SharingPolicy
from tests.base import OrgTestCase
from tests.factory import image_bytes, make_caption, make_image, make_item
from tests.sharing.mastodon_server import MockMastodon

CAPTION = "Our hiring report is out: what we learned about retention."


@pytest.fixture(autouse=True)
def _mastodon(request: pytest.FixtureRequest, mastodon: MockMastodon) -> None:
    if request.instance is not None:
        request.instance.mastodon = mastodon


class ImageTestCase(OrgTestCase):
    mastodon: MockMastodon

    def setUp(self) -> None:
        super().setUp()
        media = tempfile.mkdtemp(prefix="chorus-test-media-")
        self.addCleanup(shutil.rmtree, media, True)
        override = override_settings(MEDIA_ROOT=media, CHORUS_ALLOW_PRIVATE_URLS=True)
        override.enable()
        self.addCleanup(override.disable)
        self.item = make_item(self.org, title="Hiring report")
        make_caption(self.item, "mastodon", CAPTION)


class UploadTests(ImageTestCase):
    def upload(self, data: bytes, name: str = "photo.jpg", **alts: str) -> Any:
        url = reverse("image_add", args=[self.org.slug, self.item.pk])
        return self.client.post(
            url, {"file": SimpleUploadedFile(name, data), "alt_en": "", "alt_fr": "", **alts}
        )

    def test_a_manager_adds_images_in_order_stored_without_exif(self) -> None:
        self.login(self.paul)
        response = self.upload(image_bytes(gps=True), alt_en="A chart", alt_fr="Un graphique")
        self.assertRedirects(response, reverse("item_detail", args=[self.org.slug, self.item.pk]))
        self.upload(image_bytes((100, 200), "PNG"), name="b.png", alt_en="A map")
        first, second = ContentImage.objects.filter(item=self.item)
        self.assertEqual((first.position, second.position), (0, 1))
        self.assertEqual((first.alt_en, first.alt_fr), ("A chart", "Un graphique"))
        with first.file.open("rb") as stored, Image.open(stored) as image:
            self.assertEqual(dict(image.getexif()), {})  # no camera, no location
        self.assertEqual((second.width, second.height), (100, 200))
        self.assertTrue(AuditEntry.objects.filter(action="image.add").exists())
        page = self.client.get(reverse("item_detail", args=[self.org.slug, self.item.pk]))
        self.assertContains(page, 'alt="A chart"')

    def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_saved(self) -> None:
        self.login(self.paul)
        response = self.upload(b"%PDF-1.4 not an image", name="report.jpg", alt_en="A chart")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "not an image Chorus can read", status_code=400)
        self.assertFalse(ContentImage.objects.exists())

    def test_an_image_over_the_size_limit_is_refused(self) -> None:
        self.login(self.paul)
        with (
            mock.patch("chorus.lib.images.MAX_UPLOAD_BYTES", 1000),
            mock.patch("chorus.content.forms.MAX_UPLOAD_BYTES", 1000),
        ):
            response = self.upload(image_bytes((300, 300)))
        self.assertContains(response, "too large", status_code=400)
        self.assertFalse(ContentImage.objects.exists())

    def test_ambassadors_may_not_upload_and_outsiders_get_404(self) -> None:
        self.login(self.amy)
        self.assertEqual(self.upload(image_bytes()).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.upload(image_bytes()).status_code, 404)
        self.assertFalse(ContentImage.objects.exists())

    def test_move_describe_and_remove(self) -> None:
        first, second = make_image(self.item), make_image(self.item, alt_en="Second")
        self.login(self.paul)
        url = reverse("image_change", args=[self.org.slug, second.pk])
        self.client.post(url, {"action": "up"})
        self.assertEqual(list(self.item.images.values_list("pk", flat=True)), [second.pk, first.pk])
        self.client.post(url, {"action": "describe", "alt_en": "A map", "alt_fr": "Une carte"})
        second.refresh_from_db()
        self.assertEqual((second.alt_en, second.alt_fr), ("A map", "Une carte"))
        name = first.file.name
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(
                reverse("image_change", args=[self.org.slug, first.pk]), {"action": "delete"}
            )
        self.assertFalse(ContentImage.objects.filter(pk=first.pk).exists())
        self.assertFalse(first.file.storage.exists(name))
        self.login(self.amy)
        self.assertEqual(self.client.post(url, {"action": "delete"}).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.post(url, {"action": "delete"}).status_code, 404)
        self.assertEqual(self.client.get(url).status_code, 405)


class ComposeWithImagesTests(ImageTestCase):
    def setUp(self) -> None:
        super().setUp()
        SharingPolicy.objects.update_or_create(
            org=self.org,
            defaults={"quiet_start": time(0), "quiet_end": time(0), "min_own_words": 0},
        )
        morning = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
        traveller = time_machine.travel(morning, tick=True)
        traveller.start()
        self.addCleanup(traveller.stop)

    def connect(self) -> None:
        do_connect(self.amy_m, "mastodon", Account("1", "@amy@mock"), self.mastodon.credentials())

    def compose(self, **data: Any) -> Any:
        self.login(self.amy)
        url = reverse("compose", args=[self.org.slug, self.item.pk])
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(url, {"network": "mastodon", "when": "now", **data})

    def test_the_composer_offers_described_images_ticked_where_chorus_publishes(self) -> None:
        described = make_image(self.item, alt_en="A bar chart")
        undescribed = make_image(self.item, alt_en="")
        self.login(self.amy)
        url = reverse("compose", args=[self.org.slug, self.item.pk])
        page = self.client.get(url + "?network=mastodon")
        self.assertContains(page, "Chorus posts images only when it publishes for you")
        self.assertContains(page, f'value="{described.pk}" disabled')
        self.connect()
        page = self.client.get(url + "?network=mastodon")
        self.assertContains(page, f'value="{described.pk}" checked>')
        self.assertContains(page, f'value="{undescribed.pk}" disabled')
        self.assertContains(page, "No description yet: it cannot be posted.")

    def test_a_chosen_image_is_uploaded_with_its_description_and_kept_on_the_share(self) -> None:
        image = make_image(self.item, alt_en="A bar chart of hiring", alt_fr="Un graphique")
        make_image(self.item, alt_en="Not chosen")
        self.connect()
        response = self.compose(text="My own words on this. " + CAPTION, images=[image.pk])
        self.assertRedirects(response, reverse("share_queue", args=[self.org.slug]))
        share = Share.objects.get(membership=self.amy_m)
        self.assertEqual(share.status, Share.Status.PUBLISHED, share.error)
        self.assertEqual(list(share.images.all()), [image])
        status = self.mastodon.status(share.remote_id)
        self.assertEqual(
            [media["description"] for media in status["media_attachments"]],
            ["A bar chart of hiring"],
        )
        queue = self.client.get(reverse("share_queue", args=[self.org.slug]))
        self.assertContains(queue, 'alt="A bar chart of hiring"')

    def test_an_image_without_description_is_refused_and_nothing_is_saved(self) -> None:
        image = make_image(self.item, alt_en="")
        self.connect()
        response = self.compose(text="My words. " + CAPTION, images=[image.pk])
        self.assertContains(response, "Every image needs a description", status_code=400)
        self.assertFalse(Share.objects.exists())

    def test_more_images_than_the_network_takes_are_refused(self) -> None:
        images = [make_image(self.item, alt_en=f"Photo {n}") for n in range(5)]
        self.connect()
        with self.assertRaisesMessage(ShareRefused, "Mastodon takes at most 4 images"):
            do_compose(self.amy_m, self.item, "mastodon", "My words. " + CAPTION, images=images)
        self.assertFalse(Share.objects.exists())

    def test_images_on_a_share_from_the_device_are_refused_with_the_reason(self) -> None:
        image = make_image(self.item)
        with self.assertRaisesMessage(ShareRefused, "connect it, or untick the images"):
            do_compose(self.amy_m, self.item, "mastodon", "My words. " + CAPTION, images=[image])
        self.assertFalse(Share.objects.exists())

    def test_another_items_image_cannot_be_attached(self) -> None:
        other = make_item(self.org, title="Other")
        foreign = make_image(other)
        self.connect()
        response = self.compose(text="My words. " + CAPTION, images=[foreign.pk])
        self.assertEqual(response.status_code, 400)  # not one of this item's choices
        self.assertFalse(Share.objects.exists())

    def test_the_french_description_goes_with_a_french_item(self) -> None:
        self.item.language = "fr"
        self.item.save(update_fields=["language"])
        image = make_image(self.item, alt_en="A chart", alt_fr="Un graphique")
        self.connect()
        self.compose(text="Mes propres mots. " + CAPTION, images=[image.pk])
        share = Share.objects.get(membership=self.amy_m)
        status = self.mastodon.status(share.remote_id)
        self.assertEqual(status["media_attachments"][0]["description"], "Un graphique")
