"""The SAML 2.0 part of the single sign-on settings page, our SP metadata, the start page and
the lookup, without an IdP running (the flows are in test_saml_flow.py)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from chorus.orgs.models import AuditEntry, Role
from chorus.sso.actions import (
    certificate_fingerprint,
    do_add_domain,
    do_change_sso_settings,
    do_save_saml_provider,
    do_verify_domain,
)
from chorus.sso.models import IdentityProvider, ProviderKind
from chorus.sso.saml import parse_metadata
from tests.base import OrgTestCase
from tests.factory import make_user
from tests.sso.saml_server import POST_BINDING, idp_metadata_xml, make_key_pair

SETTINGS = "/o/acme/settings/sso/"
ENTITY = "https://idp.acme.example/saml/metadata"
SSO_URL = "https://idp.acme.example/saml/sso"


def saml_form(**values: Any) -> dict[str, Any]:
    return {
        "form": "saml",
        "saml-name": "Acme SAML",
        "saml-metadata_url": "",
        "saml-enabled": "on",
        "saml-team_claim": "department",
        "saml-role_claim": "groups",
        "saml-role_org_admin": "chorus-admins",
        "saml-role_program_manager": "",
        "saml-role_team_manager": "",
        **values,
    }


def upload(document: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("idp.xml", document, content_type="application/xml")


class SamlSettingsTests(OrgTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.keys = make_key_pair("Acme IdP")
        cls.metadata = idp_metadata_xml(ENTITY, SSO_URL, cls.keys.cert_pem)

    def test_the_admin_uploads_the_idp_metadata(self) -> None:
        self.login(self.alice)
        page = self.client.get(SETTINGS)
        self.assertContains(page, "http://testserver/sso/saml-acme/metadata/")
        self.assertContains(page, "http://testserver/accounts/saml/saml-acme/acs/")
        self.assertContains(page, "available once saved")

        answer = self.client.post(
            SETTINGS, saml_form(**{"saml-metadata_file": upload(self.metadata)})
        )

        self.assertRedirects(answer, SETTINGS)
        provider = IdentityProvider.objects.get(org=self.org, kind=ProviderKind.SAML)
        self.assertEqual(provider.provider_id, "saml-acme")
        self.assertEqual((provider.saml_entity_id, provider.saml_sso_url), (ENTITY, SSO_URL))
        self.assertIn(provider.saml_x509cert[:40], self.keys.cert_pem.replace("\n", ""))
        self.assertIsNotNone(provider.checked_at)  # usable: its metadata is read
        self.assertEqual(provider.role_values[Role.ORG_ADMIN], "chorus-admins")
        entry = AuditEntry.objects.get(org=self.org, action="sso.provider.create")
        self.assertEqual(
            entry.changes["certificate_sha256"],
            [None, certificate_fingerprint(provider.saml_x509cert)],
        )
        self.assertContains(self.client.get(SETTINGS), "Metadata of")

        # Saving again without a file keeps the metadata.
        self.client.post(SETTINGS, saml_form(**{"saml-name": "Acme Okta"}))
        provider.refresh_from_db()
        self.assertEqual((provider.name, provider.saml_entity_id), ("Acme Okta", ENTITY))

    def test_bad_metadata_changes_nothing(self) -> None:
        self.login(self.alice)
        cases = {
            "not xml": b"this is not XML",
            "entities": b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
            "no certificate": idp_metadata_xml(ENTITY, SSO_URL, None),
            "no redirect binding": idp_metadata_xml(
                ENTITY, SSO_URL, self.keys.cert_pem, binding=POST_BINDING
            ),
            "not an idp": b'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"'
            b' entityID="x"/>',
        }
        for case, document in cases.items():
            with self.subTest(case=case):
                answer = self.client.post(
                    SETTINGS, saml_form(**{"saml-metadata_file": upload(document)})
                )
                self.assertEqual(answer.status_code, 400)
                self.assertContains(answer, "metadata", status_code=400)
        with self.subTest(case="nothing given"):
            self.assertEqual(self.client.post(SETTINGS, saml_form()).status_code, 400)
        with self.subTest(case="a private address (the SSRF guard)"):
            answer = self.client.post(
                SETTINGS, saml_form(**{"saml-metadata_url": "http://127.0.0.1:9/metadata"})
            )
            self.assertContains(answer, "could not be fetched", status_code=400)
        self.assertFalse(IdentityProvider.objects.exists())
        self.assertFalse(AuditEntry.objects.filter(action__startswith="sso.provider").exists())

    def test_roles_and_organisations(self) -> None:
        form = saml_form(**{"saml-metadata_file": upload(self.metadata)})
        for user in (self.paul, self.maya, self.amy):
            self.login(user)
            self.assertEqual(self.client.post(SETTINGS, form).status_code, 403)
            self.assertEqual(self.client.post(f"{SETTINGS}saml/refresh/").status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.post(SETTINGS, form).status_code, 404)
        self.assertEqual(self.client.post(f"{SETTINGS}saml/refresh/").status_code, 404)
        self.assertFalse(IdentityProvider.objects.exists())

    def _saml_provider(self) -> IdentityProvider:
        return do_save_saml_provider(
            self.alice_m,
            None,
            name="Acme SAML",
            metadata_url="",
            metadata=parse_metadata(self.metadata),
            enabled=True,
            team_claim="",
            role_claim="",
            role_values={},
        )

    def test_sp_metadata_start_page_lookup_and_required_sso(self) -> None:
        self.assertEqual(self.client.get("/sso/saml-acme/metadata/").status_code, 404)
        self._saml_provider()
        metadata = self.client.get("/sso/saml-acme/metadata/")
        self.assertEqual(metadata.status_code, 200)
        self.assertContains(metadata, 'entityID="http://testserver/sso/saml-acme/metadata/"')

        start = self.client.get("/sso/saml-acme/")
        self.assertContains(start, 'action="/accounts/saml/saml-acme/login/"')
        self.assertIn("https://idp.acme.example", start["Content-Security-Policy"])

        operator = make_user("operator@instance.example", is_superuser=True)
        do_verify_domain(operator, do_add_domain(self.alice_m, "acme.example"))
        lookup = self.client.get("/sso/", {"login": "someone@acme.example"})
        self.assertContains(lookup, "Acme SAML")
        self.assertContains(lookup, "/sso/saml-acme/")

        # A SAML provider alone is enough to require single sign-on.
        changes = do_change_sso_settings(self.alice_m, require_sso=True, break_glass=self.alice_m)
        self.assertEqual(changes["require_sso"], [False, True])
