"""A programme manager attaches an image with its description to an item; an ambassador
connected to the real local Bluesky PDS publishes it natively, then sees the post with its
image on "My shares"; the record on the PDS carries the image and its alt text."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from tests.browser.conftest import login
from tests.factory import image_bytes
from tests.sharing.pds_server import LocalPds

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
ALT = "A bar chart of hiring by region, up 12% in Lyon"


def test_an_image_with_alt_text_is_published_to_bluesky_and_shown_on_my_shares(
    demo: str, new_page: Any, settings: Any, tmp_path: Any, pds: LocalPds
) -> None:
    from chorus.content.models import ContentItem
    from chorus.feed.models import AmbassadorProfile
    from chorus.integrations.base import Account
    from chorus.orgs.models import Membership
    from chorus.sharing.actions import do_connect
    from chorus.sharing.models import Share, SharingPolicy

    settings.CHORUS_ALLOW_PRIVATE_URLS = True  # the PDS listens on 127.0.0.1
    settings.MEDIA_ROOT = str(tmp_path)
    ambassador = Membership.objects.get(org__slug="acme", user__email="ambassador@acme.example")
    SharingPolicy.objects.update_or_create(
        org=ambassador.org,
        defaults={"quiet_start": time(0), "quiet_end": time(0), "min_own_words": 0},
    )
    AmbassadorProfile.objects.update_or_create(
        membership=ambassador, defaults={"org": ambassador.org, "weekly_cadence": 0}
    )
    Share.objects.filter(membership=ambassador).delete()
    account = pds.create_account("anna")
    do_connect(
        ambassador, "bluesky", Account(account.did, account.handle), pds.credentials(account)
    )
    item = next(
        item
        for item in ContentItem.objects.filter(org=ambassador.org).order_by("pk")
        if item.is_live() and not item.internal_only and item.url
    )
    photo = tmp_path / "chart.jpg"
    photo.write_bytes(image_bytes((800, 600), gps=True))

    manager = new_page(viewport=DESKTOP, locale="en-US")
    login(manager, demo, "pm@acme.example")
    switch = manager.locator("form.language button[value=en]")
    if switch.count():
        switch.click()
    manager.goto(f"{demo}/o/acme/content/{item.pk}/")
    upload = manager.locator("form[action$='/images/']")
    upload.get_by_label("Image").set_input_files(str(photo))
    upload.get_by_label("Description (English)").fill(ALT)
    upload.get_by_role("button", name="Add the image").click()
    manager.wait_for_url(f"**/content/{item.pk}/")
    assert manager.get_by_role("img", name=ALT).count() == 1

    page = new_page(viewport=DESKTOP, locale="en-US")
    login(page, demo, "ambassador@acme.example")
    page.goto(f"{demo}/o/acme/compose/{item.pk}/?network=bluesky")
    chooser = page.get_by_test_id("media-choice")
    assert chooser.get_by_role("checkbox", name=ALT).is_checked()
    page.get_by_label("Your post").fill("Proud of what our Lyon team built this year.")
    page.get_by_label("Now").check()
    page.get_by_role("button", name="Share", exact=True).click()
    page.wait_for_url("**/shares/")

    share = Share.objects.get(membership=ambassador, network="bluesky")
    assert share.status == Share.Status.PUBLISHED, share.error
    posted = page.get_by_test_id("posted-images")
    posted.get_by_role("img", name=ALT).wait_for()
    assert posted.get_by_role("img", name=ALT).evaluate("image => image.naturalWidth") > 0

    record = pds.get_record(share.remote_id)
    assert record["embed"]["$type"] == "app.bsky.embed.images"
    assert [image["alt"] for image in record["embed"]["images"]] == [ALT]
    assert record["embed"]["images"][0]["aspectRatio"] == {"width": 800, "height": 600}
