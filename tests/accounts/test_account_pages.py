"""Sign-in, sign-out and password pages: in the product's look (its form markup, one card),
in the person's language, with no sign-up link while sign-up is closed, and allauth's
messages in the person's language even when the browser asks for another."""

from __future__ import annotations

import re

from django.contrib.messages import get_messages
from django.core import mail

from tests.base import OrgTestCase


class AccountPagesTests(OrgTestCase):
    def test_each_page_wears_the_product_look_without_a_sign_up_link(self) -> None:
        for url in ("/accounts/login/", "/accounts/password/reset/"):
            page = self.client.get(url, HTTP_ACCEPT_LANGUAGE="en")
            self.assertContains(page, 'class="entrance-page"', msg_prefix=url)
            self.assertContains(page, 'class="entrance"', msg_prefix=url)
            self.assertContains(page, 'class="field', msg_prefix=url)
            self.assertContains(page, "/static/dist/app.css", msg_prefix=url)
            self.assertNotContains(page, "/accounts/signup/", msg_prefix=url)
            self.assertNotContains(page, "Sign Up", msg_prefix=url)
        self.login(self.amy)
        for url in ("/accounts/logout/", "/accounts/password/change/"):
            page = self.client.get(url)
            self.assertContains(page, 'class="entrance"', msg_prefix=url)
            self.assertContains(page, 'class="entrance-page"', msg_prefix=url)

    def test_the_pages_come_in_french(self) -> None:
        page = self.client.get("/accounts/password/reset/", HTTP_ACCEPT_LANGUAGE="fr")
        self.assertContains(page, "Réinitialisation du mot de passe")
        self.assertContains(page, '<html lang="fr">')
        self.amy.language = "fr"
        self.amy.save()
        self.login(self.amy)
        page = self.client.get("/accounts/password/change/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(page, "Modifier le mot de passe")

    def test_a_password_reset_message_comes_in_the_persons_language(self) -> None:
        self.amy.language = "fr"
        self.amy.save()
        english = {"HTTP_ACCEPT_LANGUAGE": "en"}
        self.client.post("/accounts/password/reset/", {"email": "amy@acme.example"}, **english)
        link = re.search(
            r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body
        )
        assert link is not None
        form_page = self.client.get(link.group(1), follow=True, **english)
        action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1)
        strong = "a-much-better-passphrase-42"
        done = self.client.post(action, {"password1": strong, "password2": strong}, **english)
        self.assertEqual(done.status_code, 302)
        said = [str(message) for message in get_messages(done.wsgi_request)]
        self.assertIn("Mot de passe modifié avec succès.", said)
        self.assertFalse(any("Successfully signed in" in text for text in said), said)
