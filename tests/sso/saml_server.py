"""A real SAML 2.0 identity provider on 127.0.0.1 for the single sign-on tests.

`tests/saml/server.mjs` runs auth0's `samlp` package with the keys and accounts a test
gives it, and prints one JSON line when ready. Its signing key and certificate (and a rogue
pair that its metadata does not list) are made here at test time with `cryptography`: no
private key is committed. It exits when its stdin closes, so it stops with the test run even
if pytest dies. `make test` installs its packages (`tests/saml/node_modules`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.servers import node_server

SAML_DIRECTORY = Path(__file__).resolve().parents[1] / "saml"

EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
GIVEN_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
SURNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"

# The people the IdP knows; some answers are wrong on purpose (audience, signature).
ACCOUNTS: dict[str, dict[str, Any]] = {
    "jane": {
        "email": "jane@acme.test",
        "attributes": {
            EMAIL: "jane@acme.test",
            GIVEN_NAME: "Jane",
            SURNAME: "Doe",
            "department": ["Marketing", "Paris office"],
            "groups": ["chorus-managers", "everyone"],
        },
    },
    "ben": {
        "email": "ben@acme.test",
        "attributes": {EMAIL: "ben@acme.test", "department": "Sales", "groups": "everyone"},
    },
    # No e-mail attribute: the NameID (format emailAddress) carries it.
    "nameid": {"email": "nora@acme.test", "attributes": {"department": "Sales"}},
    "foreigner": {"email": "gina@globex.test", "attributes": {EMAIL: "gina@globex.test"}},
    "wrong-audience": {
        "email": "wanda@acme.test",
        "attributes": {EMAIL: "wanda@acme.test"},
        "audience": "https://another-service.example/saml",
    },
    "rogue": {"email": "rick@acme.test", "attributes": {EMAIL: "rick@acme.test"}, "sign": "rogue"},
    "unsigned-assertion": {
        "email": "una@acme.test",
        "attributes": {EMAIL: "una@acme.test"},
        "sign": "response",
    },
}


@dataclass(frozen=True)
class KeyPair:
    key_pem: str
    cert_pem: str


@dataclass(frozen=True)
class LocalIdP:
    base_url: str
    metadata_url: str
    entity_id: str


def make_key_pair(common_name: str) -> KeyPair:
    """A fresh RSA key and a self-signed certificate for it, valid around now."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        cert_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
    )


def acs_urls(base_urls: list[str], slugs: list[str]) -> list[str]:
    return [f"{base}/accounts/saml/saml-{slug}/acs/" for base in base_urls for slug in slugs]


@contextlib.contextmanager
def running_idp(workdir: Path, acs: list[str]) -> Iterator[LocalIdP]:
    """Run tests/saml/server.mjs, answering AuthnRequests from the `acs` URLs."""
    keys = make_key_pair("Chorus test IdP")
    rogue = make_key_pair("Chorus test IdP")  # same name, another key
    config = {
        "cert": keys.cert_pem,
        "key": keys.key_pem,
        "rogue_cert": rogue.cert_pem,
        "rogue_key": rogue.key_pem,
        "acs_urls": acs,
        "accounts": ACCOUNTS,
    }
    with node_server(
        SAML_DIRECTORY,
        packages=("samlp",),
        what="local SAML identity provider",
        ready_key="issuer",
        workdir=workdir,
        env={"SAML_TEST_CONFIG": json.dumps(config)},
    ) as ready:
        yield LocalIdP(
            base_url=ready["base_url"],
            metadata_url=ready["metadata_url"],
            entity_id=ready["issuer"],
        )


def hidden_fields(html: str) -> dict[str, str]:
    return {
        name: unescape(value)
        for name, value in re.findall(
            r'<input type="hidden"\s+name="([^"]+)"\s+value="([^"]*)"', html
        )
    }


def sign_in_at_idp(sso_url: str, login: str) -> tuple[str, dict[str, str]]:
    """Play the person at the IdP: open its page, sign in as `login`, and return where its
    auto-posting form goes (our ACS) with the fields it posts (SAMLResponse, RelayState)."""
    with requests.Session() as browser:
        page = browser.get(sso_url, timeout=15)
        assert page.status_code == 200, page.text
        posted = browser.post(
            urljoin(sso_url, "/sso"),
            data={**hidden_fields(page.text), "login": login},
            timeout=15,
        )
        assert posted.status_code == 200, posted.text
        action = re.search(r'<form method="post" name="hiddenform" action="([^"]+)"', posted.text)
        assert action, posted.text
        return unescape(action.group(1)), hidden_fields(posted.text)


REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def idp_metadata_xml(
    entity_id: str,
    sso_url: str,
    cert_pem: str | None,
    *,
    binding: str = REDIRECT_BINDING,
) -> bytes:
    """An IdP's metadata document, as an admin would upload it."""
    key = ""
    if cert_pem is not None:
        body = "".join(
            line for line in cert_pem.splitlines() if line and not line.startswith("-----")
        )
        key = (
            '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
            f"<ds:X509Certificate>{body}</ds:X509Certificate>"
            "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'{key}<md:SingleSignOnService Binding="{binding}" Location="{sso_url}"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    ).encode()
