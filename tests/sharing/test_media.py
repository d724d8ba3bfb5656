"""Images posted natively: checked and cleaned with Pillow, fitted to each network's
declared limits, and uploaded by each network's client — on the real local Bluesky PDS, the
mastodon-mock server, and the LinkedIn and X contract stand-ins."""

from __future__ import annotations

import io
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from chorus.integrations import oauth, registry
from chorus.integrations.base import Credentials, PermanentError, Post, PostImage
from chorus.integrations.bluesky.client import client as bluesky
from chorus.integrations.linkedin.client import client as linkedin
from chorus.integrations.mastodon.client import client as mastodon_client
from chorus.integrations.x.client import client as x
from chorus.lib.images import ImageRefused, clean_upload, fit
from tests.factory import image_bytes
from tests.sharing.mastodon_server import MockMastodon
from tests.sharing.pds_server import LocalPds
from tests.sharing.standins import LinkedInStandIn, XStandIn

GPS_TAG = 0x8825


def post_image(data: bytes, alt: str, network: str) -> PostImage:
    """An image fitted to a network's declared limits, as publishing prepares it."""
    limits = registry.get(network).media
    assert limits is not None
    fitted = fit(data, formats=limits.formats, max_bytes=limits.max_bytes, max_side=limits.max_side)
    return PostImage(fitted.data, fitted.mime_type, alt, fitted.width, fitted.height)


def exif_of(data: bytes) -> dict[int, Any]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif())


# --- Checking and cleaning ---------------------------------------------------------------


def test_an_upload_loses_its_exif_and_location() -> None:
    original = image_bytes(gps=True)
    assert GPS_TAG in exif_of(original)  # the phone's photo says where it was taken
    cleaned = clean_upload(original)
    assert exif_of(cleaned.data) == {}
    assert b"PhoneMaker" not in cleaned.data
    assert (cleaned.format, cleaned.width, cleaned.height) == ("JPEG", 640, 480)


def test_a_sideways_photo_is_turned_upright_before_its_orientation_tag_goes() -> None:
    image = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif.tobytes())
    cleaned = clean_upload(output.getvalue())
    assert (cleaned.width, cleaned.height) == (20, 40)
    assert exif_of(cleaned.data) == {}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"just some text, not an image",
        image_bytes((64, 64))[:300],  # a truncated JPEG
        b"GIF89a" + os.urandom(64),  # a header and nothing behind it
    ],
    ids=["empty", "text", "truncated", "fake-header"],
)
def test_what_is_not_a_readable_image_is_refused(data: bytes) -> None:
    with pytest.raises(ImageRefused):
        clean_upload(data)


def test_an_upload_over_the_size_limit_is_refused_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chorus.lib.images.MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(ImageRefused, match="too large"):
        clean_upload(image_bytes((200, 200)))


def test_a_large_photo_is_scaled_and_recompressed_to_bluesky_limits() -> None:
    noisy = Image.frombytes("RGB", (2600, 1800), os.urandom(2600 * 1800 * 3))
    output = io.BytesIO()
    noisy.save(output, format="PNG")
    assert len(output.getvalue()) > 10_000_000  # far over Bluesky's 1,000,000 bytes
    fitted = post_image(output.getvalue(), "Noise", "bluesky")
    assert len(fitted.data) <= 1_000_000
    assert max(fitted.width, fitted.height) <= 2000
    assert fitted.mime_type == "image/jpeg"
    with Image.open(io.BytesIO(fitted.data)) as image:
        assert image.size == (fitted.width, fitted.height)


def test_an_image_that_fits_keeps_its_format_and_size() -> None:
    png = image_bytes((300, 200), "PNG")
    fitted = post_image(png, "A chart", "mastodon")
    assert (fitted.mime_type, fitted.width, fitted.height) == ("image/png", 300, 200)


def test_each_network_package_declares_its_media_limits() -> None:
    declared = {key: registry.get(key).media for key in ("bluesky", "mastodon", "linkedin", "x")}
    assert {key: limits.max_images for key, limits in declared.items() if limits} == {
        "bluesky": 4,
        "mastodon": 4,
        "linkedin": 20,
        "x": 4,
    }
    assert declared["bluesky"] and declared["bluesky"].max_bytes == 1_000_000
    assert registry.get("whatsapp").media is None  # share intents: links only


# --- Bluesky: the real local PDS ----------------------------------------------------------


def test_bluesky_uploads_blobs_and_embeds_images_with_alt_and_aspect_ratio(
    pds: LocalPds, loopback_allowed: None
) -> None:
    account = pds.create_account("media")
    credentials = pds.credentials(account)
    first = post_image(
        image_bytes((640, 480), gps=True), "A bar chart of hiring by region", "bluesky"
    )
    second = post_image(image_bytes((300, 600), "PNG"), "The team on the stairs", "bluesky")
    url = f"https://chorus.example/r/{uuid.uuid4().hex[:8]}"
    published = bluesky.publish(
        credentials,
        Post(text=f"Our hiring report {url}", url=url, title="Report", images=(first, second)),
    )
    record = pds.get_record(published.remote_id)
    embed = record["embed"]
    assert embed["$type"] == "app.bsky.embed.images"  # the images replace the link card
    assert [image["alt"] for image in embed["images"]] == [
        "A bar chart of hiring by region",
        "The team on the stairs",
    ]
    assert [image["aspectRatio"] for image in embed["images"]] == [
        {"width": 640, "height": 480},
        {"width": 300, "height": 600},
    ]
    assert record["facets"][0]["features"][0]["uri"] == url  # the link is still a link
    # The blobs are in the person's repository, as uploaded: without EXIF or location.
    blob = embed["images"][0]["image"]
    assert blob["mimeType"] == "image/jpeg"
    stored = pds.xrpc(
        "GET", "com.atproto.sync.getBlob", params={"did": account.did, "cid": blob["ref"]["$link"]}
    )
    assert stored.status == 200
    assert stored.body == first.data
    assert exif_of(stored.body) == {}


# --- Mastodon: the mastodon-mock server ---------------------------------------------------


def test_mastodon_uploads_media_with_a_description_then_attaches_it(
    mastodon: MockMastodon, loopback_allowed: None
) -> None:
    image = post_image(image_bytes((320, 240), gps=True), "A bar chart of hiring", "mastodon")
    slug = uuid.uuid4().hex[:8]
    published = mastodon_client.publish(
        mastodon.credentials(),
        Post(
            text=f"Hiring report https://chorus.example/r/{slug}",
            url=f"https://chorus.example/r/{slug}",
            idempotency_key=str(uuid.uuid4()),
            images=(image,),
        ),
    )
    status = mastodon.status(published.remote_id)
    attachments = status["media_attachments"]
    assert [(media["type"], media["description"]) for media in attachments] == [
        ("image", "A bar chart of hiring")
    ]
    path = "/" + attachments[0]["url"].split("/", 3)[3]
    served = mastodon.http("GET", path)
    assert served.status == 200
    assert served.body == image.data
    assert exif_of(served.body) == {}


# --- LinkedIn: the contract stand-in -----------------------------------------------------


def linkedin_credentials(standin: LinkedInStandIn) -> Credentials:
    member = standin.add_member("Ada Lovelace")
    return {
        "access_token": standin.issue_token(member),
        "expires_at": (datetime.now(UTC) + timedelta(days=60)).isoformat(),
        "member_id": member.sub,
    }


def test_linkedin_posts_one_image_as_media_after_the_images_api_upload(
    linkedin_standin: LinkedInStandIn,
) -> None:
    credentials = linkedin_credentials(linkedin_standin)
    image = post_image(image_bytes((400, 300)), "A bar chart", "linkedin")
    linkedin.publish(
        credentials,
        Post(
            text="Our report https://go.example/l/a", url="https://go.example/l/a", images=(image,)
        ),
    )
    post = linkedin_standin.posts[-1]
    media = post.body["content"]["media"]
    assert media["altText"] == "A bar chart"
    assert linkedin_standin.image_bytes(media["id"]) == image.data
    assert [call.route for call in linkedin_standin.calls] == ["images", "image_upload", "posts"]


def test_linkedin_posts_several_images_as_a_multi_image_post(
    linkedin_standin: LinkedInStandIn,
) -> None:
    credentials = linkedin_credentials(linkedin_standin)
    images = tuple(
        post_image(image_bytes((200 + 10 * n, 150)), f"Photo {n}", "linkedin") for n in range(3)
    )
    linkedin.publish(credentials, Post(text="Three photos from the plant", images=images))
    sent = linkedin_standin.posts[-1].body["content"]["multiImage"]["images"]
    assert [image["altText"] for image in sent] == ["Photo 0", "Photo 1", "Photo 2"]
    assert [linkedin_standin.image_bytes(image["id"]) for image in sent] == [
        image.data for image in images
    ]


# --- X: the contract stand-in ------------------------------------------------------------


def test_x_uploads_media_sets_its_alt_text_then_posts_with_the_media_ids(
    x_standin: XStandIn,
) -> None:
    user = x_standin.add_user("ada", "Ada Lovelace")
    answer = x_standin.issue_tokens(
        user, scope="tweet.read tweet.write users.read offline.access media.write"
    )
    credentials = {
        "access_token": answer["access_token"],
        "refresh_token": answer.get("refresh_token", ""),
        "expires_at": oauth.expires_at(answer["expires_in"]),
        "user_id": user.id,
    }
    images = (
        post_image(image_bytes((500, 500)), "A bar chart", "x"),
        post_image(image_bytes((300, 200), "PNG"), "A map", "x"),
    )
    x.publish(credentials, Post(text="Our report https://go.example/l/x", images=images))
    tweet = x_standin.tweets[-1]
    assert len(tweet.media_ids) == 2
    assert [x_standin.media[media_id][1:] for media_id in tweet.media_ids] == [
        (images[0].data, "A bar chart"),
        (images[1].data, "A map"),
    ]


def test_x_without_the_media_scope_refuses_and_posts_nothing(x_standin: XStandIn) -> None:
    user = x_standin.add_user("bob", "Bob")
    answer = x_standin.issue_tokens(user, scope="tweet.read tweet.write users.read offline.access")
    credentials = {
        "access_token": answer["access_token"],
        "refresh_token": answer.get("refresh_token", ""),
        "expires_at": oauth.expires_at(answer["expires_in"]),
        "user_id": user.id,
    }
    image = post_image(image_bytes((100, 100)), "A chart", "x")
    with pytest.raises(PermanentError):
        x.publish(credentials, Post(text="With an image", images=(image,)))
    assert x_standin.tweets == []
