"""The X client against the contract stand-in: connecting with PKCE, refreshing rotated
tokens, posting, finding a post after a lost answer, and each documented failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import time_machine

from chorus.integrations import oauth
from chorus.integrations.base import (
    Credentials,
    PermanentError,
    Post,
    ReconnectError,
    RetryableError,
    UnknownOutcome,
)
from chorus.integrations.x.client import client
from chorus.lib import safe_fetch
from tests.sharing.standins import XStandIn, XUser

REDIRECT_URI = "https://chorus.example/connections/x/callback"
LINK = "https://go.example.com/l/Xy7"


def connected(x_standin: XStandIn, user: XUser, **tokens: Any) -> Credentials:
    """Credentials as `exchange_code` stores them, for an account connected just now."""
    answer = x_standin.issue_tokens(user, **tokens)
    return {
        "access_token": answer["access_token"],
        "refresh_token": answer.get("refresh_token", ""),
        "expires_at": oauth.expires_at(answer["expires_in"]),
        "user_id": user.id,
        "username": user.username,
    }


def consent(authorize_url: str) -> dict[str, str]:
    """Follow the consent page as the browser would and return the callback's query."""
    response = safe_fetch.request("GET", authorize_url)
    assert response.status == 302
    return dict(parse_qsl(urlsplit(response.headers["location"]).query))


# --- OAuth helpers and connecting ------------------------------------------------------------


def test_code_challenge_is_s256_as_in_rfc_7636() -> None:
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oauth.code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    fresh = oauth.new_code_verifier()
    assert 43 <= len(fresh) <= 128
    assert fresh != oauth.new_code_verifier()
    state = oauth.new_state()
    assert oauth.states_match(state, state)
    assert not oauth.states_match(state, oauth.new_state())
    assert not oauth.states_match("", "")


def test_connecting_with_pkce_stores_tokens_for_the_account(
    x_standin: XStandIn, ada: XUser
) -> None:
    x_standin.sign_in(ada)
    verifier = oauth.new_code_verifier()
    url = client.authorize_url(REDIRECT_URI, "state-9", oauth.code_challenge(verifier))
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["scope"] == "tweet.read tweet.write users.read offline.access media.write"
    assert query["code_challenge_method"] == "S256"

    callback = consent(url)
    assert callback["state"] == "state-9"
    credentials = client.exchange_code(callback["code"], REDIRECT_URI, verifier)

    assert credentials["user_id"] == ada.id
    assert credentials["username"] == "ada"
    assert credentials["refresh_token"]
    expiry = datetime.fromisoformat(credentials["expires_at"]) - datetime.now(UTC)
    assert timedelta(hours=1, minutes=59) < expiry <= timedelta(hours=2)
    # A confidential client authenticates with HTTP Basic, not in the form.
    [call] = x_standin.seen("token")
    assert call.headers["authorization"].startswith("Basic ")
    assert "client_secret" not in dict(parse_qsl(call.body.decode()))


def test_a_code_verifier_that_does_not_match_the_challenge_is_refused(
    x_standin: XStandIn, ada: XUser
) -> None:
    challenge = oauth.code_challenge(oauth.new_code_verifier())
    code = consent(client.authorize_url(REDIRECT_URI, "s", challenge))["code"]

    with pytest.raises(ReconnectError):
        client.exchange_code(code, REDIRECT_URI, oauth.new_code_verifier())


def test_a_public_client_sends_its_id_in_the_form(settings: Any) -> None:
    with XStandIn(client_secret="") as x_standin:
        for name, value in x_standin.settings().items():
            setattr(settings, name, value)
        settings.CHORUS_ALLOW_PRIVATE_URLS = True
        x_standin.add_user("grace", "Grace Hopper")
        verifier = oauth.new_code_verifier()
        code = consent(client.authorize_url(REDIRECT_URI, "s", oauth.code_challenge(verifier)))[
            "code"
        ]

        credentials = client.exchange_code(code, REDIRECT_URI, verifier)

        assert credentials["username"] == "grace"
        assert "authorization" not in x_standin.seen("token")[0].headers


def test_revoking_ends_both_tokens_and_never_raises(
    x_standin: XStandIn, ada: XUser, settings: Any
) -> None:
    credentials = connected(x_standin, ada)
    client.revoke(credentials)

    with pytest.raises(ReconnectError):
        client.verify(credentials)  # the access token is refused, and so is the refresh

    settings.CHORUS_X_API_URL = "http://127.0.0.1:9"  # nothing listens
    client.revoke(credentials)


# --- Publishing ------------------------------------------------------------------------------


def test_a_post_is_created_and_its_address_kept(x_standin: XStandIn, ada: XUser) -> None:
    published = client.publish(connected(x_standin, ada), Post(text=f"Our report {LINK}"))

    [tweet] = x_standin.tweets
    assert published.remote_id == tweet.id
    assert published.remote_url == f"https://x.com/i/web/status/{tweet.id}"
    assert x_standin.count_posts(text=f"Our report {LINK}", author="ada") == 1


def test_a_text_that_fits_only_because_links_count_23_is_posted(
    x_standin: XStandIn, ada: XUser
) -> None:
    long_link = "https://go.example.com/l/" + "x" * 60
    text = "a" * 250 + " " + long_link  # 336 characters, 274 as X counts them
    assert len(text) > 280

    client.publish(connected(x_standin, ada), Post(text=text))

    assert x_standin.count_posts(text=text) == 1


def test_a_text_over_280_weighted_characters_is_refused_before_any_request(
    x_standin: XStandIn, ada: XUser
) -> None:
    credentials = connected(x_standin, ada)
    credentials["expires_at"] = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    text = "a" * 258 + " " + LINK  # 258 + 1 + 23 = 282

    with pytest.raises(PermanentError) as raised:
        client.publish(credentials, Post(text=text))
    assert raised.value.code == "too_long"
    assert x_standin.calls == []  # not even a token refresh


def test_an_expired_token_is_refreshed_first_and_the_new_refresh_token_kept(
    x_standin: XStandIn, ada: XUser
) -> None:
    credentials = connected(x_standin, ada)
    old_refresh = credentials["refresh_token"]
    old_access = credentials["access_token"]
    credentials["expires_at"] = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()

    client.publish(credentials, Post(text="Hello"))

    assert credentials["refresh_token"] not in ("", old_refresh)
    assert credentials["access_token"] != old_access
    assert x_standin.seen("tweets")[0].headers["authorization"] == (
        f"Bearer {credentials['access_token']}"
    )
    # X rotated the refresh token: the old one no longer works.
    with pytest.raises(ReconnectError):
        client.refresh({**credentials, "refresh_token": old_refresh})
    assert x_standin.count_posts(text="Hello") == 1


def test_a_401_refreshes_once_then_posts(x_standin: XStandIn, ada: XUser) -> None:
    credentials = connected(x_standin, ada)
    x_standin.expire(credentials["access_token"])

    client.publish(credentials, Post(text="Hello"))

    assert len(x_standin.seen("token")) == 1
    assert len(x_standin.seen("tweets")) == 2
    assert x_standin.count_posts(text="Hello") == 1


def test_a_refused_refresh_asks_the_person_to_reconnect(x_standin: XStandIn, ada: XUser) -> None:
    credentials = connected(x_standin, ada)
    x_standin.expire(credentials["access_token"])
    x_standin.expire(credentials["refresh_token"])

    with pytest.raises(ReconnectError):
        client.publish(credentials, Post(text="Hello"))

    credentials["expires_at"] = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    with pytest.raises(ReconnectError):
        client.publish(credentials, Post(text="Hello"))
    assert x_standin.tweets == []


def test_without_a_refresh_token_an_expired_token_means_reconnecting(
    x_standin: XStandIn, ada: XUser
) -> None:
    credentials = connected(x_standin, ada, scope="tweet.read tweet.write users.read")
    assert credentials["refresh_token"] == ""
    x_standin.expire()

    with pytest.raises(ReconnectError):
        client.publish(credentials, Post(text="Hello"))
    assert x_standin.seen("token") == []


def test_the_same_text_twice_is_a_permanent_duplicate(x_standin: XStandIn, ada: XUser) -> None:
    credentials = connected(x_standin, ada)
    client.publish(credentials, Post(text="Same words"))

    with pytest.raises(PermanentError) as raised:
        client.publish(credentials, Post(text="Same words"))
    assert raised.value.code == "duplicate"
    assert x_standin.count_posts(text="Same words") == 1


def test_a_rate_limit_retries_when_x_says_the_window_resets(
    x_standin: XStandIn, ada: XUser
) -> None:
    with time_machine.travel(datetime(2026, 11, 27, 10, 0, tzinfo=UTC), tick=False):
        credentials = connected(x_standin, ada)
        x_standin.throttle(reset_in=420)
        with pytest.raises(RetryableError) as raised:
            client.publish(credentials, Post(text="Hello"))

    assert not isinstance(raised.value, UnknownOutcome)
    assert raised.value.code == "rate_limited"
    assert raised.value.retry_after == 420
    assert x_standin.tweets == []


def test_a_server_error_is_retryable_and_created_nothing(x_standin: XStandIn, ada: XUser) -> None:
    x_standin.server_error(503)

    with pytest.raises(RetryableError) as raised:
        client.publish(connected(x_standin, ada), Post(text="Hello"))
    assert not isinstance(raised.value, UnknownOutcome)
    assert x_standin.tweets == []


def test_after_a_timeout_the_post_is_found_among_the_latest(
    x_standin: XStandIn, ada: XUser, settings: Any
) -> None:
    settings.CHORUS_FETCH_TIMEOUT = 1
    credentials = connected(x_standin, ada)
    client.publish(credentials, Post(text=f"Older post {LINK}/1"))
    post = Post(text=f"Fresh & new: read it at {LINK} or go.example.com/about", url=LINK)
    x_standin.slow(5)

    with pytest.raises(UnknownOutcome):
        client.publish(credentials, post)

    found = client.find_published(credentials, post)
    [_, tweet] = x_standin.tweets
    assert found is not None
    assert found.remote_id == tweet.id
    # X lists links as t.co addresses; the entities are what made the match possible.
    [call] = x_standin.seen("timeline")
    assert call.query["max_results"] == "10"
    assert client.find_published(credentials, Post(text=f"Never posted {LINK}")) is None
