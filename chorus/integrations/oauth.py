"""OAuth 2.0 and HTTP pieces shared by the network clients.

- `new_state`, `states_match`: the `state` parameter that ties a callback to the person who
  started the connection (RFC 6749 §10.12).
- `new_code_verifier`, `code_challenge`: PKCE with S256 (RFC 7636 §4.1-4.2).
- `authorization_url`, `post_form`: the authorization request and a form POST to a token
  endpoint, with OAuth's error answers mapped to the client errors of `base`.
- `send`: every API call of a client goes through it, hence through
  `chorus.lib.safe_fetch.request` (one SSRF guard, one timeout policy), and a transport
  failure becomes the error that says whether trying again is safe.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from urllib3.exceptions import ConnectTimeoutError

from chorus.integrations.base import (
    Credentials,
    PermanentError,
    PublishError,
    ReconnectError,
    RetryableError,
    UnknownOutcome,
)
from chorus.integrations.capabilities import Connected, ConnectFlow, Consent, ServerApps
from chorus.lib.safe_fetch import FetchError, Response, request


def new_state() -> str:
    """Return a fresh, unguessable `state` value to keep in the session until the callback."""
    return secrets.token_urlsafe(32)


def states_match(expected: str, received: str) -> bool:
    """Return whether the callback's `state` is the one we issued (constant-time)."""
    return bool(expected) and hmac.compare_digest(expected.encode(), received.encode())


def new_code_verifier() -> str:
    """Return a PKCE code verifier: 86 characters of the unreserved set (RFC 7636 allows
    43 to 128)."""
    return secrets.token_urlsafe(64)


def code_challenge(code_verifier: str) -> str:
    """Return the S256 challenge of a verifier: BASE64URL(SHA256(verifier)), unpadded."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(base: str, params: dict[str, str]) -> str:
    """Return the authorization endpoint with its query; spaces in scopes become %20."""
    return f"{base}?{urlencode(params, quote_via=quote)}"


def basic_authorization(client_id: str, client_secret: str) -> str:
    """Return the Authorization header value of a confidential client (HTTP Basic)."""
    pair = f"{client_id}:{client_secret}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def expires_at(expires_in: object, *, now: datetime | None = None) -> str:
    """Return when a token that lives `expires_in` more seconds expires, as ISO 8601 (UTC),
    or "" when the token endpoint did not say."""
    try:
        seconds = int(str(expires_in))
    except ValueError:
        return ""
    now = now or datetime.now(UTC)
    return (now + timedelta(seconds=seconds)).isoformat()


def expires_within(credentials: Credentials, seconds: float) -> bool:
    """Return whether the access token has expired or will within `seconds`. Unknown
    expiry counts as valid: the API's 401 will say otherwise."""
    value = credentials.get("expires_at") or ""
    try:
        expiry = datetime.fromisoformat(str(value))
    except ValueError:
        return False
    if expiry.tzinfo is None:
        expiry = expiry.replace(tzinfo=UTC)
    return expiry - datetime.now(UTC) <= timedelta(seconds=seconds)


def send(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    json_body: object = None,
    form: dict[str, str] | None = None,
    data: bytes | None = None,
    content_type: str = "",
    creates: bool = False,
) -> Response:
    """Send one API request (a JSON body, a form, or raw `data` of `content_type` such as
    an image or a multipart form) and return the answer, whatever its status.

    A transport failure raises RetryableError, or UnknownOutcome when `creates` is set and
    the request may have reached the network (anything but a failed connection): a post
    may then exist without us knowing its id.
    """
    all_headers = dict(headers or {})
    body: bytes | None = None
    if json_body is not None:
        body = json.dumps(json_body, ensure_ascii=False).encode()
        all_headers["Content-Type"] = "application/json"
    elif form is not None:
        body = urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif data is not None:
        body = data
        all_headers["Content-Type"] = content_type
    try:
        return request(method, url, body=body, headers=all_headers)
    except FetchError as error:
        raise _transport_error(error, creates) from error


def _transport_error(error: FetchError, creates: bool) -> PublishError:
    if error.code in ("invalid_url", "blocked_address"):
        # The API address comes from our settings: nothing a retry can fix.
        return PermanentError("configuration", error.message)
    # urllib3 raises ConnectTimeoutError (or its subclass NewConnectionError) only before
    # a byte of the request was written; DNS fails before connecting.
    nothing_sent = error.code == "dns" or isinstance(error.__cause__, ConnectTimeoutError)
    if creates and not nothing_sent:
        return UnknownOutcome(error.code, error.message)
    return RetryableError(error.code, error.message)


def post_form(
    url: str, form: dict[str, str], *, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """POST a form to a token endpoint and return its JSON answer.

    A refused grant (an expired code, a used or revoked refresh token: `invalid_grant`,
    `invalid_request`) raises ReconnectError, since only the person can grant again; a
    refused client (wrong id or secret) raises PermanentError("oauth_client"); 429 and 5xx
    raise RetryableError.
    """
    response = send("POST", url, headers=headers, form=form)
    answer = response.json()
    if response.status == 200 and isinstance(answer, dict) and answer.get("access_token"):
        return answer
    details = answer if isinstance(answer, dict) else {}
    error = str(details.get("error") or "")
    message = str(details.get("error_description") or error or f"HTTP {response.status}")
    if response.status == 429 or response.status >= 500:
        raise RetryableError("oauth_unavailable", message)
    if response.status == 401 or error in ("invalid_client", "unauthorized_client"):
        raise PermanentError("oauth_client", message)
    if 400 <= response.status < 500:
        raise ReconnectError("oauth_refused", message)
    raise RetryableError("oauth_bad_answer", message)


class CodeFlow(ConnectFlow):
    """Connecting with the OAuth 2.0 code flow on one consent page (LinkedIn, X), with
    PKCE when `pkce`; offered when the server has the network's client id."""

    sends_back = True

    def __init__(self, client: Any, *, order: int, pkce: bool = False) -> None:
        # The network's client: is_enabled, authorize_url, exchange_code (both with the
        # PKCE argument when `pkce`) and verify.
        self.client = client
        self.order = order
        self.pkce = pkce

    def enabled(self) -> bool:
        return self.client.is_enabled()

    def start(
        self, data: dict[str, Any], redirect_uri: str, state: str, apps: ServerApps
    ) -> Connected | Consent:
        if not self.pkce:
            return Consent(self.client.authorize_url(redirect_uri, state), {})
        verifier = new_code_verifier()
        target = self.client.authorize_url(redirect_uri, state, code_challenge(verifier))
        return Consent(target, {"verifier": verifier})

    def finish(
        self, pending: dict[str, str], code: str, redirect_uri: str, apps: ServerApps
    ) -> Connected:
        verifier = (pending["verifier"],) if self.pkce else ()
        credentials = self.client.exchange_code(code, redirect_uri, *verifier)
        return Connected(self.client.verify(credentials), credentials)
