"""The LinkedIn client against the contract stand-in: connecting, posting, and each
documented failure mapped to the error that tells the worker what to do next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import time_machine

from chorus.integrations.base import (
    Credentials,
    PermanentError,
    Post,
    ReconnectError,
    RetryableError,
    UnknownOutcome,
)
from chorus.integrations.linkedin import client as linkedin
from chorus.integrations.linkedin.client import client, escape_little_text
from chorus.lib import safe_fetch
from tests.sharing.standins import LinkedInMember, LinkedInStandIn, decode_little_text

REDIRECT_URI = "https://chorus.example/connections/linkedin/callback"
LINK = "https://go.example.com/l/Ab3_x"


def connected(
    linkedin_standin: LinkedInStandIn, member: LinkedInMember, **token: Any
) -> Credentials:
    """Credentials as `exchange_code` stores them, for a member who connected just now."""
    return {
        "access_token": linkedin_standin.issue_token(member, **token),
        "expires_at": (datetime.now(UTC) + timedelta(days=60)).isoformat(),
        "member_id": member.sub,
        "name": member.name,
    }


def consent(authorize_url: str) -> dict[str, str]:
    """Follow the consent page as the browser would and return the callback's query."""
    response = safe_fetch.request("GET", authorize_url)
    assert response.status == 302
    return dict(parse_qsl(urlsplit(response.headers["location"]).query))


# --- Connecting ------------------------------------------------------------------------------


def test_connecting_stores_a_token_for_the_member_who_consented(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember
) -> None:
    linkedin_standin.sign_in(linkedin_ada)
    url = client.authorize_url(REDIRECT_URI, "state-123")
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["scope"] == "openid profile w_member_social"

    callback = consent(url)
    assert callback["state"] == "state-123"
    credentials = client.exchange_code(callback["code"], REDIRECT_URI)

    assert credentials["member_id"] == linkedin_ada.sub
    assert credentials["name"] == "Ada Lovelace"
    expiry = datetime.fromisoformat(credentials["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=59, hours=23) < expiry <= timedelta(days=60)
    assert client.verify(credentials).remote_id == linkedin_ada.sub
    form = dict(parse_qsl(linkedin_standin.seen("access_token")[0].body.decode()))
    assert form["client_secret"] == "linkedin-secret"


def test_a_code_for_another_redirect_uri_or_used_twice_is_refused(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember
) -> None:
    code = consent(client.authorize_url(REDIRECT_URI, "s"))["code"]
    with pytest.raises(ReconnectError):
        client.exchange_code(code, "https://elsewhere.example/callback")

    code = consent(client.authorize_url(REDIRECT_URI, "s"))["code"]
    client.exchange_code(code, REDIRECT_URI)
    with pytest.raises(ReconnectError):
        client.exchange_code(code, REDIRECT_URI)


def test_a_wrong_client_secret_is_a_configuration_problem_not_the_persons(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember, settings: Any
) -> None:
    code = consent(client.authorize_url(REDIRECT_URI, "s"))["code"]
    settings.CHORUS_LINKEDIN_CLIENT_SECRET = "wrong"

    with pytest.raises(PermanentError) as raised:
        client.exchange_code(code, REDIRECT_URI)
    assert not isinstance(raised.value, ReconnectError)
    assert raised.value.code == "oauth_client"


def test_revoking_ends_the_token_and_never_raises(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember, settings: Any
) -> None:
    credentials = connected(linkedin_standin, linkedin_ada)
    client.revoke(credentials)
    with pytest.raises(ReconnectError):
        client.verify(credentials)

    settings.CHORUS_LINKEDIN_OAUTH_URL = "http://127.0.0.1:9/oauth/v2"  # nothing listens
    client.revoke(credentials)


# --- Publishing ------------------------------------------------------------------------------


def test_a_post_with_a_link_is_created_with_its_article_card(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember
) -> None:
    post = Post(
        text=f"Our spring report is out {LINK}",
        url=LINK,
        title="Spring report",
        description="What our customers told us",
    )
    published = client.publish(connected(linkedin_standin, linkedin_ada), post)

    [created] = linkedin_standin.posts
    assert published.remote_id == created.urn
    assert published.remote_url == f"https://www.linkedin.com/feed/update/{created.urn}/"
    assert created.author == linkedin_ada.urn
    assert created.body["content"] == {
        "article": {
            "source": LINK,
            "title": "Spring report",
            "description": "What our customers told us",
        }
    }
    assert created.body["visibility"] == "PUBLIC"
    assert created.body["distribution"] == {
        "feedDistribution": "MAIN_FEED",
        "targetEntities": [],
        "thirdPartyDistributionChannels": [],
    }
    assert created.version == "202607"
    [call] = linkedin_standin.seen("posts")
    assert call.headers["x-restli-protocol-version"] == "2.0.0"
    assert linkedin_standin.count_posts(text=post.text, author=linkedin_ada.sub) == 1


def test_a_post_without_a_link_has_no_content(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember
) -> None:
    client.publish(connected(linkedin_standin, linkedin_ada), Post(text="Proud of the team today."))

    [created] = linkedin_standin.posts
    assert "content" not in created.body
    assert created.text == "Proud of the team today."


def test_commentary_is_escaped_so_linkedin_shows_all_of_it_with_hashtags(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember
) -> None:
    text = (
        "Big news (really) for C# fans: <3 the new_api {beta} [docs] | a*b ~ "
        f"\\o/ thanks @team #Hiring #DevRel {LINK}"
    )
    # Sent unescaped, LinkedIn would cut the post at the first "(".
    assert decode_little_text(text) == "Big news "

    client.publish(connected(linkedin_standin, linkedin_ada), Post(text=text))

    [created] = linkedin_standin.posts
    assert created.commentary == (
        "Big news \\(really\\) for C\\# fans: \\<3 the new\\_api \\{beta\\} \\[docs\\] "
        "\\| a\\*b \\~ \\\\o/ thanks \\@team {hashtag|\\#|Hiring} {hashtag|\\#|DevRel} "
        "https://go.example.com/l/Ab3\\_x"
    )
    assert created.text == text


def test_hashtag_rule_leaves_url_fragments_and_numbers_alone() -> None:
    assert escape_little_text("see /#top, page#2, #1 and #ok") == (
        "see /\\#top, page\\#2, \\#1 and {hashtag|\\#|ok}"
    )


def test_commentary_over_3000_characters_is_refused_before_sending(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember
) -> None:
    credentials = connected(linkedin_standin, linkedin_ada)
    with pytest.raises(PermanentError) as raised:
        client.publish(credentials, Post(text="a" * 3001))
    assert raised.value.code == "too_long"
    assert linkedin_standin.seen("posts") == []

    client.publish(credentials, Post(text="a" * 3000))
    assert linkedin_standin.count_posts(author=linkedin_ada.sub) == 1


def test_an_expired_token_asks_the_person_to_reconnect(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember
) -> None:
    credentials = connected(linkedin_standin, linkedin_ada)
    linkedin_standin.expire(credentials["access_token"])

    with pytest.raises(ReconnectError) as raised:
        client.publish(credentials, Post(text="Hello"))
    assert raised.value.code == "expired"
    assert linkedin_standin.posts == []


def test_a_token_past_its_expiry_is_not_even_sent(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember
) -> None:
    credentials = connected(linkedin_standin, linkedin_ada)
    credentials["expires_at"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()

    with pytest.raises(ReconnectError):
        client.publish(credentials, Post(text="Hello"))
    assert linkedin_standin.seen("posts") == []


def test_the_same_commentary_twice_is_a_permanent_duplicate(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember
) -> None:
    credentials = connected(linkedin_standin, linkedin_ada)
    client.publish(credentials, Post(text="Same words"))

    with pytest.raises(PermanentError) as raised:
        client.publish(credentials, Post(text="Same words"))
    assert raised.value.code == "duplicate"
    assert linkedin_standin.count_posts(text="Same words") == 1


def test_a_missing_posting_permission_is_permanent(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember
) -> None:
    credentials = connected(linkedin_standin, linkedin_ada, scope="openid profile")

    with pytest.raises(PermanentError) as raised:
        client.publish(credentials, Post(text="Hello"))
    assert raised.value.code == "forbidden"
    assert not isinstance(raised.value, ReconnectError)


def test_the_daily_limit_retries_after_midnight_utc(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember
) -> None:
    linkedin_standin.throttle()
    with time_machine.travel(datetime(2026, 11, 27, 21, 30, tzinfo=UTC), tick=False):
        credentials = connected(linkedin_standin, linkedin_ada)
        with pytest.raises(RetryableError) as raised:
            client.publish(credentials, Post(text="Hello"))

    assert not isinstance(raised.value, UnknownOutcome)
    assert raised.value.code == "rate_limited"
    assert raised.value.retry_after == 2.5 * 3600
    assert linkedin_standin.posts == []


def test_a_server_error_is_retryable_and_created_nothing(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember
) -> None:
    linkedin_standin.server_error(503)

    with pytest.raises(RetryableError) as raised:
        client.publish(connected(linkedin_standin, linkedin_ada), Post(text="Hello"))
    assert not isinstance(raised.value, UnknownOutcome)
    assert linkedin_standin.posts == []


def test_a_timeout_after_sending_is_an_unknown_outcome_left_to_the_person(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember, settings: Any
) -> None:
    settings.CHORUS_FETCH_TIMEOUT = 1
    linkedin_standin.slow(5)
    credentials = connected(linkedin_standin, linkedin_ada)
    post = Post(text="Hello")

    with pytest.raises(UnknownOutcome):
        client.publish(credentials, post)
    # The post exists, but LinkedIn offers no way to find it without restricted scopes.
    assert linkedin_standin.count_posts(text="Hello") == 1
    assert client.find_published(credentials, post) is None


def test_a_retired_version_is_permanent_until_the_setting_moves_on(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember, settings: Any
) -> None:
    linkedin_standin.retire_version("202607")
    credentials = connected(linkedin_standin, linkedin_ada)

    with pytest.raises(PermanentError) as raised:
        client.publish(credentials, Post(text="Hello"))
    assert raised.value.code == "version_retired"

    settings.CHORUS_LINKEDIN_VERSION = "202610"
    assert client.publish(credentials, Post(text="Hello")).remote_id


def test_seconds_until_midnight_utc() -> None:
    now = datetime(2026, 11, 27, 23, 59, 30, tzinfo=UTC)
    assert linkedin.seconds_until_midnight_utc(now) == 30


# --- The stand-in keeps to the contract ------------------------------------------------------


def test_standin_refuses_a_post_without_version_or_protocol_headers(
    linkedin_standin: LinkedInStandIn, linkedin_ada: LinkedInMember
) -> None:
    token = linkedin_standin.issue_token(linkedin_ada)
    body = (
        b'{"author":"urn:li:person:' + linkedin_ada.sub.encode() + b'","commentary":"Hi",'
        b'"visibility":"PUBLIC","distribution":{"feedDistribution":"MAIN_FEED",'
        b'"targetEntities":[],"thirdPartyDistributionChannels":[]},'
        b'"lifecycleState":"PUBLISHED","isReshareDisabledByAuthor":false}'
    )
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(extra: dict[str, str]) -> safe_fetch.Response:
        return safe_fetch.request(
            "POST", f"{linkedin_standin.url}/rest/posts", body=body, headers={**headers, **extra}
        )

    assert post({"X-Restli-Protocol-Version": "2.0.0"}).status == 400
    assert post({"LinkedIn-Version": "202607"}).status == 400
    answer = post({"LinkedIn-Version": "202607", "X-Restli-Protocol-Version": "2.0.0"})
    assert answer.status == 201
    assert answer.headers["x-restli-id"].startswith("urn:li:share:")
