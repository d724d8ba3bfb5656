"""SAML 2.0 plumbing: the IdP metadata, our SP metadata, and allauth's app settings.

An organisation admin gives the IdP metadata as a URL or as an uploaded file. A URL is a
request to an address a user chose, so it is fetched through `chorus.lib.safe_fetch` here,
once, when the admin saves or refreshes it; allauth is then given the IdP's entity ID,
sign-in URL and signing certificate read from it (never the URL, which it would fetch itself
with no guard). python3-saml (under allauth's SAML support) parses every document with entity
expansion and network access off.

Every assertion must be signed by the IdP's certificate and name our SP as its audience;
its validity window is checked with `CHORUS_SAML_CLOCK_SKEW` seconds of tolerance for the
two clocks' drift (applied when the app loads: python3-saml keeps it per process).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from chorus.lib import safe_fetch

SAML = "saml"
# An IdP's metadata is a few kilobytes; a federation's aggregate (megabytes) is not one IdP's.
MAX_METADATA_BYTES = 512 * 1024
METADATA_TYPES = (
    "application/samlmetadata+xml",
    "application/xml",
    "text/xml",
)

# Where Chorus reads the person's e-mail and names, in the order tried: the names common
# IdPs use (OASIS/LDAP OIDs, Microsoft Entra ID's claim URIs, plain names). With none, a
# NameID in the emailAddress format is the e-mail (allauth reads it).
ATTRIBUTE_MAPPING = {
    "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id"],
    "email": [
        "urn:oid:0.9.2342.19200300.100.1.3",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "email",
        "mail",
    ],
    "first_name": [
        "urn:oid:2.5.4.42",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "givenName",
        "firstName",
    ],
    "last_name": [
        "urn:oid:2.5.4.4",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "sn",
        "lastName",
    ],
}


class MetadataError(Exception):
    """The IdP metadata could not be fetched or is not usable."""


@dataclass(frozen=True)
class IdPMetadata:
    xml: str
    entity_id: str
    sso_url: str
    x509cert: str


def apply_clock_skew() -> None:
    """Tolerate CHORUS_SAML_CLOCK_SKEW seconds of drift on an assertion's validity window."""
    OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT = settings.CHORUS_SAML_CLOCK_SKEW


def fetch_metadata(url: str) -> IdPMetadata:
    """Fetch the IdP metadata at `url` through the SSRF guard and read it."""
    try:
        result = safe_fetch.fetch(url, accept=METADATA_TYPES, max_bytes=MAX_METADATA_BYTES)
    except safe_fetch.FetchError as error:
        raise MetadataError(
            _("The metadata could not be fetched: %(reason)s") % {"reason": error}
        ) from error
    return parse_metadata(result.body)


def parse_metadata(document: bytes | str) -> IdPMetadata:
    """Read an IdP's metadata: its entity ID, HTTP-Redirect sign-in URL, signing certificate.

    Raises MetadataError with a message for the admin.
    """
    if isinstance(document, bytes):
        if len(document) > MAX_METADATA_BYTES:
            raise MetadataError(_("The metadata is too large for one identity provider's."))
        try:
            text = document.decode("utf-8")
        except UnicodeDecodeError as error:
            raise MetadataError(_("The metadata is not UTF-8 XML.")) from error
    else:
        text = document
    text = text.strip()
    if text.startswith("<?xml"):
        # lxml refuses a str that declares its encoding; the declaration says nothing more.
        text = text[text.index("?>") + 2 :].lstrip()
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(
            text, required_sso_binding=OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT
        )
    except Exception as error:  # lxml and python3-saml raise many kinds
        raise MetadataError(
            _("The metadata is not valid SAML metadata XML: %(reason)s")
            % {"reason": str(error)[:200]}
        ) from error
    idp = parsed.get("idp") or {}
    entity_id = str(idp.get("entityId") or "")
    sso_url = str((idp.get("singleSignOnService") or {}).get("url") or "")
    certificate = str(idp.get("x509cert") or "")
    if not certificate:
        signing = (idp.get("x509certMulti") or {}).get("signing") or []
        certificate = str(signing[0]) if signing else ""
    if not entity_id:
        raise MetadataError(_("The metadata names no identity provider (IDPSSODescriptor)."))
    if urlsplit(sso_url).scheme not in ("http", "https"):
        raise MetadataError(_("The metadata has no sign-in URL with the HTTP-Redirect binding."))
    if not certificate:
        raise MetadataError(_("The metadata has no signing certificate."))
    certificate = "".join(certificate.split())
    try:
        x509.load_der_x509_certificate(base64.b64decode(certificate, validate=True))
    except (ValueError, binascii.Error) as error:
        raise MetadataError(_("The metadata's signing certificate is not readable.")) from error
    return IdPMetadata(xml=text, entity_id=entity_id, sso_url=sso_url, x509cert=certificate)


def sp_metadata_path(provider_id: str) -> str:
    return reverse("sso_saml_metadata", args=[provider_id])


def sp_urls(request: HttpRequest, provider_id: str) -> dict[str, str]:
    """Our SP entity ID (the SP metadata's URL) and ACS URL, as the IdP must know them."""
    return {
        "entity_id": request.build_absolute_uri(sp_metadata_path(provider_id)),
        "acs_url": request.build_absolute_uri(
            reverse("saml_acs", kwargs={"organization_slug": provider_id})
        ),
    }


def app_settings(provider: Any, request: HttpRequest | None) -> dict[str, Any]:
    """allauth's SAML settings for an organisation's IdP (its `SocialApp.settings`)."""
    sp: dict[str, Any] = {}
    if request is not None:
        sp["entity_id"] = sp_urls(request, provider.provider_id)["entity_id"]
    return {
        "idp": {
            "entity_id": provider.saml_entity_id,
            "sso_url": provider.saml_sso_url,
            "x509cert": provider.saml_x509cert,
        },
        "sp": sp,
        "attribute_mapping": ATTRIBUTE_MAPPING,
        "use_nameid_for_email": False,
        "advanced": {
            "strict": True,
            "want_assertion_signed": True,
            "want_message_signed": False,
            "reject_deprecated_algorithm": True,
            "reject_idp_initiated_sso": True,
            "want_attribute_statement": False,
            # Our own URLs may be on a one-label host (localhost, an intranet name).
            "allow_single_label_domains": True,
            "name_id_format": OneLogin_Saml2_Constants.NAMEID_UNSPECIFIED,
        },
    }


def sp_metadata(request: HttpRequest, provider_id: str) -> str:
    """Our SP metadata for an organisation: entity ID, ACS (HTTP-POST), signed assertions."""
    urls = sp_urls(request, provider_id)
    config = {
        "strict": True,
        "sp": {
            "entityId": urls["entity_id"],
            "assertionConsumerService": {
                "url": urls["acs_url"],
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST,
            },
            "NameIDFormat": OneLogin_Saml2_Constants.NAMEID_UNSPECIFIED,
        },
        "security": {
            "wantAssertionsSigned": True,
            "authnRequestsSigned": False,
            "allowSingleLabelDomains": True,
        },
    }
    saml_settings = OneLogin_Saml2_Settings(settings=config, sp_validation_only=True)
    metadata = saml_settings.get_sp_metadata()
    return metadata.decode() if isinstance(metadata, bytes) else str(metadata)


def saml_claims(attributes: dict[str, Any], user: Any) -> dict[str, Any]:
    """The claims Chorus's rules read, from a signed assertion's attributes.

    The e-mail and names are those allauth read (ATTRIBUTE_MAPPING, else an emailAddress
    NameID). The IdP vouches for the address by signing the assertion (SAML has no
    `email_verified`), unless an `email_verified` attribute says otherwise; the address's
    domain must still be one the organisation verified.
    """
    claims: dict[str, Any] = {name: values for name, values in attributes.items()}
    stated = [str(value).lower() for value in attributes.get("email_verified") or []]
    claims["email"] = getattr(user, "email", "") or ""
    claims["email_verified"] = not stated or stated[0] in ("true", "1", "yes")
    claims["given_name"] = getattr(user, "first_name", "") or ""
    claims["family_name"] = getattr(user, "last_name", "") or ""
    return claims
