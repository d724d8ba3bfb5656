"""The Bluesky client against a real local PDS (and a few canned answers)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from chorus.integrations.base import (
    PermanentError,
    Post,
    ReconnectError,
    RetryableError,
    UnknownOutcome,
)
from chorus.integrations.bluesky.client import BlueskyClient, client, link_facets
from chorus.lib import safe_fetch
from tests.servers import local_server
from tests.sharing.mastodon_server import AnswerLosingProxy
from tests.sharing.pds_server import (
    BlueskyAccount,
    LocalPds,
)

# Every server here listens on 127.0.0.1.
pytestmark = pytest.mark.usefixtures("loopback_allowed")


@pytest.fixture
def account(pds: LocalPds) -> BlueskyAccount:
    return pds.create_account()


def make_post(
    text: str = "Our new report on hiring & retention {url} #careers", **fields: str
) -> Post:
    """A post with a tracked link unique to the test; `{url}` in the text is the link."""
    url = f"https://chorus.example/r/{uuid.uuid4().hex[:10]}?utm_source=bluesky&utm_medium=social"
    defaults = {"url": url, "title": "Hiring report 2025", "description": "What we learned."}
    return Post(text=text.format(url=url), **{**defaults, **fields})


def covered(text: str, facet: dict[str, Any]) -> str:
    """The part of the text a facet points at, sliced the way Bluesky does: in UTF-8 bytes."""
    index = facet["index"]
    return text.encode()[index["byteStart"] : index["byteEnd"]].decode()


def test_client_is_the_bluesky_one() -> None:
    assert isinstance(client, BlueskyClient)
    assert client.network == "bluesky"


# --- Link facets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("Read https://chorus.example/a", ["https://chorus.example/a"]),
        ("https://chorus.example/a at the start", ["https://chorus.example/a"]),
        ("Café 🎉 déjà vu: https://chorus.example/é?x=1&y=2", ["https://chorus.example/é?x=1&y=2"]),
        ("Ends a sentence https://chorus.example/a.", ["https://chorus.example/a"]),
        (
            "Two: http://a.example/1, https://b.example/2!",
            ["http://a.example/1", "https://b.example/2"],
        ),
        ("(see https://chorus.example/a)", ["https://chorus.example/a"]),
        (
            "Wiki https://en.wikipedia.org/wiki/Bach_(music)",
            ["https://en.wikipedia.org/wiki/Bach_(music)"],
        ),
        ("👨‍👩‍👧 family\nhttps://chorus.example/f", ["https://chorus.example/f"]),
        ("No link here, chorus.example is not one", []),
        ("Glued:https://chorus.example/a or https:// alone", []),
    ],
)
def test_link_facets_cover_each_url_in_utf8_bytes(text: str, urls: list[str]) -> None:
    facets = link_facets(text)

    assert [covered(text, facet) for facet in facets] == urls
    assert [facet["features"] for facet in facets] == [
        [{"$type": "app.bsky.richtext.facet#link", "uri": url}] for url in urls
    ]


def test_facet_offsets_are_bytes_not_characters() -> None:
    text = "é 🎉 https://chorus.example/"
    (facet,) = link_facets(text)

    # "é" is 2 bytes, "🎉" 4, plus two spaces: the link starts at byte 8, character 4.
    assert facet["index"] == {"byteStart": 8, "byteEnd": 8 + len("https://chorus.example/")}


# --- Against the real PDS ---------------------------------------------------------------


def test_connecting_with_an_app_password(pds: LocalPds, account: BlueskyAccount) -> None:
    credentials = pds.credentials(account)

    connected = client.verify(credentials)

    assert (connected.remote_id, connected.handle) == (account.did, account.handle)
    # The session is kept so publishing does not log in again (createSession is rate-limited).
    assert credentials["did"] == account.did
    assert credentials["access_jwt"] and credentials["refresh_jwt"]


def test_publishing_a_post_with_its_link_and_card(pds: LocalPds, account: BlueskyAccount) -> None:
    credentials = pds.credentials(account)
    post = make_post("Déjà lu ? 🎉 Notre rapport 👉 {url} 🚀 #carrières", language="fr")

    published = client.publish(credentials, post)

    assert published.remote_id.startswith(f"at://{account.did}/app.bsky.feed.post/")
    rkey = published.remote_id.rsplit("/", 1)[1]
    assert published.remote_url == f"https://bsky.app/profile/{account.did}/post/{rkey}"
    record = pds.get_record(published.remote_id)
    assert record["text"] == post.text
    assert record["langs"] == ["fr"]
    (facet,) = record["facets"]
    # Accents and emoji before the link take several bytes each: the stored byte range
    # must still cover the URL exactly, or the link would be cut or shifted in the app.
    assert covered(record["text"], facet) == post.url
    assert facet["features"] == [{"$type": "app.bsky.richtext.facet#link", "uri": post.url}]
    assert record["embed"] == {
        "$type": "app.bsky.embed.external",
        "external": {
            "uri": post.url,
            "title": "Hiring report 2025",
            "description": "What we learned.",
        },
    }


def test_a_post_without_language_or_link(pds: LocalPds, account: BlueskyAccount) -> None:
    post = Post(text=f"Just words {uuid.uuid4().hex[:6]}, no link.")

    published = client.publish(pds.credentials(account), post)

    record = pds.get_record(published.remote_id)
    assert record["text"] == post.text
    assert "langs" not in record and "facets" not in record and "embed" not in record


def test_a_wrong_app_password_asks_to_reconnect(pds: LocalPds, account: BlueskyAccount) -> None:
    credentials = {**pds.credentials(account), "app_password": "aaaa-bbbb-cccc-dddd"}

    with pytest.raises(ReconnectError) as connecting:
        client.verify(credentials)
    with pytest.raises(ReconnectError) as publishing:
        client.publish(credentials, make_post())

    assert connecting.value.code == publishing.value.code == "reconnect"
    assert "access_jwt" not in credentials


def test_a_garbage_access_token_is_refreshed(pds: LocalPds, account: BlueskyAccount) -> None:
    credentials = pds.credentials(account)
    client.verify(credentials)
    refresh_jwt = credentials["refresh_jwt"]
    credentials["access_jwt"] = "not-a-jwt"
    # Only the refresh JWT can save the day: logging in again would fail.
    credentials["app_password"] = "revoked"

    published = client.publish(credentials, make_post())

    assert pds.get_record(published.remote_id)
    assert credentials["access_jwt"] != "not-a-jwt"
    assert credentials["refresh_jwt"] != refresh_jwt  # rotated; the caller saves it


def test_an_expired_access_token_is_refreshed(pds: LocalPds, account: BlueskyAccount) -> None:
    credentials = pds.credentials(account)
    client.verify(credentials)
    credentials["access_jwt"] = pds.expired(credentials["access_jwt"])
    credentials["app_password"] = "revoked"
    # What the PDS says about that token, so the test exercises the real ExpiredToken path.
    answer = pds.xrpc(
        "POST", "com.atproto.repo.createRecord", body={}, token=credentials["access_jwt"]
    )
    assert (answer.status, answer.json()["error"]) == (400, "ExpiredToken")

    published = client.publish(credentials, make_post())

    assert pds.get_record(published.remote_id)


def test_a_dead_session_logs_in_again_with_the_app_password(
    pds: LocalPds, account: BlueskyAccount
) -> None:
    credentials = pds.credentials(account)
    client.verify(credentials)
    credentials["access_jwt"] = credentials["refresh_jwt"] = "signed-out"

    published = client.publish(credentials, make_post())

    assert pds.get_record(published.remote_id)
    assert credentials["refresh_jwt"] != "signed-out"


def test_a_dead_session_and_a_revoked_app_password_ask_to_reconnect(
    pds: LocalPds, account: BlueskyAccount
) -> None:
    credentials = pds.credentials(account)
    client.verify(credentials)
    credentials.update(access_jwt="signed-out", refresh_jwt="signed-out", app_password="revoked")

    with pytest.raises(ReconnectError):
        client.publish(credentials, make_post())


@pytest.mark.parametrize(
    "text",
    [
        "é" * 300 + "!",  # 301 graphemes
        "👨‍👩‍👧" * 200,  # 200 graphemes, but 3600 bytes: over the record's 3000
    ],
)
def test_too_long_text_is_refused_before_any_request(
    pds: LocalPds, account: BlueskyAccount, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    credentials = {**pds.credentials(account), "did": account.did, "access_jwt": "cached"}
    sent: list[str] = []

    def refuse(method: str, url: str, **kwargs: Any) -> safe_fetch.Response:
        sent.append(url)
        raise AssertionError("no request should be sent")

    monkeypatch.setattr(safe_fetch, "request", refuse)

    with pytest.raises(PermanentError) as refused:
        client.publish(credentials, Post(text=text))

    assert refused.value.code == "too_long"
    assert sent == []


def test_three_hundred_graphemes_fit(pds: LocalPds, account: BlueskyAccount) -> None:
    text = "👨‍👩‍👧" * 100 + "é" * 200  # 300 graphemes, far more code points

    published = client.publish(pds.credentials(account), Post(text=text))

    assert pds.get_record(published.remote_id)["text"] == text


def test_find_published_finds_the_post(pds: LocalPds, account: BlueskyAccount) -> None:
    credentials = pds.credentials(account)
    post = make_post()
    published = client.publish(credentials, post)
    client.publish(credentials, make_post())  # a later post by the same person

    assert client.find_published(credentials, post) == published
    assert client.find_published(credentials, make_post()) is None


def test_revoking_ends_the_session(pds: LocalPds, account: BlueskyAccount) -> None:
    credentials = pds.credentials(account)
    client.verify(credentials)
    refresh_jwt = credentials["refresh_jwt"]

    client.revoke(credentials)

    assert "access_jwt" not in credentials and "refresh_jwt" not in credentials
    answer = pds.xrpc("POST", "com.atproto.server.refreshSession", token=refresh_jwt)
    assert answer.status == 400
    client.revoke(credentials)  # nothing left to revoke: no error


def test_a_private_pds_is_refused_outside_tests(
    pds: LocalPds, account: BlueskyAccount, settings: Settings
) -> None:
    settings.CHORUS_ALLOW_PRIVATE_URLS = False

    with pytest.raises(PermanentError) as refused:
        client.verify(pds.credentials(account))

    assert refused.value.code == "blocked_address"


def test_a_lost_answer_is_an_unknown_outcome_then_found(
    pds: LocalPds, account: BlueskyAccount, settings: Settings
) -> None:
    credentials = pds.credentials(account)
    client.verify(credentials)
    post = make_post()
    settings.CHORUS_FETCH_TIMEOUT = 2
    upstream = int(pds.url.rsplit(":", 1)[1])

    with AnswerLosingProxy(upstream) as proxy:
        with pytest.raises(UnknownOutcome):
            client.publish({**credentials, "pds": proxy.url}, post)
        assert proxy.answered.wait(timeout=10)

    assert client.find_published(credentials, post) is not None


# --- Canned answers: what the PDS says when it is busy or broken -------------------------


def session_at(url: str) -> dict[str, Any]:
    return {
        "pds": url,
        "identifier": "amy.test",
        "app_password": "aaaa-bbbb-cccc-dddd",
        "did": "did:plc:amy",
        "access_jwt": "cached",
        "refresh_jwt": "cached-refresh",
    }


def test_rate_limit_says_when_to_retry() -> None:
    with local_server() as server:
        reset = int(time.time()) + 120
        server.respond(
            "/xrpc/com.atproto.repo.listRecords",
            b'{"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}',
            content_type="application/json",
            status=429,
            headers={
                "ratelimit-limit": "3000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
                "ratelimit-policy": "3000;w=300",
            },
        )
        with pytest.raises(RetryableError) as limited:
            client.find_published(session_at(server.url("")), make_post())

    assert not isinstance(limited.value, PermanentError)
    assert limited.value.code == "rate_limited"
    assert limited.value.retry_after is not None
    assert 110 <= limited.value.retry_after <= 120


@pytest.mark.parametrize(
    ("status", "body", "expected", "code"),
    [
        (503, b"<h1>Service Unavailable</h1>", RetryableError, "server_error"),
        (401, b'{"error": "AuthenticationRequired"}', ReconnectError, "reconnect"),
        (400, b'{"error": "InvalidRequest", "message": "bad"}', PermanentError, "invalid_request"),
    ],
)
def test_error_answers_are_mapped(
    status: int, body: bytes, expected: type[Exception], code: str
) -> None:
    with local_server() as server:
        server.respond(
            "/xrpc/com.atproto.repo.listRecords", body, "application/json", status=status
        )
        with pytest.raises(expected) as error:
            client.find_published(session_at(server.url("")), make_post())

    assert getattr(error.value, "code", None) == code
