"""Engagement tasks through the networks' APIs: liking, boosting and replying to a
colleague's post on the real local Bluesky PDS (records read back from the repository) and
on the mastodon-mock server (the post found from its address)."""

from __future__ import annotations

import uuid

import pytest

from chorus.integrations.base import BOOST, LIKE, REPLY, PermanentError, Post
from chorus.integrations.bluesky.client import client as bluesky
from chorus.integrations.mastodon.client import client as mastodon_client
from chorus.integrations.x import engage_intent as x_intent
from tests.sharing.mastodon_server import MockMastodon
from tests.sharing.pds_server import LocalPds


@pytest.fixture(autouse=True)
def _loopback(loopback_allowed: None) -> None:
    """Every test here reaches a server on 127.0.0.1."""


def test_bluesky_likes_reposts_and_replies_to_a_colleagues_post(pds: LocalPds) -> None:
    company = pds.create_account("acme")
    anna = pds.create_account("anna")
    original = bluesky.publish(pds.credentials(company), Post(text="We are hiring in Lyon!"))
    rkey = original.remote_id.rsplit("/", 1)[-1]
    # The address people copy from their browser names the account by its handle.
    address = f"https://bsky.app/profile/{company.handle}/post/{rkey}"
    credentials = pds.credentials(anna)

    like = bluesky.engage(credentials, address, LIKE)
    repost = bluesky.engage(credentials, address, BOOST)
    reply = bluesky.engage(credentials, address, REPLY, "Great team, I can vouch for it.")

    liked = pds.get_record(like.remote_id)
    assert like.remote_id.startswith(f"at://{anna.did}/app.bsky.feed.like/")
    assert liked["subject"]["uri"] == original.remote_id
    assert pds.get_record(repost.remote_id)["subject"]["uri"] == original.remote_id
    replied = pds.get_record(reply.remote_id)
    assert replied["text"] == "Great team, I can vouch for it."
    assert replied["reply"]["parent"]["uri"] == original.remote_id
    assert replied["reply"]["root"]["uri"] == original.remote_id
    assert reply.remote_url.startswith(f"https://bsky.app/profile/{anna.did}/post/")

    # A reply to the reply keeps the thread's root.
    reply_rkey = reply.remote_id.rsplit("/", 1)[-1]
    deeper = bluesky.engage(
        pds.credentials(company),
        f"https://bsky.app/profile/{anna.did}/post/{reply_rkey}",
        REPLY,
        "Thank you Anna!",
    )
    thread = pds.get_record(deeper.remote_id)["reply"]
    assert thread["root"]["uri"] == original.remote_id
    assert thread["parent"]["uri"] == reply.remote_id


@pytest.mark.parametrize(
    "address",
    [
        "https://bsky.app/profile/nobody-here.test/post/3kabc",
        "https://bsky.app/about",
    ],
)
def test_bluesky_refuses_an_address_that_names_no_post(pds: LocalPds, address: str) -> None:
    anna = pds.create_account("anna")
    with pytest.raises(PermanentError) as refused:
        bluesky.engage(pds.credentials(anna), address, LIKE)
    assert refused.value.code == "post_not_found"


def test_mastodon_favourites_boosts_and_replies_to_a_post_found_by_its_address(
    mastodon: MockMastodon,
) -> None:
    # The mock names itself localhost:<port> in its statuses' addresses: the person's
    # server is reached by that name, as a real server is by its domain.
    credentials = {**mastodon.credentials(), "instance": f"http://localhost:{mastodon.port}"}
    slug = uuid.uuid4().hex[:8]
    original = mastodon_client.publish(
        credentials,
        Post(text=f"We are hiring, see {slug}", idempotency_key=str(uuid.uuid4())),
    )
    assert original.remote_url.startswith(credentials["instance"])
    mastodon_client.engage(credentials, original.remote_url, LIKE)
    mastodon_client.engage(credentials, original.remote_url, BOOST)
    reply = mastodon_client.engage(
        credentials, original.remote_url, REPLY, "Great team, I can vouch for it."
    )
    status = mastodon.status(original.remote_id)
    assert (status["favourites_count"], status["reblogs_count"]) == (1, 1)
    answer = mastodon.status(reply.remote_id)
    assert answer["in_reply_to_id"] == original.remote_id
    assert "I can vouch for it" in answer["content"]


def test_mastodon_refuses_an_address_that_names_no_post(mastodon: MockMastodon) -> None:
    with pytest.raises(PermanentError) as refused:
        mastodon_client.engage(mastodon.credentials(), "https://elsewhere.example/@ghost/1", LIKE)
    assert refused.value.code == "post_not_found"


def test_x_offers_its_web_intents_for_an_existing_post() -> None:
    post = "https://x.com/acme/status/1860000000000000042"
    assert x_intent(post, LIKE, "") == "https://x.com/intent/like?tweet_id=1860000000000000042"
    assert x_intent(post, BOOST, "").startswith("https://x.com/intent/retweet?tweet_id=18600")
    assert "in_reply_to=1860000000000000042" in x_intent(post, REPLY, "Well done")
