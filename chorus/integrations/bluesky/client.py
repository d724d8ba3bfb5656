"""Bluesky: connect with an app password, publish a post with a link card, reconcile.

Every call is XRPC (JSON over HTTP) to the person's PDS, `https://bsky.social` unless they
named their own, so every call goes through `safe_fetch.request` and its SSRF guard.

createSession is rate-limited (30 per 5 minutes per account), so the session lives in the
credentials: the access JWT is used until the PDS says it expired, then the refresh JWT
gets a new pair, and only when that fails does the app password open a new session. The
caller saves the updated credentials.

A link in a post's text is only a link when a facet says so, and facets count UTF-8 bytes,
not characters: `link_facets` does that arithmetic.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings

from chorus.integrations.base import (
    BOOST,
    LIKE,
    REPLY,
    Account,
    Credentials,
    Metrics,
    MetricsUnavailable,
    PermanentError,
    Post,
    PostImage,
    Published,
    ReconnectError,
    RetryableError,
    UnknownOutcome,
    metric_count,
    retry_after,
)
from chorus.lib import safe_fetch
from chorus.lib.safe_fetch import FetchError
from chorus.lib.text_metrics import BLUESKY_MAX_BYTES, check_caption, normalize_caption

DEFAULT_PDS = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
LIKE_COLLECTION = "app.bsky.feed.like"
REPOST_COLLECTION = "app.bsky.feed.repost"
# How a post's address reads in a browser: /profile/<handle or DID>/post/<record key>.
_POST_ADDRESS = re.compile(r"^/profile/(?P<actor>[^/]+)/post/(?P<rkey>[A-Za-z0-9._:~-]+)/?$")
# A lost answer is reconciled minutes later, so the post is among the latest few.
RECENT_POSTS = 20
# The most post addresses one getPosts call takes (its lexicon's limit).
MAX_URIS_PER_LOOKUP = 25
# What a PDS answers (400) when the access JWT is stale or not one of its own.
SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
# Nothing reached the server when the transport failed this way.
NOT_SENT = frozenset({"invalid_url", "blocked_address", "dns"})

# A URL starts at the beginning of the text, after a space or an opening parenthesis
# (the rule of Bluesky's own composer) and runs to the next space.
_URL = re.compile(r"(?:^|(?<=[\s(]))https?://[^\s]+", re.IGNORECASE)
# Punctuation that ends the sentence rather than the URL.
_TRAILING_PUNCTUATION = ".,;:!?\"'"


# An epoch time.
RATE_LIMIT_RESET = "ratelimit-reset"


def link_facets(text: str) -> list[dict[str, Any]]:
    """Return a link facet for every http(s) URL in the text, with UTF-8 byte offsets."""
    facets: list[dict[str, Any]] = []
    for match in _URL.finditer(text):
        url = _trim_url(match.group())
        if not urlsplit(url).netloc:
            continue
        byte_start = len(text[: match.start()].encode("utf-8"))
        facets.append(
            {
                "index": {"byteStart": byte_start, "byteEnd": byte_start + len(url.encode())},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
            }
        )
    return facets


def _trim_url(url: str) -> str:
    """Drop what follows a URL without belonging to it: "(see https://a.b/c)." → a.b/c."""
    while url:
        unmatched_parenthesis = url[-1] == ")" and url.count("(") < url.count(")")
        if url[-1] not in _TRAILING_PUNCTUATION and not unmatched_parenthesis:
            break
        url = url[:-1]
    return url


def normalize_pds_url(value: str) -> str:
    """Return a PDS origin from what a person typed; https is assumed without a scheme."""
    text = (value or "").strip() or DEFAULT_PDS
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as error:
        raise PermanentError("invalid_pds", f"Invalid server address: {error}.") from error
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise PermanentError("invalid_pds", "A Bluesky server address starts with https://.")
    return f"{parts.scheme.lower()}://{parts.netloc}".rstrip("/")


class BlueskyClient:
    network = "bluesky"

    def verify(self, credentials: Credentials) -> Account:
        """Open a session with the app password and say whose account it is."""
        session = _create_session(credentials)
        return Account(
            remote_id=str(session["did"]),
            handle=str(session.get("handle") or credentials.get("identifier", "")),
        )

    def publish(self, credentials: Credentials, post: Post) -> Published:
        """Create an app.bsky.feed.post record: text, links, language and a link card."""
        text = normalize_caption(post.text)
        length = check_caption(text, "bluesky")
        if not length.fits:
            message = f"The text is {length.length} characters long; Bluesky allows {length.limit}."
            if length.length <= length.limit:
                message = f"The text is over Bluesky's {BLUESKY_MAX_BYTES}-byte limit."
            raise PermanentError("too_long", message)
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": text,
            "createdAt": _now(),
        }
        if post.language:
            record["langs"] = [post.language]
        facets = link_facets(text)
        if facets:
            record["facets"] = facets
        if post.images:
            # One embed a post: the images win, and the link stays a link in the text.
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [
                    {
                        "image": self._upload_blob(credentials, image),
                        "alt": image.alt,
                        "aspectRatio": {"width": image.width, "height": image.height},
                    }
                    for image in post.images
                ],
            }
        elif post.url:
            record["embed"] = {
                "$type": "app.bsky.embed.external",
                "external": {
                    "uri": post.url,
                    "title": post.title,
                    "description": post.description,
                },
            }
        did = _session_did(credentials)
        created = _authorized_call(
            credentials,
            "POST",
            "com.atproto.repo.createRecord",
            body={"repo": did, "collection": POST_COLLECTION, "record": record},
            creates=True,
        )
        uri = created.get("uri")
        if not isinstance(uri, str) or not uri.startswith("at://"):
            raise UnknownOutcome("bad_response", "The server did not return the post's address.")
        return _published(uri, did)

    def _upload_blob(self, credentials: Credentials, image: PostImage) -> dict[str, Any]:
        """Upload one image (`com.atproto.repo.uploadBlob`) and return its blob reference.

        A blob nobody references is removed by the PDS after a while, so a failed post
        leaves nothing behind."""
        answer = _authorized_call(
            credentials,
            "POST",
            "com.atproto.repo.uploadBlob",
            data=image.data,
            content_type=image.mime_type,
        )
        blob = answer.get("blob")
        if not isinstance(blob, dict) or not blob.get("ref"):
            raise RetryableError("bad_response", "The server did not return the image's blob.")
        return blob

    def engage(
        self, credentials: Credentials, post_url: str, action: str, text: str = ""
    ) -> Published:
        """Like, repost or reply to the post at `post_url` (a bsky.app address or an
        at:// URI) with a record in the person's repository: app.bsky.feed.like, .repost,
        or a post whose `reply` names the thread's root and the post as parent."""
        uri = self._post_uri(credentials, post_url)
        repo, _collection, rkey = uri.removeprefix("at://").split("/", 2)
        try:
            found = _authorized_call(
                credentials,
                "GET",
                "com.atproto.repo.getRecord",
                params={"repo": repo, "collection": POST_COLLECTION, "rkey": rkey},
            )
        except PermanentError as error:
            raise PermanentError("post_not_found", error.message) from error
        if not isinstance(found.get("cid"), str):
            raise PermanentError("post_not_found", "The post has no content identifier.")
        subject = {"uri": uri, "cid": found["cid"]}
        record: dict[str, Any]
        if action in (LIKE, BOOST):
            collection = LIKE_COLLECTION if action == LIKE else REPOST_COLLECTION
            record = {"$type": collection, "subject": subject, "createdAt": _now()}
        elif action == REPLY:
            collection = POST_COLLECTION
            text = normalize_caption(text)
            record = {"$type": POST_COLLECTION, "text": text, "createdAt": _now()}
            value = found.get("value") if isinstance(found.get("value"), dict) else {}
            thread = value.get("reply") if isinstance(value, dict) else None
            root = thread.get("root") if isinstance(thread, dict) else None
            record["reply"] = {
                "root": root if isinstance(root, dict) else subject,
                "parent": subject,
            }
            facets = link_facets(text)
            if facets:
                record["facets"] = facets
        else:
            raise PermanentError("unsupported", f"Bluesky cannot {action} a post.")
        did = _session_did(credentials)
        created = _authorized_call(
            credentials,
            "POST",
            "com.atproto.repo.createRecord",
            body={"repo": did, "collection": collection, "record": record},
            creates=True,
        )
        created_uri = created.get("uri")
        if not isinstance(created_uri, str) or not created_uri.startswith("at://"):
            raise UnknownOutcome("bad_response", "The server did not return the record's address.")
        if action == REPLY:
            return _published(created_uri, did)
        return Published(remote_id=created_uri)

    def _post_uri(self, credentials: Credentials, post_url: str) -> str:
        """Turn `https://bsky.app/profile/<handle or DID>/post/<rkey>` into the post's
        at:// URI, resolving a handle to its DID (`com.atproto.identity.resolveHandle`)."""
        address = post_url.strip()
        if address.startswith("at://"):
            return address
        match = _POST_ADDRESS.search(urlsplit(address).path)
        if match is None:
            raise PermanentError("post_not_found", "This is not the address of a Bluesky post.")
        actor, rkey = match.group("actor"), match.group("rkey")
        if not actor.startswith("did:"):
            try:
                answer = _check(
                    _send(
                        credentials,
                        "GET",
                        "com.atproto.identity.resolveHandle",
                        params={"handle": actor},
                    )
                )
            except PermanentError as error:
                raise PermanentError("post_not_found", error.message) from error
            actor = str(answer.get("did") or "")
            if not actor.startswith("did:"):
                raise PermanentError("post_not_found", "The handle names no account.")
        return f"at://{actor}/{POST_COLLECTION}/{rkey}"

    def find_published(self, credentials: Credentials, post: Post) -> Published | None:
        """Return the account's recent post with this very text, if there is one."""
        did = _session_did(credentials)
        listing = _authorized_call(
            credentials,
            "GET",
            "com.atproto.repo.listRecords",
            params={"repo": did, "collection": POST_COLLECTION, "limit": RECENT_POSTS},
        )
        text = normalize_caption(post.text)
        records = listing.get("records")
        for item in records if isinstance(records, list) else []:
            value = item.get("value") if isinstance(item, dict) else None
            uri = item.get("uri") if isinstance(item, dict) else None
            if isinstance(value, dict) and isinstance(uri, str) and value.get("text") == text:
                return _published(uri, did)
        return None

    def fetch_metrics(self, credentials: Credentials, remote_ids: list[str]) -> dict[str, Metrics]:
        """Return each post's like, repost, reply and quote counts
        (`app.bsky.feed.getPosts`, 25 addresses a call); a post the AppView does not show
        (deleted, taken down) is left out.

        Counts come from an AppView, which indexes the whole network; a PDS keeps only its
        accounts' records and does not serve getPosts. Without CHORUS_BLUESKY_APPVIEW_URL
        this raises MetricsUnavailable and calls nothing. Posts are public, so the call
        carries no token: the person's session is neither used nor renewed.
        """
        appview = settings.CHORUS_BLUESKY_APPVIEW_URL
        if not appview:
            raise MetricsUnavailable("no_appview", "No Bluesky AppView is configured.")
        uris = [uri for uri in dict.fromkeys(remote_ids) if uri.startswith("at://")]
        found: dict[str, Metrics] = {}
        for start in range(0, len(uris), MAX_URIS_PER_LOOKUP):
            batch = uris[start : start + MAX_URIS_PER_LOOKUP]
            query = urlencode({"uris": batch}, doseq=True)
            try:
                response = safe_fetch.request(
                    "GET", f"{appview}/xrpc/app.bsky.feed.getPosts?{query}"
                )
            except FetchError as error:
                if error.code in ("invalid_url", "blocked_address"):
                    raise PermanentError("configuration", error.message) from error
                raise RetryableError(error.code, error.message) from error
            try:
                answer = _check(response)
            except ReconnectError as error:
                # The AppView is the operator's choice; the person's connection is fine.
                raise PermanentError("appview_refused", error.message) from error
            posts = answer.get("posts")
            for post in posts if isinstance(posts, list) else []:
                if isinstance(post, dict) and isinstance(post.get("uri"), str):
                    found[post["uri"]] = _metrics(post)
        return found

    def revoke(self, credentials: Credentials) -> None:
        """End the session on the PDS; the app password stays valid until the person
        revokes it in their Bluesky settings."""
        refresh_jwt = credentials.pop("refresh_jwt", None)
        credentials.pop("access_jwt", None)
        if not refresh_jwt:
            return
        # Signing out is a courtesy: the connection is removed whatever the PDS says.
        with contextlib.suppress(FetchError, PermanentError, RetryableError):
            _xrpc(credentials, "POST", "com.atproto.server.deleteSession", token=refresh_jwt)


client = BlueskyClient()


# --- Sessions --------------------------------------------------------------------------


def _session_did(credentials: Credentials) -> str:
    """Return the account's DID, opening a session first when none is cached."""
    if not credentials.get("access_jwt") or not credentials.get("did"):
        _renew_session(credentials)
    return str(credentials["did"])


def _create_session(credentials: Credentials) -> dict[str, Any]:
    """Log in with the identifier and app password and keep the new session."""
    identifier = str(credentials.get("identifier") or "").strip().removeprefix("@")
    password = str(credentials.get("app_password") or "")
    if not identifier or not password:
        raise ReconnectError("reconnect", "A handle and an app password are needed.")
    response = _send(
        credentials,
        "POST",
        "com.atproto.server.createSession",
        body={"identifier": identifier, "password": password},
    )
    if response.status in (400, 401) and _error_name(response) != "RateLimitExceeded":
        # A wrong or revoked app password is 401; a deactivated or taken-down account 400.
        raise ReconnectError("reconnect", _error_message(response, "Bluesky refused the login."))
    session = _check(response)
    _keep_session(credentials, session)
    return session


def _refresh_session(credentials: Credentials) -> bool:
    """Trade the refresh JWT for a new session; False when the PDS no longer takes it."""
    refresh_jwt = credentials.get("refresh_jwt")
    if not refresh_jwt:
        return False
    response = _send(credentials, "POST", "com.atproto.server.refreshSession", token=refresh_jwt)
    if response.status in (400, 401):
        return False
    _keep_session(credentials, _check(response))
    return True


def _renew_session(credentials: Credentials) -> None:
    if not _refresh_session(credentials):
        _create_session(credentials)


def _keep_session(credentials: Credentials, session: dict[str, Any]) -> None:
    if not session.get("accessJwt") or not session.get("did"):
        raise RetryableError("bad_response", "The server did not return a session.")
    credentials["access_jwt"] = session["accessJwt"]
    credentials["refresh_jwt"] = session.get("refreshJwt", credentials.get("refresh_jwt"))
    credentials["did"] = session["did"]
    if session.get("handle"):
        credentials["handle"] = session["handle"]


# --- XRPC --------------------------------------------------------------------------------


def _authorized_call(
    credentials: Credentials,
    method: str,
    nsid: str,
    *,
    params: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
    data: bytes | None = None,
    content_type: str = "",
    creates: bool = False,
) -> dict[str, Any]:
    """Call the PDS with the cached session, renewing it once if the PDS turns it down."""
    if not credentials.get("access_jwt"):
        _renew_session(credentials)

    def send() -> safe_fetch.Response:
        token = credentials["access_jwt"]
        return _send(
            credentials,
            method,
            nsid,
            params=params,
            body=body,
            data=data,
            content_type=content_type,
            token=token,
            creates=creates,
        )

    response = send()
    if _session_rejected(response):
        _renew_session(credentials)
        response = send()
    if _session_rejected(response):
        raise ReconnectError("reconnect", _error_message(response, "Bluesky refused the session."))
    return _check(response, creates=creates)


def _session_rejected(response: safe_fetch.Response) -> bool:
    return response.status == 400 and _error_name(response) in SESSION_ERRORS


def _xrpc(
    credentials: Credentials, method: str, nsid: str, *, token: str | None = None
) -> dict[str, Any]:
    return _check(_send(credentials, method, nsid, token=token))


def _send(
    credentials: Credentials,
    method: str,
    nsid: str,
    *,
    params: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
    data: bytes | None = None,
    content_type: str = "",
    token: str | None = None,
    creates: bool = False,
) -> safe_fetch.Response:
    """Send one XRPC request (a JSON `body`, or raw `data` such as an image); transport
    failures become client errors."""
    url = f"{normalize_pds_url(credentials.get('pds', ''))}/xrpc/{nsid}"
    if params:
        url += "?" + urlencode(params)
    headers: dict[str, str] = {}
    payload = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        payload = json.dumps(body, ensure_ascii=False).encode()
    elif data is not None:
        headers["Content-Type"] = content_type
        payload = data
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        return safe_fetch.request(method, url, body=payload, headers=headers)
    except FetchError as error:
        raise _transport_error(error, creates=creates and method == "POST") from error


def _transport_error(error: FetchError, *, creates: bool) -> RetryableError | PermanentError:
    if error.code == "blocked_address":
        return PermanentError("blocked_address", error.message)
    if error.code == "invalid_url":
        return PermanentError("invalid_pds", error.message)
    if creates and error.code not in NOT_SENT:
        # The post may have been written before the answer was lost.
        return UnknownOutcome(error.code, error.message)
    return RetryableError(error.code, error.message)


def _check(response: safe_fetch.Response, *, creates: bool = False) -> dict[str, Any]:
    """Return a successful response's JSON object, or raise what its status means."""
    status = response.status
    if 200 <= status < 300:
        data = response.json()
        if not isinstance(data, dict):
            if creates:
                raise UnknownOutcome("bad_response", "The server's answer was not JSON.")
            raise RetryableError("bad_response", "The server's answer was not JSON.")
        return data
    message = _error_message(response, f"Bluesky answered HTTP {status}.")
    if status == 429 or _error_name(response) == "RateLimitExceeded":
        raise RetryableError(
            "rate_limited",
            message,
            retry_after=retry_after(response.headers, reset=RATE_LIMIT_RESET),
        )
    if status >= 500:
        raise RetryableError(
            "server_error",
            message,
            retry_after=retry_after(response.headers, reset=RATE_LIMIT_RESET),
        )
    if status == 401:
        raise ReconnectError("reconnect", message)
    if status == 403:
        raise PermanentError("forbidden", message)
    if status in (408, 425):
        raise RetryableError("timeout", message)
    if status == 400 and _error_name(response) == "InvalidRequest":
        raise PermanentError("invalid_request", message)
    raise PermanentError(_code_for(_error_name(response)) or f"http_{status}", message)


def _error_name(response: safe_fetch.Response) -> str:
    data = response.json()
    return str(data.get("error") or "") if isinstance(data, dict) else ""


def _error_message(response: safe_fetch.Response, default: str) -> str:
    data = response.json()
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return _error_name(response) or default


def _code_for(error_name: str) -> str:
    """Turn an XRPC error name ("RecordNotFound") into one of our codes ("record_not_found")."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", error_name).lower()


def _metrics(post: dict[str, Any]) -> Metrics:
    counts = {
        key: metric_count(post.get(key))
        for key in ("likeCount", "replyCount", "repostCount", "quoteCount")
        if key in post
    }
    return Metrics(
        reactions=counts.get("likeCount", 0),
        comments=counts.get("replyCount", 0),
        reposts=counts.get("repostCount", 0),
        quotes=counts.get("quoteCount", 0),
        raw=counts,
    )


def _published(uri: str, did: str) -> Published:
    rkey = uri.rstrip("/").rsplit("/", 1)[-1]
    return Published(remote_id=uri, remote_url=f"https://bsky.app/profile/{did}/post/{rkey}")


def _now() -> str:
    """Return the current time as the lexicon's datetime: UTC, milliseconds, "Z"."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
