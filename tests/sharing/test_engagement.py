"""Engagement sync: counts read back from the networks on a schedule, kept as snapshots.

Mastodon runs for real (mastodon-mock: other accounts favourite, boost and reply); X and
LinkedIn are the contract stand-ins; Bluesky's AppView cannot run here (a bare PDS does not
serve getPosts), so its answer is the documented getPosts shape from a canned local server.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.management import call_command
from pytest_django.fixtures import DjangoAssertNumQueries, Settings

from chorus.integrations import oauth
from chorus.integrations.base import (
    Credentials,
    MetricsUnavailable,
    Post,
    RetryableError,
)
from chorus.integrations.bluesky.client import client as bluesky
from chorus.integrations.linkedin.client import client as linkedin
from chorus.integrations.mastodon.client import client as mastodon_client
from chorus.integrations.x.client import client as x_client
from chorus.orgs.models import Membership
from chorus.sharing import metrics
from chorus.sharing.metrics import Engagement, latest_engagement, sync_due, total_engagement
from chorus.sharing.models import Connection, EngagementSnapshot, Share
from chorus.sharing.tasks import sync_engagement
from tests.factory import make_connection, make_item, make_member, make_org, make_share
from tests.servers import local_server
from tests.sharing.mastodon_server import (
    MockMastodon,
)
from tests.sharing.standins import LinkedInMember, LinkedInStandIn, XStandIn, XUser

pytestmark = pytest.mark.django_db

# A moment to travel from; steps of the schedule are counted from here.
PUBLISHED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_appview(loopback_allowed: None, settings: Settings) -> None:
    # Every server here listens on 127.0.0.1; Bluesky's AppView is a canned local server.
    settings.CHORUS_BLUESKY_APPVIEW_URL = ""


@pytest.fixture
def member() -> Membership:
    return make_member(make_org())


def published(
    member: Membership,
    connection: Connection,
    remote_id: str,
    *,
    at: datetime = PUBLISHED,
    **fields: Any,
) -> Share:
    """A share Chorus published through the API at `at` (unless `fields` say otherwise)."""
    fields = {
        "network": connection.network,
        "connection": connection,
        "status": Share.Status.PUBLISHED,
        "method": Share.Method.API,
        "published_at": at,
        "remote_id": remote_id,
        **fields,
    }
    return make_share(member, make_item(member.org), **fields)


def snapshots(share: Share) -> list[tuple[int, int, int, int]]:
    """The share's snapshots, oldest first, as (reactions, comments, reposts, quotes)."""
    return [
        (snapshot.reactions, snapshot.comments, snapshot.reposts, snapshot.quotes)
        for snapshot in share.engagement_snapshots.order_by("taken_at", "id")
    ]


# --- Mastodon, for real -----------------------------------------------------------------


def fan_token(mastodon: MockMastodon) -> str:
    """A token of a new account on the same server, to react as someone else."""
    answer = mastodon.http(
        "POST",
        "/api/v1/_mock/dev_user",
        body=json.dumps({"username": f"fan{uuid.uuid4().hex[:8]}"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 200, answer.body
    return str(answer.json()["access_token"])


def as_fan(mastodon: MockMastodon, token: str, path: str, form: str = "") -> None:
    answer = mastodon.http(
        "POST",
        path,
        body=form.encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert answer.status == 200, answer.body


def mastodon_status(mastodon: MockMastodon) -> str:
    """Publish a status as the seeded account, through the client; return its id."""
    text = f"Worth a read {uuid.uuid4().hex} https://chorus.example/r/abc"
    return mastodon_client.publish(mastodon.credentials(), Post(text=text)).remote_id


def test_mastodon_counts_what_other_accounts_did(mastodon: MockMastodon) -> None:
    status_id = mastodon_status(mastodon)
    ada, bob = fan_token(mastodon), fan_token(mastodon)
    for token in (ada, bob):
        as_fan(mastodon, token, f"/api/v1/statuses/{status_id}/favourite")
    as_fan(mastodon, ada, f"/api/v1/statuses/{status_id}/reblog")
    as_fan(mastodon, bob, "/api/v1/statuses", f"status=Agreed&in_reply_to_id={status_id}")

    found = mastodon_client.fetch_metrics(mastodon.credentials(), [status_id, "987654321"])

    assert set(found) == {status_id}  # the unknown status is left out, not an error
    counts = found[status_id]
    assert (counts.reactions, counts.comments, counts.reposts) == (2, 1, 1)
    assert counts.impressions is None
    assert counts.raw["favourites_count"] == 2


def test_sync_stores_mastodon_snapshots_that_accumulate(
    mastodon: MockMastodon, member: Membership
) -> None:
    status_id = mastodon_status(mastodon)
    connection = make_connection(member, "mastodon", **mastodon.credentials())
    share = published(member, connection, status_id)

    with time_machine.travel(PUBLISHED + timedelta(hours=1), tick=False):
        report = sync_due()
    as_fan(mastodon, fan_token(mastodon), f"/api/v1/statuses/{status_id}/favourite")
    with time_machine.travel(PUBLISHED + timedelta(hours=6), tick=False):
        sync_due()

    assert report.snapshots == 1
    assert snapshots(share) == [(0, 0, 0, 0), (1, 0, 0, 0)]
    assert latest_engagement([share.pk])[share.pk].reactions == 1
    snapshot = share.engagement_snapshots.first()
    assert snapshot is not None and snapshot.org_id == member.org_id


def test_mastodon_429_postpones_with_backoff_no_sooner_than_retry_after(
    mastodon: MockMastodon, member: Membership
) -> None:
    connection = make_connection(member, "mastodon", **mastodon.credentials())
    share = published(member, connection, mastodon_status(mastodon))
    mastodon.add_fault(
        {
            "match": {"methods": ["GET"], "path": f"/api/v1/statuses/{share.remote_id}"},
            "effect": {"type": "status", "status": 429, "headers": {"Retry-After": "5400"}},
            "count": 1,
        }
    )
    moment = PUBLISHED + timedelta(hours=1)
    try:
        with time_machine.travel(moment, tick=False):
            report = sync_due()
    finally:
        mastodon.clear_faults()

    share.refresh_from_db()
    assert report.postponed == 1 and report.snapshots == 0
    assert share.metrics_failures == 1
    assert share.metrics_next_at is not None
    assert share.metrics_next_at >= moment + timedelta(seconds=5400)
    # Not before the network said; then read normally, and the failures forgotten.
    with time_machine.travel(moment + timedelta(hours=1), tick=False):
        assert sync_due().snapshots == 0
    with time_machine.travel(share.metrics_next_at, tick=False):
        assert sync_due().snapshots == 1
    share.refresh_from_db()
    assert share.metrics_failures == 0
    assert share.metrics_next_at == PUBLISHED + timedelta(hours=6)


def test_mastodon_401_marks_the_connection_to_reconnect(
    mastodon: MockMastodon, member: Membership
) -> None:
    connection = make_connection(member, "mastodon", **mastodon.credentials())
    share = published(member, connection, mastodon_status(mastodon))
    mastodon.add_fault(
        {
            "match": {"methods": ["GET"], "path": f"/api/v1/statuses/{share.remote_id}"},
            "effect": {
                "type": "status",
                "status": 401,
                "body": {"error": "The access token is invalid"},
            },
            "count": 1,
        }
    )
    try:
        with time_machine.travel(PUBLISHED + timedelta(hours=1), tick=False):
            report = sync_due()
    finally:
        mastodon.clear_faults()

    connection.refresh_from_db()
    assert report.reconnect == [connection.pk]
    assert connection.status == Connection.Status.EXPIRED
    assert connection.last_error == "The access token is invalid"
    assert snapshots(share) == []
    # Nothing is asked of an expired connection; once reconnected, the share is read.
    with time_machine.travel(PUBLISHED + timedelta(hours=2), tick=False):
        assert sync_due().snapshots == 0
        connection.status = Connection.Status.ACTIVE
        connection.save()
        assert sync_due().snapshots == 1


# --- X, against the stand-in -------------------------------------------------------------


def x_credentials(x_standin: XStandIn, user: XUser) -> Credentials:
    answer = x_standin.issue_tokens(user)
    return {
        "access_token": answer["access_token"],
        "refresh_token": answer["refresh_token"],
        "expires_at": oauth.expires_at(answer["expires_in"]),
        "user_id": user.id,
        "username": user.username,
    }


def x_post(x_standin: XStandIn, credentials: Credentials) -> str:
    text = f"Worth a read {uuid.uuid4().hex[:12]}"
    return x_client.publish(credentials, Post(text=text)).remote_id


def test_x_reads_public_metrics_by_hundreds(x_standin: XStandIn, ada: XUser) -> None:
    credentials = x_credentials(x_standin, ada)
    post_id = x_post(x_standin, credentials)
    x_standin.engage(post_id, like_count=7, reply_count=2, retweet_count=3, quote_count=1)
    x_standin.engage(post_id, impression_count=420, bookmark_count=5)
    gone = [str(1_000 + number) for number in range(120)]

    found = x_client.fetch_metrics(credentials, [post_id, *gone])

    assert set(found) == {post_id}
    counts = found[post_id]
    assert (counts.reactions, counts.comments, counts.reposts, counts.quotes) == (7, 2, 3, 1)
    assert counts.impressions == 420
    assert counts.raw["bookmark_count"] == 5
    lookups = x_standin.seen("lookup")
    assert [len(call.query["ids"].split(",")) for call in lookups] == [100, 21]
    assert {call.query["tweet.fields"] for call in lookups} == {"public_metrics"}


def test_schedule_reads_at_each_step_then_stops_after_30_days(
    x_standin: XStandIn, ada: XUser, member: Membership
) -> None:
    credentials = x_credentials(x_standin, ada)
    connection = make_connection(member, "x", **credentials)
    share = published(member, connection, x_post(x_standin, credentials))
    read_at = []
    moment = PUBLISHED
    while moment <= PUBLISHED + timedelta(days=40):
        with time_machine.travel(moment, tick=False):
            if sync_due().snapshots:
                read_at.append(moment - PUBLISHED)
                x_standin.engage(share.remote_id, like_count=1)
        # Every 15 minutes, as the worker does, for a day; then every 6 hours.
        quickly = moment < PUBLISHED + timedelta(days=1)
        moment += timedelta(minutes=15) if quickly else timedelta(hours=6)

    assert read_at == [
        timedelta(hours=1),
        timedelta(hours=6),
        timedelta(days=1),
        timedelta(days=3),
        timedelta(days=7),
        timedelta(days=14),
        timedelta(days=30),
    ]
    assert len(x_standin.seen("lookup")) == 7  # nothing asked between steps, nothing after
    assert [counts[0] for counts in snapshots(share)] == [0, 1, 2, 3, 4, 5, 6]
    share.refresh_from_db()
    assert share.metrics_done and share.metrics_next_at is None
    # X's two-hour token was refreshed on the way, and the rotated one kept.
    connection.refresh_from_db()
    assert connection.credentials["access_token"] != credentials["access_token"]
    assert connection.status == Connection.Status.ACTIVE


def test_a_late_run_skips_missed_steps_and_old_shares_are_closed(
    x_standin: XStandIn, ada: XUser, member: Membership
) -> None:
    credentials = x_credentials(x_standin, ada)
    connection = make_connection(member, "x", **credentials)
    late = published(member, connection, x_post(x_standin, credentials))
    old = published(member, connection, "1999", at=PUBLISHED - timedelta(days=32))

    with time_machine.travel(PUBLISHED + timedelta(days=2), tick=False):
        sync_due()

    late.refresh_from_db()
    old.refresh_from_db()
    assert len(snapshots(late)) == 1  # one reading, not one per missed step
    assert late.metrics_next_at == PUBLISHED + timedelta(days=3)
    assert old.metrics_done and snapshots(old) == []
    assert "1999" not in x_standin.seen("lookup")[0].query["ids"]


def test_x_429_backs_off_until_the_rate_limit_resets(
    x_standin: XStandIn, ada: XUser, member: Membership
) -> None:
    credentials = x_credentials(x_standin, ada)
    connection = make_connection(member, "x", **credentials)
    share = published(member, connection, x_post(x_standin, credentials))
    moment = PUBLISHED + timedelta(hours=1)
    with time_machine.travel(moment, tick=False):
        x_standin.throttle(route="lookup", reset_in=2 * 3600)
        report = sync_due()

    share.refresh_from_db()
    assert report.postponed == 1
    assert share.metrics_next_at is not None
    assert share.metrics_next_at >= moment + timedelta(hours=2) - timedelta(seconds=1)
    assert snapshots(share) == []


def test_backoff_grows_and_gives_the_step_up_after_repeated_failures(
    x_standin: XStandIn, ada: XUser, member: Membership
) -> None:
    credentials = x_credentials(x_standin, ada)
    connection = make_connection(member, "x", **credentials)
    share = published(member, connection, x_post(x_standin, credentials))
    delays = []
    moment = PUBLISHED + timedelta(hours=1)
    for _ in range(metrics.MAX_FAILURES):
        x_standin.server_error(503, route="lookup")
        with time_machine.travel(moment, tick=False):
            sync_due()
        share.refresh_from_db()
        assert share.metrics_next_at is not None
        delays.append(share.metrics_next_at - moment)
        moment = share.metrics_next_at

    assert share.metrics_failures == metrics.MAX_FAILURES
    # Doubling with jitter: each wait at least half the nominal one, at most all of it.
    for failures, delay in enumerate(delays, start=1):
        nominal = metrics.BASE_DELAY * 2 ** (failures - 1)
        assert nominal / 2 <= delay <= nominal
    x_standin.server_error(503, route="lookup")
    with time_machine.travel(moment, tick=False):
        sync_due()
    share.refresh_from_db()
    assert share.metrics_failures == 0
    assert share.metrics_next_at == metrics.next_step(PUBLISHED, moment)


def test_x_refused_refresh_marks_the_connection_to_reconnect(
    x_standin: XStandIn, ada: XUser, member: Membership
) -> None:
    credentials = x_credentials(x_standin, ada)
    connection = make_connection(member, "x", **credentials)
    share = published(member, connection, x_post(x_standin, credentials))
    x_standin.expire(credentials["access_token"])
    x_standin.expire(credentials["refresh_token"])

    with time_machine.travel(PUBLISHED + timedelta(hours=1), tick=False):
        report = sync_due()

    connection.refresh_from_db()
    assert report.reconnect == [connection.pk]
    assert connection.status == Connection.Status.EXPIRED
    assert snapshots(share) == []


def test_a_token_renewed_by_another_worker_meanwhile_is_not_a_reconnect(
    x_standin: XStandIn, ada: XUser, member: Membership, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = x_credentials(x_standin, ada)
    connection = make_connection(member, "x", **credentials)
    share = published(member, connection, x_post(x_standin, credentials))
    # The run has loaded the connection when a publishing worker refreshes the token and
    # stores the new pair: the run's refresh token is spent, the stored one works.
    loaded = Connection.objects.get(pk=connection.pk)
    monkeypatch.setattr(Connection.objects, "in_bulk", lambda ids: {loaded.pk: loaded})
    connection.credentials = x_client.refresh(dict(credentials))
    connection.save()
    x_standin.expire(credentials["access_token"])

    with time_machine.travel(PUBLISHED + timedelta(hours=1), tick=False):
        report = sync_due()

    connection.refresh_from_db()
    assert report.reconnect == []
    assert connection.status == Connection.Status.ACTIVE
    share.refresh_from_db()
    assert share.metrics_failures == 1  # tried again later, with the stored token
    assert share.metrics_next_at is not None


# --- LinkedIn, against the stand-in --------------------------------------------------------


@pytest.fixture
def linkedin_api(settings: Settings) -> Iterator[LinkedInStandIn]:
    with LinkedInStandIn() as server:
        for name, value in server.settings().items():
            setattr(settings, name, value)
        yield server


def linkedin_post(
    linkedin_api: LinkedInStandIn, member: LinkedInMember, scope: str
) -> tuple[Credentials, str]:
    """Credentials as stored after connecting with `scope` granted, and a post's URN."""
    credentials: Credentials = {
        "access_token": linkedin_api.issue_token(member, scope=scope),
        "expires_at": oauth.expires_at(5_184_000),
        "member_id": member.sub,
        "name": member.name,
        "scope": scope.replace(" ", ","),
    }
    text = f"Worth a read {uuid.uuid4().hex[:12]}"
    return credentials, linkedin.publish(credentials, Post(text=text)).remote_id


def test_linkedin_without_the_restricted_scope_is_never_asked(
    linkedin_api: LinkedInStandIn, member: Membership
) -> None:
    someone = linkedin_api.add_member()
    credentials, urn = linkedin_post(linkedin_api, someone, "openid profile w_member_social")
    with pytest.raises(MetricsUnavailable):
        linkedin.fetch_metrics(credentials, [urn])

    connection = make_connection(member, "linkedin", **credentials)
    share = published(member, connection, urn)
    with time_machine.travel(PUBLISHED + timedelta(hours=1), tick=False):
        report = sync_due()

    assert linkedin_api.seen("social_metadata") == []
    assert report.skipped == 1 and snapshots(share) == []
    share.refresh_from_db()
    assert share.metrics_next_at == PUBLISHED + timedelta(hours=6)
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE


def test_linkedin_reads_reactions_and_comments_with_the_scope(
    linkedin_api: LinkedInStandIn, member: Membership
) -> None:
    someone = linkedin_api.add_member()
    credentials, urn = linkedin_post(
        linkedin_api, someone, "openid profile w_member_social r_member_social"
    )
    linkedin_api.react(urn, "LIKE", 4)
    linkedin_api.react(urn, "PRAISE", 2)
    linkedin_api.comment(urn, 3)
    connection = make_connection(member, "linkedin", **credentials)
    share = published(member, connection, urn)
    gone = published(member, connection, "urn:li:share:1")

    with time_machine.travel(PUBLISHED + timedelta(hours=1), tick=False):
        report = sync_due()

    assert snapshots(share) == [(6, 3, 0, 0)]
    assert share.engagement_snapshots.get().raw["reactions"] == {"LIKE": 4, "PRAISE": 2}
    assert snapshots(gone) == [] and report.skipped == 1
    calls = linkedin_api.seen("social_metadata")
    assert {call.path for call in calls} >= {"/rest/socialMetadata/urn%3Ali%3Ashare%3A1"}
    assert {call.headers["linkedin-version"] for call in calls} == {"202607"}


def test_linkedin_daily_limit_postpones_to_midnight_utc(
    linkedin_api: LinkedInStandIn, member: Membership
) -> None:
    someone = linkedin_api.add_member()
    credentials, urn = linkedin_post(
        linkedin_api, someone, "openid profile w_member_social r_member_social"
    )
    connection = make_connection(member, "linkedin", **credentials)
    share = published(member, connection, urn)
    linkedin_api.throttle(route="social_metadata")
    with time_machine.travel(PUBLISHED + timedelta(hours=1), tick=False):
        sync_due()

    share.refresh_from_db()
    assert share.metrics_next_at == datetime(2026, 12, 2, tzinfo=UTC)


# --- Bluesky: only with an AppView -------------------------------------------------------------

POST_URI = "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l6oveex3ii2l"


def get_posts_answer(uri: str = POST_URI) -> bytes:
    """getPosts as the lexicon (app.bsky.feed.getPosts, app.bsky.feed.defs#postView) says."""
    return json.dumps(
        {
            "posts": [
                {
                    "uri": uri,
                    "cid": "bafyreib2rxk3rybk3aobmv5cjuql3bm2twh4jo5uxgf5ssfkotcwmtfs6u",
                    "author": {
                        "did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
                        "handle": "ada.test",
                        "displayName": "Ada",
                    },
                    "record": {
                        "$type": "app.bsky.feed.post",
                        "text": "Worth a read",
                        "createdAt": "2026-12-01T09:00:00.000Z",
                    },
                    "replyCount": 2,
                    "repostCount": 3,
                    "likeCount": 11,
                    "quoteCount": 1,
                    "indexedAt": "2026-12-01T09:00:01.000Z",
                    "labels": [],
                }
            ]
        }
    ).encode()


def test_bluesky_without_an_appview_asks_nothing(member: Membership) -> None:
    with local_server() as pds:
        connection = make_connection(
            member, "bluesky", pds=pds.url(""), identifier="ada.test", app_password="app-pw"
        )
        share = published(member, connection, POST_URI)
        with pytest.raises(MetricsUnavailable):
            bluesky.fetch_metrics(dict(connection.credentials), [POST_URI])
        with time_machine.travel(PUBLISHED + timedelta(hours=1), tick=False):
            report = sync_due()

        assert pds.requests == []
    assert report.snapshots == 0 and snapshots(share) == []
    share.refresh_from_db()
    assert share.metrics_next_at is None  # read from its due step once an AppView is set


def test_bluesky_reads_getposts_from_the_appview(settings: Settings, member: Membership) -> None:
    with local_server() as appview, local_server() as pds:
        appview.respond(
            "/xrpc/app.bsky.feed.getPosts", get_posts_answer(), content_type="application/json"
        )
        settings.CHORUS_BLUESKY_APPVIEW_URL = appview.url("")
        connection = make_connection(
            member, "bluesky", pds=pds.url(""), identifier="ada.test", app_password="app-pw"
        )
        share = published(member, connection, POST_URI)
        other = "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l6oveex3ii2m"
        gone = published(member, connection, other)
        with time_machine.travel(PUBLISHED + timedelta(hours=1), tick=False):
            report = sync_due()

        assert pds.requests == []  # no session opened: posts are public
        [(path, headers)] = appview.requests
    assert parse_qs(urlsplit(path).query)["uris"] == [POST_URI, other]
    assert "authorization" not in headers
    assert snapshots(share) == [(11, 2, 3, 1)]
    assert snapshots(gone) == [] and report.skipped == 1


def test_bluesky_appview_limits_are_retryable(settings: Settings) -> None:
    with local_server() as appview:
        appview.respond(
            "/xrpc/app.bsky.feed.getPosts",
            b'{"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}',
            content_type="application/json",
            status=429,
            headers={"retry-after": "120"},
        )
        settings.CHORUS_BLUESKY_APPVIEW_URL = appview.url("")
        uris = [f"{POST_URI}{number}" for number in range(30)]
        with pytest.raises(RetryableError) as raised:
            bluesky.fetch_metrics({}, uris)
    assert raised.value.retry_after == 120


def test_bluesky_asks_25_posts_at_a_time(settings: Settings) -> None:
    with local_server() as appview:
        appview.respond(
            "/xrpc/app.bsky.feed.getPosts", get_posts_answer(), content_type="application/json"
        )
        settings.CHORUS_BLUESKY_APPVIEW_URL = appview.url("")
        found = bluesky.fetch_metrics({}, [POST_URI, *(f"{POST_URI}{n}" for n in range(30))])
        sizes = [len(parse_qs(urlsplit(path).query)["uris"]) for path, _ in appview.requests]
    assert sizes == [25, 6]
    assert found[POST_URI].reactions == 11


# --- What is read, and by whom -------------------------------------------------------------------


def test_only_published_api_shares_are_read(
    x_standin: XStandIn, ada: XUser, member: Membership
) -> None:
    credentials = x_credentials(x_standin, ada)
    connection = make_connection(member, "x", **credentials)
    post_id = x_post(x_standin, credentials)
    published(member, connection, post_id, method=Share.Method.INTENT)
    published(member, connection, post_id, status=Share.Status.FAILED)
    published(member, connection, "")

    with time_machine.travel(PUBLISHED + timedelta(hours=1), tick=False):
        report = sync_due()

    assert x_standin.seen("lookup") == []
    assert report.snapshots == 0


def test_two_runs_never_read_the_same_share(
    x_standin: XStandIn, ada: XUser, member: Membership
) -> None:
    credentials = x_credentials(x_standin, ada)
    connection = make_connection(member, "x", **credentials)
    share = published(member, connection, x_post(x_standin, credentials))
    with time_machine.travel(PUBLISHED + timedelta(hours=1), tick=False):
        first = metrics._claim([share.pk], PUBLISHED + timedelta(hours=1))
        second = metrics._claim([share.pk], PUBLISHED + timedelta(hours=1))
    assert (first, second) == ([share.pk], [])


def test_the_worker_syncs_every_15_minutes() -> None:
    task = sync_engagement.s()
    assert task.validate_datetime(datetime(2026, 12, 1, 9, 45))
    assert not task.validate_datetime(datetime(2026, 12, 1, 9, 50))


def test_the_command_runs_one_pass_or_says_what_is_due(
    x_standin: XStandIn, ada: XUser, member: Membership
) -> None:
    credentials = x_credentials(x_standin, ada)
    connection = make_connection(member, "x", **credentials)
    share = published(member, connection, x_post(x_standin, credentials))
    out = StringIO()
    with time_machine.travel(PUBLISHED + timedelta(hours=1), tick=False):
        call_command("sync-engagement", "--dry-run", stdout=out)
        assert out.getvalue().strip() == "1 post(s) due (x: 1)."
        assert snapshots(share) == []
        call_command("sync-engagement", "--once", stdout=out)
    assert "1 snapshot(s) stored" in out.getvalue()
    assert len(snapshots(share)) == 1


# --- latest_engagement, for the dashboard and points ------------------------------------------


def test_latest_engagement_gives_each_shares_latest_counts_in_one_query(
    member: Membership, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    connection = make_connection(member, "mastodon")
    first = published(member, connection, "1")
    second = published(member, connection, "2")
    never = published(member, connection, "3")
    outsider = published(make_member(make_org()), connection, "4")
    for share, hours, counts in [
        (first, 1, (1, 0, 0, 0, None)),
        (first, 6, (5, 2, 1, 0, None)),
        (second, 1, (3, 1, 0, 1, 90)),
        (outsider, 1, (100, 0, 0, 0, None)),
    ]:
        reactions, comments, reposts, quotes, impressions = counts
        EngagementSnapshot.objects.create(
            org=share.org,
            share=share,
            taken_at=PUBLISHED + timedelta(hours=hours),
            reactions=reactions,
            comments=comments,
            reposts=reposts,
            quotes=quotes,
            impressions=impressions,
        )
    shares = Share.objects.filter(org=member.org)

    with django_assert_num_queries(1):
        latest = latest_engagement(shares)

    assert latest == {
        first.pk: Engagement(5, 2, 1, 0, None, PUBLISHED + timedelta(hours=6)),
        second.pk: Engagement(3, 1, 0, 1, 90, PUBLISHED + timedelta(hours=1)),
    }
    assert never.pk not in latest and latest[first.pk].total == 8
    total = total_engagement(shares)
    assert (total.reactions, total.comments, total.total, total.impressions) == (8, 3, 13, 90)
    assert total.taken_at == PUBLISHED + timedelta(hours=6)
    assert latest_engagement([second.pk]) == {second.pk: latest[second.pk]}
    assert total_engagement(Share.objects.none()) == Engagement()


def test_a_deleted_share_takes_its_snapshots_along(member: Membership) -> None:
    connection = make_connection(member, "mastodon")
    share = published(member, connection, "1")
    EngagementSnapshot.objects.create(org=member.org, share=share, reactions=1)
    share.delete()
    assert not EngagementSnapshot.objects.exists()
