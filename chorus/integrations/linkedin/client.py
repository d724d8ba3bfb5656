"""LinkedIn: connect a member (OAuth 2.0 code flow) and publish posts as them.

Follows LinkedIn's documentation (Sign In with LinkedIn using OpenID Connect, Share on
LinkedIn, the Posts API, versioning, little text format, rate limits):

- connect: `{oauth}/authorization` then `POST {oauth}/accessToken`; scopes
  `openid profile w_member_social`. Tokens last 60 days and ordinary apps get no refresh
  token, so an expired token means the person reconnects.
- who: `GET /v2/userinfo` → `sub`, the member id behind `urn:li:person:{sub}`.
- publish: `POST /rest/posts` with `LinkedIn-Version` (monthly versions, retired ones answer
  426) and `X-Restli-Protocol-Version: 2.0.0`; 201 with the post's URN in `x-restli-id`.

Credentials: `{"access_token", "expires_at" (ISO 8601), "member_id", "name"}`.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import regex
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from chorus.integrations import oauth
from chorus.integrations.base import (
    Account,
    Credentials,
    Metrics,
    MetricsUnavailable,
    PermanentError,
    Post,
    PostImage,
    Published,
    PublishError,
    ReconnectError,
    RetryableError,
    metric_count,
    retry_after,
)
from chorus.lib.safe_fetch import Response
from chorus.lib.text_metrics import check_caption, normalize_caption

logger = logging.getLogger(__name__)

SCOPES = "openid profile w_member_social"
# The restricted scope that reads a member's post counts (granted after LinkedIn's review).
METRICS_SCOPE = "r_member_social"
RESTLI_PROTOCOL_VERSION = "2.0.0"
POST_URL = "https://www.linkedin.com/feed/update/{urn}/"

# Characters that are markup in "little text", the format of a post's commentary. Left
# unescaped, LinkedIn may silently cut the post at the first one.
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
# The hashtag rule of chorus.lib.text_metrics: a letter somewhere, not glued to a word,
# a URL path ("/#top") or an entity ("&#39;").
_HASHTAG = regex.compile(r"(?<![\w&/#])#(\w*\p{L}\w*)")


def escape_little_text(text: str) -> str:
    """Return plain text as LinkedIn commentary: every reserved character backslash-escaped,
    hashtags as `{hashtag|\\#|tag}` templates so they stay hashtags."""
    pieces: list[str] = []
    position = 0
    for match in _HASHTAG.finditer(text):
        pieces.append(_RESERVED.sub(r"\\\1", text[position : match.start()]))
        pieces.append("{hashtag|\\#|" + _RESERVED.sub(r"\\\1", match.group(1)) + "}")
        position = match.end()
    pieces.append(_RESERVED.sub(r"\\\1", text[position:]))
    return "".join(pieces)


def seconds_until_midnight_utc(now: datetime | None = None) -> float:
    """Return the seconds left until LinkedIn's daily limits reset (midnight UTC)."""
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


class LinkedInClient:
    """Publishes as a LinkedIn member through the Posts API (see the module docstring)."""

    network = "linkedin"

    def is_enabled(self) -> bool:
        """Return whether this server offers LinkedIn (a client id is configured)."""
        return bool(settings.CHORUS_LINKEDIN_CLIENT_ID)

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """Return the consent page to send the person to; LinkedIn comes back to
        `redirect_uri` with `code` and our `state`."""
        if not self.is_enabled():
            raise ImproperlyConfigured("CHORUS_LINKEDIN_CLIENT_ID is not set.")
        return oauth.authorization_url(
            f"{settings.CHORUS_LINKEDIN_OAUTH_URL}/authorization",
            {
                "response_type": "code",
                "client_id": settings.CHORUS_LINKEDIN_CLIENT_ID,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": SCOPES,
            },
        )

    def exchange_code(self, code: str, redirect_uri: str) -> Credentials:
        """Trade the callback's code for a token and learn whose it is."""
        answer = oauth.post_form(
            f"{settings.CHORUS_LINKEDIN_OAUTH_URL}/accessToken",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": settings.CHORUS_LINKEDIN_CLIENT_ID,
                "client_secret": settings.CHORUS_LINKEDIN_CLIENT_SECRET,
            },
        )
        credentials: Credentials = {
            "access_token": str(answer["access_token"]),
            "expires_at": oauth.expires_at(answer.get("expires_in")),
            # What the member granted: post metrics need r_member_social (after review).
            "scope": str(answer.get("scope", "")),
        }
        account = self.verify(credentials)
        credentials["member_id"] = account.remote_id
        credentials["name"] = account.display_name
        return credentials

    def verify(self, credentials: Credentials) -> Account:
        """Return the member the token posts as (`GET /v2/userinfo`)."""
        response = oauth.send(
            "GET",
            f"{settings.CHORUS_LINKEDIN_API_URL}/v2/userinfo",
            headers={"Authorization": f"Bearer {credentials['access_token']}"},
        )
        info = response.json()
        if response.status != 200:
            raise _error(response)
        if not isinstance(info, dict) or not info.get("sub"):
            raise RetryableError("bad_answer", "LinkedIn's userinfo has no member id.")
        name = str(info.get("name") or "")
        return Account(
            remote_id=str(info["sub"]),
            handle=name,
            display_name=name,
            extra={"picture": str(info.get("picture") or "")},
        )

    def publish(self, credentials: Credentials, post: Post) -> Published:
        """Create a public post (`POST /rest/posts`) with a link card when `post.url` is set.

        Refuses commentary over 3,000 characters and an expired token before sending.
        """
        text = normalize_caption(post.text)
        length = check_caption(text, "linkedin")
        if not length.fits:
            raise PermanentError(
                "too_long", f"{length.length} characters; LinkedIn allows {length.limit}."
            )
        if oauth.expires_within(credentials, 0):
            raise ReconnectError("expired", "The LinkedIn token has expired.")
        member_id = credentials.get("member_id")
        if not member_id:
            raise ReconnectError("incomplete", "The connection does not say which member it is.")

        body: dict[str, Any] = {
            "author": f"urn:li:person:{member_id}",
            "commentary": escape_little_text(text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        images = [self._upload(credentials, member_id, image) for image in post.images]
        if len(images) == 1:
            body["content"] = {"media": images[0]}
        elif images:
            body["content"] = {"multiImage": {"images": images}}
        elif post.url:
            # LinkedIn requires a title on an article; the link itself is the last resort.
            article = {"source": post.url, "title": post.title or post.url}
            if post.description:
                article["description"] = post.description
            body["content"] = {"article": article}

        response = oauth.send(
            "POST",
            f"{settings.CHORUS_LINKEDIN_API_URL}/rest/posts",
            headers=self._api_headers(credentials),
            json_body=body,
            creates=True,
        )
        if response.status != 201:
            raise _error(response)
        urn = response.headers.get("x-restli-id", "")
        if not urn:
            # The post exists: failing now would make the caller post it again.
            logger.warning("LinkedIn created a post without an x-restli-id header.")
            return Published(remote_id="")
        return Published(remote_id=urn, remote_url=POST_URL.format(urn=urn))

    def _upload(self, credentials: Credentials, member_id: str, image: PostImage) -> dict[str, str]:
        """Upload one image through the Images API and return what a post names it by.

        `POST /rest/images?action=initializeUpload` with the owner gives an upload URL and
        the image's URN; the bytes go to that URL with a PUT (201). The URN then goes in
        `content.media` (one image) or `content.multiImage.images` (2 to 20), with its alt
        text."""
        headers = self._api_headers(credentials)
        started = oauth.send(
            "POST",
            f"{settings.CHORUS_LINKEDIN_API_URL}/rest/images?action=initializeUpload",
            headers=headers,
            json_body={"initializeUploadRequest": {"owner": f"urn:li:person:{member_id}"}},
        )
        if started.status != 200:
            raise _error(started)
        answer = started.json()
        value = answer.get("value") if isinstance(answer, dict) else None
        upload_url = str(value.get("uploadUrl") or "") if isinstance(value, dict) else ""
        urn = str(value.get("image") or "") if isinstance(value, dict) else ""
        if not upload_url or not urn:
            raise RetryableError("bad_answer", "LinkedIn did not give an address for the image.")
        uploaded = oauth.send(
            "PUT",
            upload_url,
            headers={"Authorization": headers["Authorization"]},
            data=image.data,
            content_type=image.mime_type,
        )
        if uploaded.status not in (200, 201):
            raise _error(uploaded)
        return {"id": urn, "altText": image.alt}

    def _api_headers(self, credentials: Credentials) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {credentials['access_token']}",
            "LinkedIn-Version": settings.CHORUS_LINKEDIN_VERSION,
            "X-Restli-Protocol-Version": RESTLI_PROTOCOL_VERSION,
        }

    def find_published(self, credentials: Credentials, post: Post) -> Published | None:
        """Return None: LinkedIn cannot tell us whether a post was made.

        Listing a member's posts needs restricted scopes (`r_member_social`) that LinkedIn
        grants only after review, and there is no idempotency key. After an UnknownOutcome
        the caller therefore treats the share as "needs checking by the person" rather
        than posting again, which could publish it twice.
        """
        return None

    def fetch_metrics(self, credentials: Credentials, remote_ids: list[str]) -> dict[str, Metrics]:
        """Return each post's reaction and comment counts (`GET /rest/socialMetadata/
        {encoded urn}`, one call each); a post LinkedIn no longer has (404) is left out.

        Reading them needs `r_member_social`, which LinkedIn grants to reviewed apps only:
        without it among the connection's granted scopes (`credentials["scope"]`, as the
        token endpoint answered), raises MetricsUnavailable and calls nothing. LinkedIn
        gives no repost or impression count there.
        """
        if METRICS_SCOPE not in granted_scopes(credentials):
            raise MetricsUnavailable(
                "no_metrics_scope", f"The LinkedIn connection was not granted {METRICS_SCOPE}."
            )
        if oauth.expires_within(credentials, 0):
            raise ReconnectError("expired", "The LinkedIn token has expired.")
        found: dict[str, Metrics] = {}
        for urn in dict.fromkeys(remote_ids):
            if not urn.startswith("urn:li:"):
                continue
            response = oauth.send(
                "GET",
                f"{settings.CHORUS_LINKEDIN_API_URL}/rest/socialMetadata/{quote(urn, safe='')}",
                headers={
                    "Authorization": f"Bearer {credentials['access_token']}",
                    "LinkedIn-Version": settings.CHORUS_LINKEDIN_VERSION,
                    "X-Restli-Protocol-Version": RESTLI_PROTOCOL_VERSION,
                },
            )
            if response.status == 404:
                continue
            if response.status != 200:
                raise _error(response)
            answer = response.json()
            if isinstance(answer, dict):
                found[urn] = _metrics(answer)
        return found

    def revoke(self, credentials: Credentials) -> None:
        """Revoke the token (`POST {oauth}/revoke`); failures are logged and swallowed."""
        try:
            response = oauth.send(
                "POST",
                f"{settings.CHORUS_LINKEDIN_OAUTH_URL}/revoke",
                form={
                    "token": str(credentials.get("access_token") or ""),
                    "client_id": settings.CHORUS_LINKEDIN_CLIENT_ID,
                    "client_secret": settings.CHORUS_LINKEDIN_CLIENT_SECRET,
                },
            )
        except PublishError as error:
            logger.info("Could not revoke a LinkedIn token: %s", error.message)
            return
        if response.status != 200:
            logger.info("LinkedIn answered HTTP %s to a token revocation.", response.status)


def granted_scopes(credentials: Credentials) -> frozenset[str]:
    """Return the scopes the member granted, from the token answer's `scope` (LinkedIn
    separates them with commas; spaces are accepted too)."""
    return frozenset(re.split(r"[\s,]+", str(credentials.get("scope") or "").strip())) - {""}


def _metrics(answer: dict[str, Any]) -> Metrics:
    summaries = answer.get("reactionSummaries")
    reactions = {
        str(kind): metric_count(summary.get("count"))
        for kind, summary in (summaries.items() if isinstance(summaries, dict) else [])
        if isinstance(summary, dict)
    }
    comment_summary = answer.get("commentSummary")
    comments = (
        metric_count(comment_summary.get("count")) if isinstance(comment_summary, dict) else 0
    )
    return Metrics(
        reactions=sum(reactions.values()),
        comments=comments,
        raw={"reactions": reactions, "comments": comments},
    )


def _error(response: Response) -> PublishError:
    """Map a LinkedIn error answer to the client error that says what to do next."""
    status = response.status
    answer = response.json()
    details = answer if isinstance(answer, dict) else {}
    message = str(details.get("message") or f"LinkedIn answered HTTP {status}.")
    if status == 401:
        return ReconnectError("expired", message)
    if status == 403:
        return PermanentError("forbidden", message)
    if status == 422 and _is_duplicate(details):
        return PermanentError("duplicate", message)
    if status == 426:
        return PermanentError("version_retired", message)
    if status == 429:
        return RetryableError("rate_limited", message, retry_after=_retry_after(response))
    if status >= 500:
        return RetryableError("server_error", message)
    return PermanentError("rejected", message)


def _is_duplicate(details: dict[str, Any]) -> bool:
    error_details = details.get("errorDetails")
    inputs = error_details.get("inputErrors") if isinstance(error_details, dict) else None
    return any(
        isinstance(item, dict) and item.get("code") == "DUPLICATE_POST" for item in inputs or []
    )


def _retry_after(response: Response) -> float:
    # LinkedIn's limits are daily and its 429 carries no Retry-After; honour one if it comes.
    found = retry_after(response.headers)
    return seconds_until_midnight_utc() if found is None else found


client = LinkedInClient()
