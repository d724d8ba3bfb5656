"""Mastodon: connect an account with OAuth, publish a status, reconcile a lost answer.

Every instance is a server the person named, so every call goes through
`safe_fetch.request` and its SSRF guard. Mastodon keeps an `Idempotency-Key` for about an
hour and answers a repeated key with the status it already made, so a publish whose
answer was lost can simply be sent again with the same `Post`.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from bs4 import BeautifulSoup, Tag
from urllib3 import encode_multipart_formdata
from urllib3.exceptions import ConnectTimeoutError, SSLError

from chorus.integrations.base import (
    BOOST,
    LIKE,
    REPLY,
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
    UnknownOutcome,
    metric_count,
    retry_after,
)
from chorus.lib import safe_fetch
from chorus.lib.safe_fetch import FetchError

CLIENT_NAME = "Chorus"
# write:media uploads images; write:favourites and read:search serve engagement tasks
# (a favourite, a post found by its address). Connections made before ask again.
SCOPES = "write:statuses write:media write:favourites read:accounts read:search"
DEFAULT_MAX_CHARACTERS = 500
DEFAULT_CHARACTERS_PER_URL = 23
# A lost answer is reconciled minutes later, so the post is among the latest few.
RECENT_STATUSES = 40
# Mastodon sends an ISO 8601 time (some proxies an epoch) in this header.
RATE_LIMIT_RESET = "x-ratelimit-reset"
DEFAULT_PORTS = {"http": 80, "https": 443}
REFUSED_ADDRESS = ("invalid_url", "blocked_address")
# Mastodon says "Text character limit of 500 exceeded"; other servers "Text is too long".
TOO_LONG = re.compile(r"too long|character limit", re.IGNORECASE)


def normalize_instance_url(value: str) -> str:
    """Return an instance's origin (`https://host[:port]`) from what a person typed.

    Accepts a bare host, a profile URL or a handle (`@alice@example.social`); https is
    assumed when no scheme is given. Raises PermanentError("invalid_instance").
    """
    text = value.strip()
    if "://" not in text:
        if "@" in text and "/" not in text:
            text = text.rsplit("@", 1)[1]
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise PermanentError("invalid_instance", f"Invalid server address: {error}.") from error
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise PermanentError("invalid_instance", "A Mastodon server address starts with https://.")
    host = parts.hostname
    if not host or "@" in parts.netloc:
        raise PermanentError("invalid_instance", "The server address has no valid host.")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise PermanentError("invalid_instance", f"Invalid host name {host}.") from error
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}"


class MastodonClient:
    network = "mastodon"

    # --- Connecting ---------------------------------------------------------------

    def register_app(
        self, instance_url: str, redirect_uri: str, website: str = ""
    ) -> dict[str, str]:
        """Register Chorus as an OAuth application on an instance (once per instance)."""
        instance = normalize_instance_url(instance_url)
        fields = {"client_name": CLIENT_NAME, "redirect_uris": redirect_uri, "scopes": SCOPES}
        if website:
            fields["website"] = website
        app = _json_object(_call("POST", instance, "/api/v1/apps", fields=fields))
        if not app.get("client_id") or not app.get("client_secret"):
            raise PermanentError("bad_response", "The server did not return an application.")
        return {"client_id": str(app["client_id"]), "client_secret": str(app["client_secret"])}

    def authorize_url(
        self, instance_url: str, client_id: str, redirect_uri: str, state: str
    ) -> str:
        """Return the instance's page where the person lets Chorus post for them."""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": SCOPES,
                "state": state,
            }
        )
        return f"{normalize_instance_url(instance_url)}/oauth/authorize?{query}"

    def exchange_code(
        self,
        instance_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        code: str,
    ) -> Credentials:
        """Trade the code the instance sent back for an access token."""
        instance = normalize_instance_url(instance_url)
        fields = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
        }
        token = _json_object(_call("POST", instance, "/oauth/token", fields=fields))
        if not token.get("access_token"):
            raise PermanentError("bad_response", "The server did not return an access token.")
        return {
            "instance": instance,
            "access_token": str(token["access_token"]),
            "client_id": client_id,
            "client_secret": client_secret,
        }

    def verify(self, credentials: Credentials) -> Account:
        """Return the account the token posts as; remembers its id in `credentials`."""
        instance, token = _instance_and_token(credentials)
        account = _json_object(
            _call("GET", instance, "/api/v1/accounts/verify_credentials", token=token)
        )
        if account.get("id") in (None, ""):
            raise PermanentError("bad_response", "The server did not return an account.")
        remote_id = str(account["id"])
        # find_published needs the id; the caller saves the updated credentials.
        credentials["account_id"] = remote_id
        acct = str(account.get("acct") or account.get("username") or "")
        handle = f"@{acct}" if "@" in acct else f"@{acct}@{urlsplit(instance).hostname}"
        return Account(
            remote_id=remote_id,
            handle=handle,
            display_name=str(account.get("display_name") or account.get("username") or ""),
            extra={
                key: account[key]
                for key in ("url", "avatar", "followers_count")
                if account.get(key) is not None
            },
        )

    def revoke(self, credentials: Credentials) -> None:
        """Revoke the access token; a failure changes nothing for the person, so it is
        swallowed."""
        instance = credentials.get("instance")
        token = credentials.get("access_token")
        if not instance or not token:
            return
        fields = {
            "token": token,
            "client_id": credentials.get("client_id") or "",
            "client_secret": credentials.get("client_secret") or "",
        }
        with contextlib.suppress(PublishError):
            _call("POST", instance, "/oauth/revoke", fields=fields)

    # --- Publishing ---------------------------------------------------------------

    def publish(self, credentials: Credentials, post: Post) -> Published:
        """Post a public status. Sending the same `Post` again after UnknownOutcome is
        safe: the instance answers a repeated Idempotency-Key with the first status."""
        instance, token = _instance_and_token(credentials)
        fields = [("status", post.text), ("visibility", "public")]
        if post.language:
            fields.append(("language", post.language))
        # Uploading twice after a lost answer leaves an unattached copy, which the server
        # removes after a day; the status itself is deduplicated by the key below.
        fields.extend(
            ("media_ids[]", self._upload(instance, token, image)) for image in post.images
        )
        headers = {"Idempotency-Key": post.idempotency_key} if post.idempotency_key else {}
        response = _call(
            "POST",
            instance,
            "/api/v1/statuses",
            token=token,
            fields=fields,
            headers=headers,
            may_have_posted=True,
        )
        data = response.json()
        if not isinstance(data, dict) or data.get("id") in (None, ""):
            # A 2xx means the status exists, but we cannot tell which one it is.
            raise UnknownOutcome("bad_response", "The server's answer has no status id.")
        return _published(data)

    def _upload(self, instance: str, token: str, image: PostImage) -> str:
        """Upload one image with its description (`POST /api/v2/media`) and return its id.

        The server answers 202 while it is still processing a large file; the status can
        name it all the same (Mastodon waits for it), so the id is all we need."""
        body, content_type = encode_multipart_formdata(
            [
                (
                    "file",
                    ("image." + image.mime_type.rsplit("/", 1)[-1], image.data, image.mime_type),
                ),
                ("description", image.alt),
            ]
        )
        response = _call(
            "POST",
            instance,
            "/api/v2/media",
            token=token,
            data=body,
            content_type=content_type,
        )
        media = response.json()
        if not isinstance(media, dict) or media.get("id") in (None, ""):
            raise RetryableError("bad_response", "The server did not return the image's id.")
        return str(media["id"])

    def find_published(self, credentials: Credentials, post: Post) -> Published | None:
        """Return the account's recent status carrying the post's link (or its text)."""
        instance, token = _instance_and_token(credentials)
        account_id = credentials.get("account_id") or self.verify(credentials).remote_id
        response = _call(
            "GET",
            instance,
            f"/api/v1/accounts/{quote(str(account_id), safe='')}/statuses",
            token=token,
            query={
                "limit": str(RECENT_STATUSES),
                "exclude_reblogs": "true",
                "exclude_replies": "true",
            },
        )
        statuses = response.json()
        if not isinstance(statuses, list):
            raise RetryableError("bad_response", "The server's answer is not a list of statuses.")
        for status in statuses:
            if isinstance(status, dict) and status.get("id") and _shows(status, post):
                return _published(status)
        return None

    def instance_limits(self, instance_url: str) -> tuple[int, int]:
        """Return (max_characters, characters_reserved_per_url) for an instance.

        An instance that does not say (older versions have no /api/v2/instance) gets
        Mastodon's defaults; transport failures raise like any other call.
        """
        instance = normalize_instance_url(instance_url)
        try:
            response = _call("GET", instance, "/api/v2/instance")
        except PublishError as error:
            if isinstance(error, RetryableError) or error.code in REFUSED_ADDRESS:
                raise
            return DEFAULT_MAX_CHARACTERS, DEFAULT_CHARACTERS_PER_URL
        data = response.json()
        configuration = data.get("configuration") if isinstance(data, dict) else None
        statuses = configuration.get("statuses") if isinstance(configuration, dict) else None
        if not isinstance(statuses, dict):
            statuses = {}
        max_characters = statuses.get("max_characters")
        per_url = statuses.get("characters_reserved_per_url")
        return (
            max_characters
            if isinstance(max_characters, int) and max_characters > 0
            else DEFAULT_MAX_CHARACTERS,
            per_url if isinstance(per_url, int) and per_url >= 0 else DEFAULT_CHARACTERS_PER_URL,
        )

    # --- Engagement tasks ------------------------------------------------------------

    def engage(
        self, credentials: Credentials, post_url: str, action: str, text: str = ""
    ) -> Published:
        """Favourite, boost or reply to the status at `post_url`, found from the person's
        own server (`resolve`, which fetches it over ActivityPub when it is elsewhere)."""
        instance, token = _instance_and_token(credentials)
        status_id = quote(self._resolve(instance, token, post_url), safe="")
        if action == LIKE:
            path = f"/api/v1/statuses/{status_id}/favourite"
            answer = _json_object(_call("POST", instance, path, token=token, fields={}))
        elif action == BOOST:
            path = f"/api/v1/statuses/{status_id}/reblog"
            answer = _json_object(_call("POST", instance, path, token=token, fields={}))
        elif action == REPLY:
            fields = {"status": text, "in_reply_to_id": status_id, "visibility": "public"}
            answer = _json_object(
                _call("POST", instance, "/api/v1/statuses", token=token, fields=fields)
            )
        else:
            raise PermanentError("unsupported", f"Mastodon cannot {action} a post.")
        if answer.get("id") in (None, ""):
            raise PermanentError("bad_response", "The server's answer has no status id.")
        return _published(answer)

    def _resolve(self, instance: str, token: str, post_url: str) -> str:
        """Return the id, on the person's server, of the status at `post_url`."""
        response = _call(
            "GET",
            instance,
            "/api/v2/search",
            token=token,
            query={"q": post_url, "type": "statuses", "resolve": "true", "limit": "1"},
        )
        found = _json_object(response).get("statuses")
        if isinstance(found, list) and found and isinstance(found[0], dict) and found[0].get("id"):
            return str(found[0]["id"])
        # A status of the person's own server is its address's last part
        # (https://server/@name/123): search finds only what it indexed.
        parts = urlsplit(post_url)
        last = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if last.isdigit() and _same_origin(post_url, instance):
            try:
                found_status = _call("GET", instance, f"/api/v1/statuses/{last}", token=token)
            except ReconnectError:
                raise
            except PermanentError as error:  # 404: gone or never there
                raise PermanentError("post_not_found", error.message) from error
            status = _json_object(found_status)
            if status.get("id") not in (None, ""):
                return str(status["id"])
        raise PermanentError("post_not_found", "The server found no post at that address.")

    # --- Reading counts back ------------------------------------------------------------

    def fetch_metrics(self, credentials: Credentials, remote_ids: list[str]) -> dict[str, Metrics]:
        """Return the counts of each status (`GET /api/v1/statuses/:id`, one call each:
        Mastodon has no batch lookup). A deleted status (404, 410) is left out. The counts
        are those the person's server knows: boosts and favourites from other servers
        arrive there, replies only when the server saw them."""
        instance, token = _instance_and_token(credentials)
        found: dict[str, Metrics] = {}
        for remote_id in remote_ids:
            url = f"{instance}/api/v1/statuses/{quote(remote_id, safe='')}"
            try:
                response = safe_fetch.request(
                    "GET", url, headers={"Authorization": f"Bearer {token}"}
                )
            except FetchError as error:
                raise _transport_error(error, may_have_posted=False) from error
            if response.status in (404, 410):
                continue
            if not 200 <= response.status < 300:
                raise _status_error(response)
            status = response.json()
            if isinstance(status, dict):
                found[remote_id] = _metrics(status)
        return found


client = MastodonClient()


# --- HTTP ---------------------------------------------------------------------------


def _same_origin(url: str, instance: str) -> bool:
    try:
        return normalize_instance_url(url) == instance
    except PermanentError:
        return False


def _instance_and_token(credentials: Credentials) -> tuple[str, str]:
    instance = credentials.get("instance")
    token = credentials.get("access_token")
    if not instance or not token:
        raise ReconnectError("missing_credentials", "The Mastodon connection has no token.")
    return str(instance), str(token)


def _call(
    method: str,
    instance: str,
    path: str,
    *,
    token: str = "",
    fields: dict[str, str] | list[tuple[str, str]] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
    content_type: str = "",
    may_have_posted: bool = False,
) -> safe_fetch.Response:
    """Send one API request and return its 2xx response, or raise the matching error.

    `may_have_posted` marks a request that creates something: losing its answer after
    sending it is then an UnknownOutcome rather than a plain retry.
    """
    url = instance + path + (f"?{urlencode(query)}" if query else "")
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    body = None
    if fields is not None:
        # Form encoding is what every Mastodon version (and its OAuth endpoints) accepts.
        body = urlencode(fields).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif data is not None:
        body = data
        all_headers["Content-Type"] = content_type
    try:
        response = safe_fetch.request(method, url, body=body, headers=all_headers)
    except FetchError as error:
        raise _transport_error(error, may_have_posted=may_have_posted) from error
    if not 200 <= response.status < 300:
        raise _status_error(response)
    return response


def _transport_error(error: FetchError, *, may_have_posted: bool) -> PublishError:
    """Map a failed fetch to a client error, telling apart "nothing was sent"."""
    if error.code in REFUSED_ADDRESS:
        return PermanentError(error.code, error.message)
    if error.code == "dns":
        return RetryableError(error.code, error.message)
    # Refused, unreachable or a failed TLS handshake: the request never left, so a retry
    # cannot post twice. (NewConnectionError is a ConnectTimeoutError.)
    if isinstance(error.__cause__, (ConnectTimeoutError, SSLError)):
        return RetryableError(error.code, error.message)
    if may_have_posted:
        return UnknownOutcome(error.code, error.message)
    return RetryableError(error.code, error.message)


def _status_error(response: safe_fetch.Response) -> PublishError:
    """Map a non-2xx answer to a client error, keeping the server's own message."""
    status = response.status
    message = _error_message(response)
    if status == 401:
        return ReconnectError("unauthorized", message)
    if status == 429:
        return RetryableError(
            "rate_limited",
            message,
            retry_after=retry_after(response.headers, reset=RATE_LIMIT_RESET),
        )
    if status >= 500:
        # Even if the status was made before the error, the retry carries the same
        # Idempotency-Key and gets that status back instead of a second one.
        return RetryableError("server_error", message)
    if status == 422:
        return PermanentError("too_long" if TOO_LONG.search(message) else "rejected", message)
    if status == 403:
        return PermanentError("forbidden", message)
    if 300 <= status < 400:
        location = response.headers.get("location", "")
        return PermanentError("http_error", f"The server redirects to {location or 'elsewhere'}.")
    return PermanentError("http_error", message)


def _error_message(response: safe_fetch.Response) -> str:
    data = response.json()
    if isinstance(data, dict):
        # OAuth errors carry a readable description next to a short code.
        for key in ("error_description", "error"):
            if isinstance(data.get(key), str) and data[key]:
                return str(data[key])
    return f"The server answered HTTP {response.status}."


# --- Reading statuses back ------------------------------------------------------------


def _published(status: dict[str, Any]) -> Published:
    return Published(
        remote_id=str(status["id"]), remote_url=str(status.get("url") or status.get("uri") or "")
    )


def _metrics(status: dict[str, Any]) -> Metrics:
    counts = {
        key: metric_count(status.get(key))
        for key in ("favourites_count", "replies_count", "reblogs_count", "quotes_count")
        if key in status
    }
    return Metrics(
        reactions=counts.get("favourites_count", 0),
        comments=counts.get("replies_count", 0),
        reposts=counts.get("reblogs_count", 0),
        # Quote posts came with Mastodon 4.5; older servers do not count them.
        quotes=counts.get("quotes_count", 0),
        raw=counts,
    )


def _shows(status: dict[str, Any], post: Post) -> bool:
    """Whether a status is this post: Mastodon returns HTML, so compare the link targets
    and the visible text rather than the markup."""
    text, links = _text_and_links(str(status.get("content") or ""))
    if post.url and (post.url in links or post.url in text):
        return True
    return bool(post.text.strip()) and _squash(text) == _squash(post.text)


def _text_and_links(content: str) -> tuple[str, set[str]]:
    """Return the visible text of a status's HTML and the targets of its links."""
    soup = BeautifulSoup(content, "html.parser")
    links: set[str] = set()
    for anchor in soup.find_all("a"):
        href = anchor.get("href") if isinstance(anchor, Tag) else None
        if isinstance(href, str):
            links.add(href)
    for line_break in soup.find_all("br"):
        line_break.replace_with("\n")
    # Long links are split into "invisible" and "ellipsis" spans: joining the text
    # without separators gives the whole URL back.
    paragraphs = [paragraph.get_text() for paragraph in soup.find_all("p")]
    return ("\n\n".join(paragraphs) if paragraphs else soup.get_text()), links


def _squash(text: str) -> str:
    return " ".join(text.split())


def _json_object(response: safe_fetch.Response) -> dict[str, Any]:
    data = response.json()
    if not isinstance(data, dict):
        raise PermanentError("bad_response", "The server's answer is not a Mastodon one.")
    return data
