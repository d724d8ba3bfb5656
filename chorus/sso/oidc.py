"""OpenID Connect plumbing: the provider's discovery document, and the guarded HTTP transport.

An organisation admin types the issuer URL, so every request Chorus sends to the provider
(discovery, token, userinfo, keys) is a request to an address a user chose. They all go
through `chorus.lib.safe_fetch` (public addresses only, the connection pinned to the checked
address, bounded time and size): `check_discovery` directly, and django-allauth's requests
through `GuardedTransport`, mounted on the session the allauth adapter hands out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.utils.translation import gettext as _
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from chorus.lib import safe_fetch

WELL_KNOWN = "/.well-known/openid-configuration"
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
# A discovery document is a few kilobytes; a large answer is not one.
MAX_DISCOVERY_BYTES = 256 * 1024


class DiscoveryError(Exception):
    """The issuer's discovery document could not be fetched or is not usable."""


@dataclass(frozen=True)
class Discovery:
    document: dict[str, Any]

    @property
    def issuer(self) -> str:
        return str(self.document["issuer"])


def discovery_url(issuer_url: str) -> str:
    return issuer_url.rstrip("/") + WELL_KNOWN


def check_discovery(issuer_url: str) -> Discovery:
    """Fetch and validate the issuer's discovery document (OpenID Connect Discovery 1.0).

    The document must name the same issuer (section 4.3: a provider that answers for
    another issuer could mint tokens we would accept), and the endpoints the sign-in uses.
    Raises DiscoveryError with a message for the admin.
    """
    try:
        result = safe_fetch.fetch(
            discovery_url(issuer_url),
            accept=("application/json",),
            max_bytes=MAX_DISCOVERY_BYTES,
            max_redirects=0,
        )
    except safe_fetch.FetchError as error:
        raise DiscoveryError(
            _("The discovery document could not be fetched: %(reason)s") % {"reason": error}
        ) from error
    try:
        document = json.loads(result.body)
    except ValueError as error:
        raise DiscoveryError(_("The discovery document is not JSON.")) from error
    if not isinstance(document, dict):
        raise DiscoveryError(_("The discovery document is not a JSON object."))
    if str(document.get("issuer", "")).rstrip("/") != issuer_url.rstrip("/"):
        raise DiscoveryError(
            _("The provider says its issuer is %(found)s, not %(expected)s.")
            % {"found": document.get("issuer", "?"), "expected": issuer_url}
        )
    for name in REQUIRED_ENDPOINTS:
        value = document.get(name)
        if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
            raise DiscoveryError(
                _("The discovery document has no valid %(name)s.") % {"name": name}
            )
    return Discovery(document)


class GuardedTransport(BaseAdapter):
    """A requests transport that sends every request through `safe_fetch.request`."""

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        timeout = kwargs.get("timeout")
        if isinstance(timeout, tuple):
            timeout = max(part for part in timeout if part is not None)
        try:
            answer = safe_fetch.request(
                request.method or "GET",
                request.url or "",
                body=body if isinstance(body, bytes) else None,
                headers={
                    name: value if isinstance(value, str) else value.decode("latin-1")
                    for name, value in request.headers.items()
                },
                max_bytes=MAX_DISCOVERY_BYTES,
                timeout=float(timeout) if timeout else None,
            )
        except safe_fetch.FetchError as error:
            raise requests.ConnectionError(str(error), request=request) from error
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.body
        response.encoding = get_encoding_from_headers(response.headers)
        response.url = answer.url
        response.request = request
        response.reason = ""
        return response

    def close(self) -> None:
        pass


def guarded_session(session: requests.Session) -> requests.Session:
    """Make `session` send its http(s) requests through the SSRF guard."""
    transport = GuardedTransport()
    session.mount("http://", transport)
    session.mount("https://", transport)
    return session
