"""The single sign-on settings page, the domain verification, the sign-in page's lookup,
and the rules, without a provider running (the flows are in test_oidc_flow.py)."""

from __future__ import annotations

from django.test import override_settings

from chorus.orgs.models import AuditEntry, Role
from chorus.sso.actions import do_add_domain, do_save_provider, do_verify_domain
from chorus.sso.models import EmailDomain, IdentityProvider, SSOSettings
from tests.base import OrgTestCase
from tests.factory import make_user

SETTINGS = "/o/acme/settings/sso/"
SECRET = "s3cret-value-never-stored-in-clear"


def provider_form(**values: str) -> dict[str, str]:
    return {
        "form": "provider",
        "name": "Acme Login",
        "issuer_url": "https://login.acme.example/realms/acme",
        "client_id": "chorus",
        "client_secret": SECRET,
        "enabled": "on",
        "team_claim": "department",
        "role_claim": "groups",
        "role_org_admin": "chorus-admins",
        "role_program_manager": "",
        "role_team_manager": "",
        **values,
    }


class SettingsPageTests(OrgTestCase):
    def test_the_admin_saves_the_provider_with_the_secret_encrypted(self) -> None:
        self.login(self.alice)
        page = self.client.get(SETTINGS)
        self.assertContains(page, "/accounts/oidc/org-acme/login/callback/")

        answer = self.client.post(SETTINGS, provider_form())

        self.assertRedirects(answer, SETTINGS)
        provider = IdentityProvider.objects.get(org=self.org)
        self.assertEqual(provider.client_secret, SECRET)
        self.assertNotIn(SECRET, provider.client_secret_encrypted)
        self.assertEqual(provider.role_values[Role.ORG_ADMIN], "chorus-admins")
        self.assertIsNone(provider.checked_at)  # not usable before a test of the connection
        entry = AuditEntry.objects.get(org=self.org, action="sso.provider.create")
        self.assertNotIn(SECRET, str(entry.changes))
        self.assertNotContains(self.client.get(SETTINGS), SECRET)

        # An empty secret keeps the stored one.
        self.client.post(SETTINGS, provider_form(client_secret="", name="Acme SSO"))
        provider.refresh_from_db()
        self.assertEqual((provider.name, provider.client_secret), ("Acme SSO", SECRET))

    def test_bad_input_changes_nothing(self) -> None:
        self.login(self.alice)
        for values in (
            {"issuer_url": "not a url"},
            {"issuer_url": "https://login.acme.example/?x=1"},
            {"client_secret": ""},
            {"name": ""},
        ):
            with self.subTest(values=values):
                answer = self.client.post(SETTINGS, provider_form(**values))
                self.assertEqual(answer.status_code, 400)
        self.assertFalse(IdentityProvider.objects.exists())

    def test_roles_and_methods(self) -> None:
        for user in (self.paul, self.maya, self.amy):
            self.login(user)
            self.assertEqual(self.client.get(SETTINGS).status_code, 403)
            self.assertEqual(self.client.post(SETTINGS, provider_form()).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.get(SETTINGS).status_code, 404)
        self.assertEqual(self.client.post(SETTINGS, provider_form()).status_code, 404)
        self.login(self.alice)
        self.assertEqual(self.client.put(SETTINGS).status_code, 405)
        self.assertEqual(self.client.get(f"{SETTINGS}test/").status_code, 405)
        self.assertFalse(IdentityProvider.objects.exists())

    def test_testing_the_connection_refuses_private_addresses(self) -> None:
        self.login(self.alice)
        self.client.post(SETTINGS, provider_form(issuer_url="http://127.0.0.1:9/"))

        answer = self.client.post(f"{SETTINGS}test/", follow=True)

        self.assertContains(answer, "The connection failed")
        self.assertContains(answer, "not a public address")
        self.assertIsNone(IdentityProvider.objects.get().checked_at)
        entry = AuditEntry.objects.get(action="sso.provider.check")
        self.assertEqual(entry.changes["result"], [None, "failed"])

    @override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
    def test_testing_the_connection_reports_an_unreachable_issuer(self) -> None:
        self.login(self.alice)
        self.client.post(SETTINGS, provider_form(issuer_url="http://127.0.0.1:9/"))

        answer = self.client.post(f"{SETTINGS}test/", follow=True)

        self.assertContains(answer, "The connection failed")
        self.assertIsNone(IdentityProvider.objects.get().checked_at)


class DomainTests(OrgTestCase):
    def test_the_admin_claims_a_domain_and_only_an_operator_verifies_it(self) -> None:
        self.login(self.alice)
        answer = self.client.post(SETTINGS, {"form": "domain", "domain": " @Acme.Example. "})
        self.assertRedirects(answer, SETTINGS)
        domain = EmailDomain.objects.get(org=self.org)
        self.assertEqual((domain.domain, domain.is_verified), ("acme.example", False))

        # Not an operator: the page does not exist for them.
        self.assertEqual(self.client.get("/operator/domains/").status_code, 404)
        self.assertEqual(
            self.client.post("/operator/domains/", {"domain": domain.pk}).status_code, 404
        )
        operator = make_user("operator@instance.example", is_superuser=True)
        self.login(operator)
        self.assertContains(self.client.get("/operator/domains/"), "acme.example")
        self.client.post("/operator/domains/", {"domain": domain.pk})
        domain.refresh_from_db()
        self.assertTrue(domain.is_verified)
        self.assertTrue(AuditEntry.objects.filter(org=self.org, action="sso.domain.verify"))

    def test_another_organisations_verified_domain_cannot_be_claimed(self) -> None:
        operator = make_user("operator@instance.example", is_superuser=True)
        do_verify_domain(operator, do_add_domain(self.oscar_m, "globex.example"))
        # A pending claim by Acme on the same domain can never be verified either.
        self.login(self.alice)
        answer = self.client.post(SETTINGS, {"form": "domain", "domain": "globex.example"})
        self.assertEqual(answer.status_code, 400)
        self.assertContains(answer, "verified for another organisation", status_code=400)
        for bad in ("", "localhost", "exa mple.com", "-bad.example", "a" * 300 + ".com"):
            with self.subTest(domain=bad):
                answer = self.client.post(SETTINGS, {"form": "domain", "domain": bad})
                self.assertEqual(answer.status_code, 400)
        self.assertFalse(EmailDomain.objects.filter(org=self.org).exists())

    def test_removing_a_domain_is_for_its_own_admin(self) -> None:
        domain = do_add_domain(self.alice_m, "acme.example")
        url = f"{SETTINGS}domains/{domain.pk}/remove/"
        self.login(self.oscar)
        self.assertEqual(self.client.post(url).status_code, 404)
        self.assertEqual(
            self.client.post(f"/o/globex/settings/sso/domains/{domain.pk}/remove/").status_code,
            404,
        )
        self.login(self.paul)
        self.assertEqual(self.client.post(url).status_code, 403)
        self.login(self.alice)
        self.assertEqual(self.client.get(url).status_code, 405)
        self.assertRedirects(self.client.post(url), SETTINGS)
        self.assertFalse(EmailDomain.objects.exists())


class RulesAndLookupTests(OrgTestCase):
    def make_provider(self, *, checked: bool = True) -> IdentityProvider:
        provider = do_save_provider(
            self.alice_m,
            None,
            name="Acme Login",
            issuer_url="https://login.acme.example",
            client_id="chorus",
            client_secret=SECRET,
            enabled=True,
            team_claim="",
            role_claim="",
            role_values={},
        )
        if checked:
            provider.discovery = {"authorization_endpoint": "https://login.acme.example/auth"}
            provider.checked_at = provider.created_at
            provider.save()
        return provider

    def test_requiring_sso_needs_a_tested_provider_and_a_break_glass_admin(self) -> None:
        self.login(self.alice)
        rules = {"form": "rules", "require_sso": "on", "break_glass": self.alice_m.pk}
        self.make_provider(checked=False)
        answer = self.client.post(SETTINGS, rules)
        self.assertContains(answer, "test its connection", status_code=400)
        IdentityProvider.objects.update(checked_at=self.alice_m.joined_at)
        answer = self.client.post(SETTINGS, {**rules, "break_glass": ""})
        self.assertContains(answer, "break-glass", status_code=400)
        answer = self.client.post(SETTINGS, {**rules, "break_glass": self.paul_m.pk})
        self.assertEqual(answer.status_code, 400)  # not an org admin: not offered
        self.assertFalse(SSOSettings.objects.filter(require_sso=True).exists())

        self.assertRedirects(self.client.post(SETTINGS, rules), SETTINGS)
        saved = SSOSettings.objects.get(org=self.org)
        self.assertEqual((saved.require_sso, saved.break_glass), (True, self.alice_m))
        self.assertTrue(AuditEntry.objects.filter(org=self.org, action="sso.settings"))

    def test_the_lookup_offers_only_the_domain_owners_provider(self) -> None:
        self.make_provider()
        operator = make_user("operator@instance.example", is_superuser=True)
        do_verify_domain(operator, do_add_domain(self.alice_m, "acme.example"))

        found = self.client.get("/sso/", {"login": "Someone@ACME.example"}, HTTP_HX_REQUEST="true")
        self.assertContains(found, "Sign in with Acme Login")
        self.assertContains(found, 'href="/sso/org-acme/"')
        for email in ("someone@globex.example", "someone@sub.acme.example", "nonsense"):
            with self.subTest(email=email):
                answer = self.client.get("/sso/", {"login": email}, HTTP_HX_REQUEST="true")
                self.assertNotContains(answer, "Sign in with")
        # Without JavaScript: a page with the same answer.
        self.assertContains(self.client.get("/sso/", {"login": "a@acme.example"}), "<h1>")

    def test_the_start_page_allows_only_this_providers_endpoint(self) -> None:
        self.make_provider()
        answer = self.client.get("/sso/org-acme/", {"next": "https://evil.example/"})
        self.assertContains(answer, 'action="/accounts/oidc/org-acme/login/"')
        self.assertNotContains(answer, 'value="https://evil.example/"')
        policy = answer["Content-Security-Policy"]
        self.assertIn("form-action 'self' https://login.acme.example", policy)
        self.assertNotIn(
            "login.acme.example", self.client.get("/accounts/login/")["Content-Security-Policy"]
        )
        IdentityProvider.objects.update(enabled=False)
        self.assertEqual(self.client.get("/sso/org-acme/").status_code, 404)
        self.assertEqual(self.client.get("/sso/org-unknown/").status_code, 404)
