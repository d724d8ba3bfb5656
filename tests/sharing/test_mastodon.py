"""The Mastodon client against a real local mastodon-mock server (and a few canned ones)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import override_settings
from pytest_django.fixtures import Settings

from chorus.integrations.base import (
    PermanentError,
    Post,
    ReconnectError,
    RetryableError,
    UnknownOutcome,
)
from chorus.integrations.mastodon.client import MastodonClient, client, normalize_instance_url
from tests.servers import local_server
from tests.sharing.mastodon_server import (
    AnswerLosingProxy,
    MockMastodon,
    free_port,
)

# Every server here listens on 127.0.0.1.
pytestmark = pytest.mark.usefixtures("loopback_allowed")

REDIRECT_URI = "https://chorus.example/connect/mastodon/done"


def make_post(**overrides: str) -> Post:
    """A post with a tracked link, unique to the test so the shared mock can tell it apart."""
    slug = uuid.uuid4().hex[:10]
    url = f"https://chorus.example/r/{slug}?utm_source=mastodon&utm_medium=social"
    fields = {
        "text": f"Our new report on hiring & retention {url} #careers",
        "url": url,
        "language": "en",
        "idempotency_key": str(uuid.uuid4()),
        **overrides,
    }
    return Post(**fields)


def statuses_with_link(server: MockMastodon, url: str) -> list[dict[str, object]]:
    """The account's statuses whose HTML links to `url` (Mastodon escapes & as &amp;)."""
    escaped = url.replace("&", "&amp;")
    return [status for status in server.statuses() if escaped in str(status["content"])]


def test_client_is_the_mastodon_one() -> None:
    assert isinstance(client, MastodonClient)
    assert client.network == "mastodon"


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("  Mastodon.Social/@alice/  ", "https://mastodon.social"),
        ("https://fosstodon.org/", "https://fosstodon.org"),
        ("https://fosstodon.org:443/about", "https://fosstodon.org"),
        ("@alice@hachyderm.io", "https://hachyderm.io"),
        ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
    ],
)
def test_instance_url_is_normalised(typed: str, origin: str) -> None:
    assert normalize_instance_url(typed) == origin


@pytest.mark.parametrize(
    "typed", ["ftp://mastodon.social", "javascript:alert(1)//x", "", "https://"]
)
def test_instance_url_must_be_http(typed: str) -> None:
    with pytest.raises(PermanentError) as raised:
        normalize_instance_url(typed)
    assert raised.value.code == "invalid_instance"


def test_verify_says_who_posts(mastodon: MockMastodon) -> None:
    credentials = mastodon.credentials()

    account = client.verify(credentials)

    assert account.handle == "@testuser@127.0.0.1"
    assert account.display_name == "Test User"
    assert account.remote_id
    # Kept so reconciling later needs no extra request.
    assert credentials["account_id"] == account.remote_id


def test_publish_posts_the_text_with_its_tracked_link(mastodon: MockMastodon) -> None:
    post = make_post()

    published = client.publish(mastodon.credentials(), post)

    status = mastodon.status(published.remote_id)
    assert published.remote_url == status["url"]
    assert status["visibility"] == "public"
    assert status["language"] == "en"
    # The text came through whole, the & in it and in the link's query included.
    assert "Our new report on hiring &amp; retention" in status["content"]
    assert f'href="{post.url.replace("&", "&amp;")}"' in status["content"]


def test_find_published_reads_the_html_back(mastodon: MockMastodon) -> None:
    credentials = mastodon.credentials()
    post = make_post()
    published = client.publish(credentials, post)

    assert client.find_published(credentials, post) == published
    assert client.find_published(credentials, make_post()) is None


def test_find_published_matches_text_without_a_link(mastodon: MockMastodon) -> None:
    credentials = mastodon.credentials()
    post = Post(text=f"Proud of the team <3\n\nThank you all ({uuid.uuid4().hex[:8]})")
    published = client.publish(credentials, post)

    assert client.find_published(credentials, post) == published


def test_publish_retried_after_a_lost_answer_posts_once(
    mastodon: MockMastodon, settings: Settings
) -> None:
    settings.CHORUS_FETCH_TIMEOUT = 1
    post = make_post()

    with AnswerLosingProxy(mastodon.port) as proxy:
        lost = {**mastodon.credentials(), "instance": proxy.url}
        with pytest.raises(UnknownOutcome) as raised:
            client.publish(lost, post)
        assert raised.value.code == "timeout"
        assert proxy.answered.wait(timeout=10)

    # The server did post: reconciling finds it.
    credentials = mastodon.credentials()
    found = client.find_published(credentials, post)
    assert found is not None

    # mastodon-mock honours Idempotency-Key as Mastodon does: the retry with the same
    # key returns the first status instead of making a second one, so no
    # find_published is needed before retrying.
    retried = client.publish(credentials, post)

    assert retried.remote_id == found.remote_id
    assert [status["id"] for status in statuses_with_link(mastodon, post.url)] == [found.remote_id]


def test_a_bad_token_asks_to_reconnect(mastodon: MockMastodon) -> None:
    credentials = mastodon.credentials(token="revoked-or-made-up")

    with pytest.raises(ReconnectError):
        client.verify(credentials)
    with pytest.raises(ReconnectError) as raised:
        client.publish(credentials, make_post())
    assert raised.value.code == "unauthorized"


def test_a_too_long_text_is_refused_for_good(mastodon: MockMastodon) -> None:
    post = make_post()
    too_long = Post(text=post.text + " " + "x" * 500, url=post.url)

    with pytest.raises(PermanentError) as raised:
        client.publish(mastodon.credentials(), too_long)

    assert not isinstance(raised.value, ReconnectError)
    assert raised.value.code == "too_long"
    assert "too long" in raised.value.message  # Mastodon's own words, for the logs
    assert statuses_with_link(mastodon, post.url) == []


def test_rate_limited_waits_until_the_reset_time(mastodon: MockMastodon) -> None:
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    reset = (now + timedelta(minutes=2)).isoformat().replace("+00:00", ".000Z")
    mastodon.add_fault(
        {
            "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
            "effect": {"type": "ratelimit", "headers": {"X-RateLimit-Reset": reset}},
            "count": 1,
        }
    )
    post = make_post()
    try:
        with time_machine.travel(now, tick=False), pytest.raises(RetryableError) as raised:
            client.publish(mastodon.credentials(), post)
    finally:
        mastodon.clear_faults()

    assert not isinstance(raised.value, UnknownOutcome)
    assert raised.value.code == "rate_limited"
    assert raised.value.retry_after == 120
    assert statuses_with_link(mastodon, post.url) == []


def test_rate_limited_with_only_retry_after(mastodon: MockMastodon) -> None:
    mastodon.add_fault(
        {
            "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
            "effect": {"type": "status", "status": 429, "headers": {"Retry-After": "30"}},
            "count": 1,
        }
    )
    try:
        with pytest.raises(RetryableError) as raised:
            client.publish(mastodon.credentials(), make_post())
    finally:
        mastodon.clear_faults()

    assert raised.value.retry_after == 30


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_retried(mastodon: MockMastodon, status: int) -> None:
    mastodon.add_fault(
        {
            "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
            "effect": {"type": "status", "status": status},
            "count": 1,
        }
    )
    credentials = mastodon.credentials()
    post = make_post()
    try:
        with pytest.raises(RetryableError) as raised:
            client.publish(credentials, post)
    finally:
        mastodon.clear_faults()
    assert raised.value.code == "server_error"
    assert not isinstance(raised.value, UnknownOutcome)

    # The next attempt goes through.
    assert client.publish(credentials, post) == client.find_published(credentials, post)


def test_a_refused_connection_is_retried_without_doubt() -> None:
    credentials = {"instance": f"http://127.0.0.1:{free_port()}", "access_token": "t"}

    with pytest.raises(RetryableError) as raised:
        client.publish(credentials, make_post())

    # Nothing was sent, so there is nothing to reconcile.
    assert type(raised.value) is RetryableError
    assert raised.value.code == "connection"


def test_a_private_address_is_refused(mastodon: MockMastodon) -> None:
    post = make_post()

    with override_settings(CHORUS_ALLOW_PRIVATE_URLS=False):
        with pytest.raises(PermanentError) as raised:
            client.publish(mastodon.credentials(), post)
        with pytest.raises(PermanentError) as registering:
            client.register_app(mastodon.url, REDIRECT_URI)

    assert raised.value.code == "blocked_address"
    assert registering.value.code == "blocked_address"
    assert statuses_with_link(mastodon, post.url) == []


def test_connecting_with_oauth(mastodon: MockMastodon) -> None:
    app = client.register_app(mastodon.url + "/", REDIRECT_URI)
    assert set(app) == {"client_id", "client_secret"}

    url = client.authorize_url(mastodon.url, app["client_id"], REDIRECT_URI, "st4te")
    parts = urlsplit(url)
    assert url.startswith(f"{mastodon.url}/oauth/authorize?")
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": [app["client_id"]],
        "redirect_uri": [REDIRECT_URI],
        "scope": ["write:statuses write:media write:favourites read:accounts read:search"],
        "state": ["st4te"],
    }
    # The instance shows its consent page for that URL; the person picks their account
    # and is sent back to Chorus with a code.
    assert mastodon.http("GET", f"{parts.path}?{parts.query}").status == 200
    back = urlsplit(mastodon.choose_account(app["client_id"], REDIRECT_URI, "st4te"))
    returned = parse_qs(back.query)
    assert returned["state"] == ["st4te"]

    credentials = client.exchange_code(
        mastodon.url,
        app["client_id"],
        app["client_secret"],
        REDIRECT_URI,
        returned["code"][0],
    )

    assert credentials["instance"] == mastodon.url
    assert credentials["client_id"] == app["client_id"]
    assert credentials["access_token"] not in ("", "mock_token")
    assert client.verify(credentials).handle == "@testuser@127.0.0.1"
    assert client.publish(credentials, make_post()).remote_id

    client.revoke(credentials)
    with pytest.raises(ReconnectError):
        client.verify(credentials)


def test_a_bad_code_is_refused(mastodon: MockMastodon) -> None:
    app = client.register_app(mastodon.url, REDIRECT_URI)

    with pytest.raises(PermanentError):
        client.exchange_code(
            mastodon.url, app["client_id"], app["client_secret"], REDIRECT_URI, "nope"
        )


def test_revoke_swallows_failures() -> None:
    unreachable = {"instance": f"http://127.0.0.1:{free_port()}", "access_token": "t"}

    client.revoke(unreachable)  # no exception: the token just stays valid
    client.revoke({})


def test_instance_limits(mastodon: MockMastodon) -> None:
    assert client.instance_limits(mastodon.url) == (500, 23)


def test_instance_limits_from_another_server() -> None:
    with local_server() as server:
        server.respond(
            "/api/v2/instance",
            b'{"configuration": {"statuses": {"max_characters": 5000,'
            b' "characters_reserved_per_url": 23}}}',
            content_type="application/json",
        )
        assert client.instance_limits(server.url("")) == (5000, 23)


def test_instance_limits_default_when_unsaid() -> None:
    # An older instance without /api/v2/instance.
    with local_server() as server:
        assert client.instance_limits(server.url("")) == (500, 23)
