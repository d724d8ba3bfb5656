"""French and English: complete catalogs, a language chosen per person, the browser's by default."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings

from tests.base import OrgTestCase

CATALOG = Path(settings.BASE_DIR) / "chorus" / "locale" / "fr" / "LC_MESSAGES" / "django.po"


class CatalogTests(OrgTestCase):
    def test_the_french_catalog_is_complete(self) -> None:
        with CATALOG.open("rb") as handle:
            catalog = read_po(handle)
        missing = []
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                missing.append(message.id)
        self.assertEqual(missing, [], "untranslated or fuzzy French strings")
        self.assertGreater(len(catalog), 50)


class LanguageTests(OrgTestCase):
    def test_default_follows_the_browser(self) -> None:
        response = self.client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
        self.assertEqual(response["Content-Language"], "fr")
        self.assertContains(response, "Mot de passe")
        response = self.client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-GB")
        self.assertEqual(response["Content-Language"], "en")

    def test_the_switch_is_remembered_on_the_account(self) -> None:
        self.login(self.amy)
        response = self.client.post("/i18n/setlang/", {"language": "fr", "next": "/o/acme/"})
        self.assertRedirects(response, "/o/acme/", fetch_redirect_response=False)
        self.amy.refresh_from_db()
        self.assertEqual(self.amy.language, "fr")
        # A new browser session with an English browser still gets French for Amy.
        self.client.logout()
        self.client.cookies.clear()
        self.login(self.amy)
        response = self.client.get("/o/acme/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertEqual(response["Content-Language"], "fr")
        self.assertContains(response, "Mon fil")

    def test_unknown_language_and_foreign_next_are_ignored(self) -> None:
        self.login(self.amy)
        self.client.post("/i18n/setlang/", {"language": "xx"})
        self.amy.refresh_from_db()
        self.assertEqual(self.amy.language, "")
        response = self.client.post(
            "/i18n/setlang/", {"language": "fr", "next": "https://evil.example/"}
        )
        self.assertNotIn("evil.example", response.get("Location", ""))

    def test_anonymous_switch_uses_a_cookie(self) -> None:
        response = self.client.post(
            "/i18n/setlang/", {"language": "fr", "next": "/accounts/login/"}
        )
        self.assertEqual(response.cookies[settings.LANGUAGE_COOKIE_NAME].value, "fr")
        self.assertContains(self.client.get("/accounts/login/"), "Mot de passe")

    def test_profile_language_setting(self) -> None:
        self.login(self.amy)
        self.client.post("/profile/", {"first_name": "Amy", "last_name": "Doe", "language": "fr"})
        self.amy.refresh_from_db()
        self.assertEqual((self.amy.last_name, self.amy.language), ("Doe", "fr"))


class ManifestTests(OrgTestCase):
    def test_manifest_and_service_worker_for_installing_on_a_phone(self) -> None:
        manifest = self.client.get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="fr")
        self.assertEqual(manifest["Content-Type"], "application/manifest+json")
        data = manifest.json()
        self.assertEqual(
            (data["display"], data["start_url"], data["lang"]), ("standalone", "/", "fr")
        )
        self.assertTrue(data["icons"])
        worker = self.client.get("/sw.js")
        self.assertEqual(worker["Content-Type"], "application/javascript")
        self.assertIn("/offline/", worker.content.decode())
        self.assertEqual(self.client.get("/offline/").status_code, 200)


class SignInPageTests(OrgTestCase):
    def test_sign_in_has_the_products_look_and_no_closed_sign_up_link(self) -> None:
        response = self.client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr-FR")
        self.assertContains(response, "<h1>Se connecter</h1>", html=True)
        self.assertContains(response, 'class="field')  # the product's own form fields
        self.assertNotContains(response, "/accounts/signup/")
        # Signing in adds no "Successfully signed in as …" message, in any language.
        response = self.client.post(
            "/accounts/login/",
            {"login": "amy@acme.example", "password": self.password},
            follow=True,
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual([str(message) for message in response.context["messages"]], [])


class FormatTests(OrgTestCase):
    def test_dates_and_percentages_follow_the_readers_language(self) -> None:
        import re

        import time_machine
        from django.utils import translation

        from chorus.analytics.templatetags.analytics import percentage
        from chorus.orgs.actions import do_add_member

        with time_machine.travel("2026-03-12 10:00:00+00:00", tick=False):
            ava = do_add_member(self.alice_m, "ava@acme.example", "ambassador")
        self.login(self.alice)
        self.addCleanup(translation.deactivate)
        for language, day in (("en", "March 12, 2026"), ("fr", "12 mars 2026")):
            self.alice.language = language
            self.alice.save(update_fields=["language"])
            for path in ("/o/acme/audit/", f"/o/acme/members/{ava.pk}/"):
                page = self.client.get(path).content.decode()
                self.assertIn(day, page, (language, path))
                # One format: never 03/12/2026 beside March 12, 2026.
                self.assertIsNone(re.search(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b", page), path)
            with translation.override(language):
                self.assertEqual(percentage(30), {"en": "30%", "fr": "30 %"}[language])
