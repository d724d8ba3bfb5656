"""X: connect an account (OAuth 2.0 with PKCE) and publish posts as it.

Follows X's API v2 documentation (OAuth 2.0 authorization code with PKCE, manage posts,
rate limits, response codes and errors, counting characters):

- connect: `{authorize}` with an S256 code challenge, then `POST /2/oauth2/token` (HTTP
  Basic for a confidential client, `client_id` in the form for a public one); scopes
  `tweet.read tweet.write users.read offline.access`. Access tokens last 2 hours;
  `offline.access` adds a refresh token, which X replaces on every refresh.
- who: `GET /2/users/me`.
- publish: `POST /2/tweets {"text"}` → 201 `{"data": {"id", "text"}}`. Errors are problem
  JSON (`title`, `detail`, `type`, `status`); 429s carry `x-rate-limit-reset` (epoch).

Credentials: `{"access_token", "refresh_token", "expires_at" (ISO 8601), "user_id",
"username"}`. Calls that refresh the token update this dict in place: the caller must save
it (the old refresh token no longer works) and must not refresh one connection from two
workers at once, or the slower one is left with a spent refresh token.
"""

from __future__ import annotations

import html
import logging
import warnings
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from urllib3 import encode_multipart_formdata

from chorus.integrations import oauth
from chorus.integrations.base import (
    Account,
    Credentials,
    Metrics,
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

with warnings.catch_warnings():
    # twitter-text-parser still imports pkg_resources; its deprecation notice is not ours.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    import twitter_text

logger = logging.getLogger(__name__)

# media.write uploads images (POST /2/media/upload).
SCOPES = "tweet.read tweet.write users.read offline.access media.write"
POST_URL = "https://x.com/i/web/status/{id}"
# Refresh a token this close to its expiry rather than let a post fail on it.
REFRESH_MARGIN_SECONDS = 60
# How many of the account's latest posts `find_published` looks through.
RECENT_POSTS = 10
# The most post ids one lookup takes.
MAX_IDS_PER_LOOKUP = 100

# An epoch time, on 429s.
RATE_LIMIT_RESET = "x-rate-limit-reset"
T = TypeVar("T")


class XClient:
    """Publishes as an X account through API v2 (see the module docstring)."""

    network = "x"

    def is_enabled(self) -> bool:
        """Return whether this server offers X (a client id is configured)."""
        return bool(settings.CHORUS_X_CLIENT_ID)

    def authorize_url(self, redirect_uri: str, state: str, code_challenge: str) -> str:
        """Return the consent page to send the person to. Keep the code verifier behind
        `code_challenge` (see `oauth.new_code_verifier`) for `exchange_code`."""
        if not self.is_enabled():
            raise ImproperlyConfigured("CHORUS_X_CLIENT_ID is not set.")
        return oauth.authorization_url(
            settings.CHORUS_X_AUTHORIZE_URL,
            {
                "response_type": "code",
                "client_id": settings.CHORUS_X_CLIENT_ID,
                "redirect_uri": redirect_uri,
                "scope": SCOPES,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            },
        )

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> Credentials:
        """Trade the callback's code (and the PKCE verifier) for tokens; learn whose they are."""
        answer = self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )
        credentials = _tokens(answer)
        account = self._me(credentials)
        credentials["user_id"] = account.remote_id
        credentials["username"] = account.handle
        return credentials

    def refresh(self, credentials: Credentials) -> Credentials:
        """Replace the tokens with fresh ones (in place, and returned).

        X rotates refresh tokens: the new one is stored and the old one is spent. Raises
        ReconnectError when there is no refresh token or X refuses it.
        """
        refresh_token = credentials.get("refresh_token")
        if not refresh_token:
            raise ReconnectError("expired", "The X token expired and cannot be refreshed.")
        answer = self._token_request(
            {"grant_type": "refresh_token", "refresh_token": str(refresh_token)}
        )
        fresh = _tokens(answer)
        if not fresh.get("refresh_token"):
            # Without offline.access X keeps no refresh token; never forget the old one.
            fresh.pop("refresh_token", None)
        credentials.update(fresh)
        return credentials

    def verify(self, credentials: Credentials) -> Account:
        """Return the account the token posts as (`GET /2/users/me`)."""
        return self._authorized(credentials, lambda: self._me(credentials))

    def publish(self, credentials: Credentials, post: Post) -> Published:
        """Post `post.text` (`POST /2/tweets`).

        Refuses a text over 280 weighted characters (every URL counts 23) before sending.
        Refreshes the token first when it is expired or about to be, and once more on a 401.
        """
        text = normalize_caption(post.text)
        length = check_caption(text, "x")
        if not length.fits:
            raise PermanentError(
                "too_long", f"{length.length} weighted characters; X allows {length.limit}."
            )

        def create() -> Published:
            body: dict[str, Any] = {"text": text}
            if post.images:
                body["media"] = {
                    "media_ids": [_upload(credentials, image) for image in post.images]
                }
            response = oauth.send(
                "POST",
                f"{settings.CHORUS_X_API_URL}/2/tweets",
                headers=_bearer(credentials),
                json_body=body,
                creates=True,
            )
            answer = response.json()
            if response.status != 201:
                raise _error(response)
            data = answer.get("data") if isinstance(answer, dict) else None
            post_id = str(data.get("id") or "") if isinstance(data, dict) else ""
            if not post_id:
                # The post exists: failing now would make the caller post it again.
                logger.warning("X created a post without saying its id.")
                return Published(remote_id="")
            return Published(remote_id=post_id, remote_url=POST_URL.format(id=post_id))

        return self._authorized(credentials, create)

    def find_published(self, credentials: Credentials, post: Post) -> Published | None:
        """Look for the post among the account's latest ones (`GET /2/users/:id/tweets`).

        X shows links as t.co addresses; the `entities` field gives each one's expanded URL,
        so the text is compared with the links put back and their schemes set aside.
        """
        user_id = str(credentials.get("user_id") or "")
        if not user_id:
            raise ReconnectError("incomplete", "The connection does not say which account it is.")
        wanted = _comparable(normalize_caption(post.text))

        def recent() -> Published | None:
            response = oauth.send(
                "GET",
                f"{settings.CHORUS_X_API_URL}/2/users/{quote(user_id, safe='')}/tweets"
                f"?max_results={RECENT_POSTS}&tweet.fields=entities,created_at",
                headers=_bearer(credentials),
            )
            answer = response.json()
            if response.status != 200:
                raise _error(response)
            items = answer.get("data") if isinstance(answer, dict) else None
            for item in items or []:
                if isinstance(item, dict) and wanted in _remote_texts(item):
                    post_id = str(item.get("id") or "")
                    return Published(remote_id=post_id, remote_url=POST_URL.format(id=post_id))
            return None

        return self._authorized(credentials, recent)

    def revoke(self, credentials: Credentials) -> None:
        """Revoke the refresh and access tokens (`POST /2/oauth2/revoke`); failures are
        logged and swallowed."""
        for hint in ("refresh_token", "access_token"):
            token = credentials.get(hint)
            if not token:
                continue
            form = {"token": str(token), "token_type_hint": hint}
            try:
                response = oauth.send(
                    "POST",
                    f"{settings.CHORUS_X_API_URL}/2/oauth2/revoke",
                    headers=_client_headers(form),
                    form=form,
                )
            except PublishError as error:
                logger.info("Could not revoke an X token: %s", error.message)
                continue
            if response.status != 200:
                logger.info("X answered HTTP %s to a token revocation.", response.status)

    def fetch_metrics(self, credentials: Credentials, remote_ids: list[str]) -> dict[str, Metrics]:
        """Return each post's public metrics (`GET /2/tweets?ids=…&tweet.fields=
        public_metrics`, up to 100 ids a call). Posts X no longer shows (deleted, or the
        account went private) come back under `errors` and are left out."""
        ids = [remote_id for remote_id in dict.fromkeys(remote_ids) if remote_id.isdigit()]
        found: dict[str, Metrics] = {}
        for start in range(0, len(ids), MAX_IDS_PER_LOOKUP):
            batch = ids[start : start + MAX_IDS_PER_LOOKUP]

            def lookup(batch: list[str] = batch) -> dict[str, Metrics]:
                response = oauth.send(
                    "GET",
                    f"{settings.CHORUS_X_API_URL}/2/tweets?ids={','.join(batch)}"
                    "&tweet.fields=public_metrics",
                    headers=_bearer(credentials),
                )
                answer = response.json()
                if response.status != 200:
                    raise _error(response)
                items = answer.get("data") if isinstance(answer, dict) else None
                return {
                    str(item["id"]): _metrics(item["public_metrics"])
                    for item in items or []
                    if isinstance(item, dict)
                    and item.get("id")
                    and isinstance(item.get("public_metrics"), dict)
                }

            found.update(self._authorized(credentials, lookup))
        return found

    def _authorized(self, credentials: Credentials, call: Callable[[], T]) -> T:
        """Run an API call with a live token: refresh first when it is (nearly) expired,
        and once more when X answers 401 anyway."""
        refreshed = False
        if oauth.expires_within(credentials, REFRESH_MARGIN_SECONDS):
            self.refresh(credentials)
            refreshed = True
        try:
            return call()
        except ReconnectError as error:
            if refreshed or error.code != "expired":
                raise
        self.refresh(credentials)
        return call()

    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        return oauth.post_form(
            f"{settings.CHORUS_X_API_URL}/2/oauth2/token", form, headers=_client_headers(form)
        )

    def _me(self, credentials: Credentials) -> Account:
        response = oauth.send(
            "GET", f"{settings.CHORUS_X_API_URL}/2/users/me", headers=_bearer(credentials)
        )
        answer = response.json()
        if response.status != 200:
            raise _error(response)
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict) or not data.get("id"):
            raise RetryableError("bad_answer", "X's users/me has no account id.")
        return Account(
            remote_id=str(data["id"]),
            handle=str(data.get("username") or ""),
            display_name=str(data.get("name") or ""),
        )


def _upload(credentials: Credentials, image: PostImage) -> str:
    """Upload one image (`POST /2/media/upload`, multipart, `media_category=tweet_image`),
    give it its alt text (`POST /2/media/metadata`) and return its media id."""
    body, content_type = encode_multipart_formdata(
        [
            ("media", ("image", image.data, image.mime_type)),
            ("media_category", "tweet_image"),
        ]
    )
    response = oauth.send(
        "POST",
        f"{settings.CHORUS_X_API_URL}/2/media/upload",
        headers=_bearer(credentials),
        data=body,
        content_type=content_type,
    )
    answer = response.json()
    if response.status not in (200, 201):
        raise _error(response)
    data = answer.get("data") if isinstance(answer, dict) else None
    media_id = str(data.get("id") or "") if isinstance(data, dict) else ""
    if not media_id:
        raise RetryableError("bad_answer", "X did not say the uploaded image's id.")
    if image.alt:
        described = oauth.send(
            "POST",
            f"{settings.CHORUS_X_API_URL}/2/media/metadata",
            headers=_bearer(credentials),
            json_body={"id": media_id, "metadata": {"alt_text": {"text": image.alt}}},
        )
        if described.status not in (200, 201):
            raise _error(described)
    return media_id


def _bearer(credentials: Credentials) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials.get('access_token') or ''}"}


def _client_headers(form: dict[str, str]) -> dict[str, str]:
    """Authenticate the client at the token endpoints: HTTP Basic when it has a secret
    (confidential client), else its id in the form (public client). Updates `form`."""
    if settings.CHORUS_X_CLIENT_SECRET:
        return {
            "Authorization": oauth.basic_authorization(
                settings.CHORUS_X_CLIENT_ID, settings.CHORUS_X_CLIENT_SECRET
            )
        }
    form["client_id"] = settings.CHORUS_X_CLIENT_ID
    return {}


def _tokens(answer: dict[str, Any]) -> Credentials:
    return {
        "access_token": str(answer["access_token"]),
        "refresh_token": str(answer.get("refresh_token") or ""),
        "expires_at": oauth.expires_at(answer.get("expires_in")),
    }


def _error(response: Response) -> PublishError:
    """Map an X problem answer to the client error that says what to do next."""
    status = response.status
    answer = response.json()
    problem = answer if isinstance(answer, dict) else {}
    message = str(problem.get("detail") or problem.get("title") or f"X answered HTTP {status}.")
    if status == 401:
        return ReconnectError("expired", message)
    if status == 403 and "duplicate content" in message.lower():
        return PermanentError("duplicate", message)
    if status == 403:
        return PermanentError("forbidden", message)
    if status == 429:
        return RetryableError(
            "rate_limited",
            message,
            retry_after=retry_after(response.headers, reset=RATE_LIMIT_RESET),
        )
    if status >= 500:
        return RetryableError("server_error", message)
    return PermanentError("rejected", message)


def _metrics(public_metrics: dict[str, Any]) -> Metrics:
    counts = {key: metric_count(value) for key, value in public_metrics.items()}
    impressions = public_metrics.get("impression_count")
    return Metrics(
        reactions=counts.get("like_count", 0),
        comments=counts.get("reply_count", 0),
        reposts=counts.get("retweet_count", 0),
        quotes=counts.get("quote_count", 0),
        # Absent means X did not say (older answers had no view counts), not zero.
        impressions=metric_count(impressions) if impressions is not None else None,
        raw=counts,
    )


def _remote_texts(item: dict[str, Any]) -> set[str]:
    """Return the comparable forms of a post X listed: t.co links replaced by what they
    stand for, with and without X's HTML escaping (&amp;)."""
    text = str(item.get("text") or "")
    entities = item.get("entities")
    urls = entities.get("urls") if isinstance(entities, dict) else None
    for entity in urls or []:
        if isinstance(entity, dict) and entity.get("url") and entity.get("expanded_url"):
            text = text.replace(str(entity["url"]), str(entity["expanded_url"]))
    text = normalize_caption(text)
    return {_comparable(text), _comparable(html.unescape(text))}


def _comparable(text: str) -> str:
    """Return the text with each URL reduced to what identifies it: X adds "http://" to a
    bare domain and may add a trailing slash."""
    pieces: list[str] = []
    position = 0
    for entity in twitter_text.extract_urls_with_indices(text):
        start, end = entity["indices"]
        url = str(entity["url"])
        bare = url.split("://", 1)[-1].rstrip("/")
        pieces += [text[position:start], bare]
        position = end
    pieces.append(text[position:])
    return "".join(pieces).strip()


client = XClient()
