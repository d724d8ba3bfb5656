"""Security baseline: CSP, CSRF, rate-limited logins, password rules, production settings."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from django.test import Client, override_settings

from chorus.lib import env
from tests.base import OrgTestCase
from tests.factory import PASSWORD

SETTINGS_SHOWN = (
    "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
    "getattr(s, 'SECURE_HSTS_SECONDS', 0))"
)


def run_settings(show: str = SETTINGS_SHOWN, **environ: str) -> subprocess.CompletedProcess[str]:
    """Import chorus.settings in a fresh interpreter with the given environment, then run
    `show` (Python, with the settings as `s`); CHORUS_VAR_DIR is a new empty directory unless
    given."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CHORUS_", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"))
    }
    clean["DJANGO_SETTINGS_MODULE"] = "chorus.settings"
    clean["CHORUS_ENV_FILE"] = os.devnull
    clean.update(environ)
    var_dir = clean.setdefault("CHORUS_VAR_DIR", tempfile.mkdtemp(prefix="chorus-settings-"))
    code = "import django; django.setup(); from django.conf import settings as s; " + show
    try:
        return subprocess.run(
            [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60
        )
    finally:
        if "CHORUS_VAR_DIR" not in environ:
            for path in Path(var_dir).iterdir():
                path.unlink()
            Path(var_dir).rmdir()


SCALE_OUT = "postgres://postgres@127.0.0.1:5432/unused"


class ProductionSettingsTests(OrgTestCase):
    def test_production_refuses_to_start_without_secret_key(self) -> None:
        result = run_settings(DATABASE_URL=SCALE_OUT)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY is not set", result.stderr)
        result = run_settings(REDIS_URL="redis://127.0.0.1:6379/0")
        self.assertIn("SECRET_KEY is not set", result.stderr)

    def test_the_embedded_profile_reads_the_key_the_set_up_made(self) -> None:
        with tempfile.TemporaryDirectory() as var_dir:
            key_file = Path(var_dir) / "secret_key"
            key_file.write_text("s" * 60 + "\n")
            show_key = "print(s.SECRET_KEY)"
            result = run_settings(show_key, CHORUS_VAR_DIR=var_dir)
            self.assertEqual(result.stdout.strip(), "s" * 60, result.stderr)
            # Without a key file, the first start makes one that only its owner reads.
            key_file.unlink()
            first = run_settings(show_key, CHORUS_VAR_DIR=var_dir)
            second = run_settings(show_key, CHORUS_VAR_DIR=var_dir)
            self.assertGreaterEqual(len(first.stdout.strip()), 50, first.stderr)
            self.assertEqual(first.stdout, second.stdout)
            self.assertEqual(stat.S_IMODE(key_file.stat().st_mode), 0o600)

    def test_short_secret_key_is_refused(self) -> None:
        result = run_settings(SECRET_KEY="short")
        self.assertIn("at least 32 characters", result.stderr)

    def test_debug_is_off_unless_asked(self) -> None:
        result = run_settings(SECRET_KEY="k" * 50)
        self.assertEqual(result.stdout.split()[0], "False", result.stderr)
        result = run_settings(CHORUS_DEBUG="1")
        self.assertEqual(result.stdout.split()[0], "True", result.stderr)

    def test_https_turns_on_secure_cookies_and_hsts(self) -> None:
        result = run_settings(SECRET_KEY="k" * 50, CHORUS_HTTPS="1")
        self.assertEqual(
            result.stdout.split(), ["False", "True", "True", "31536000"], result.stderr
        )

    def test_a_bad_value_fails_loudly(self) -> None:
        result = run_settings(SECRET_KEY="k" * 50, CHORUS_DEBUG="maybe")
        self.assertIn("CHORUS_DEBUG must be a boolean", result.stderr)
        result = run_settings(SECRET_KEY="k" * 50, DATABASE_URL="mysql://x")
        self.assertIn("DATABASE_URL must be a URL", result.stderr)


class EnvHelperTests(OrgTestCase):
    def test_helpers_parse_and_reject(self) -> None:
        from django.core.exceptions import ImproperlyConfigured

        os.environ["CHORUS_TEST_VALUE"] = "12"
        try:
            self.assertEqual(env.env_int("CHORUS_TEST_VALUE", 1), 12)
            with self.assertRaises(ImproperlyConfigured):
                env.env_int("CHORUS_TEST_VALUE", 1, minimum=20)
            os.environ["CHORUS_TEST_VALUE"] = "a, b,,c"
            self.assertEqual(env.env_list("CHORUS_TEST_VALUE"), ["a", "b", "c"])
            with self.assertRaises(ImproperlyConfigured):
                env.env_int("CHORUS_TEST_VALUE", 1)
            with self.assertRaises(ImproperlyConfigured):
                env.env_choice("CHORUS_TEST_VALUE", "x", ("x", "y"))
            os.environ["CHORUS_TEST_VALUE"] = "no"
            self.assertFalse(env.env_bool("CHORUS_TEST_VALUE", True))
        finally:
            del os.environ["CHORUS_TEST_VALUE"]
        self.assertTrue(env.env_bool("CHORUS_TEST_VALUE", True))


class HeaderTests(OrgTestCase):
    def test_pages_send_a_strict_csp_and_contain_no_inline_script(self) -> None:
        self.login(self.alice)
        for url in (
            "/accounts/login/",
            "/o/acme/",
            "/o/acme/members/",
            "/profile/",
            "/o/acme/audit/",
        ):
            client = Client() if url == "/accounts/login/" else self.client
            response = client.get(url)
            csp = response["Content-Security-Policy"]
            self.assertIn("script-src 'self'", csp)
            self.assertNotIn("unsafe-inline", csp)
            self.assertNotIn("unsafe-eval", csp)
            scripts = re.findall(r"<script\b([^>]*)>", response.content.decode())
            self.assertTrue(scripts, url)
            for attributes in scripts:
                self.assertIn("src=", attributes, f"inline script on {url}")
            self.assertNotRegex(
                response.content.decode(), r"\son[a-z]+=\"", f"inline handler on {url}"
            )
            self.assertEqual(response["X-Frame-Options"], "DENY")
            self.assertEqual(response["X-Content-Type-Options"], "nosniff")


class CsrfTests(OrgTestCase):
    def test_posts_without_a_csrf_token_are_refused(self) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.alice)
        response = client.post("/o/acme/teams/", {"name": "Sneaky"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.org.teams.filter(name="Sneaky").exists())
        response = client.post(
            "/accounts/login/", {"login": "alice@acme.example", "password": PASSWORD}
        )
        self.assertEqual(response.status_code, 403)


class LoginTests(OrgTestCase):
    def test_login_by_email_case_insensitive(self) -> None:
        response = self.client.post(
            "/accounts/login/", {"login": "Alice@Acme.Example", "password": PASSWORD}
        )
        self.assertEqual(response.status_code, 302)
        self.assertRedirects(self.client.get("/"), "/o/acme/")

    @override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "5/5m/key"})
    def test_failed_logins_are_rate_limited(self) -> None:
        for _ in range(5):
            response = self.client.post(
                "/accounts/login/", {"login": "alice@acme.example", "password": "wrong"}
            )
            self.assertEqual(response.status_code, 200)
        response = self.client.post(
            "/accounts/login/", {"login": "alice@acme.example", "password": PASSWORD}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Too many failed login attempts")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_password_reset_by_email_and_validators(self) -> None:
        from django.core import mail

        self.client.post("/accounts/password/reset/", {"email": "amy@acme.example"})
        self.assertEqual(len(mail.outbox), 1)
        link = re.search(
            r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body
        )
        self.assertIsNotNone(link)
        form_page = self.client.get(link.group(1), follow=True)  # type: ignore[union-attr]
        action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1)  # type: ignore[union-attr]
        weak = self.client.post(action, {"password1": "12345678", "password2": "12345678"})
        self.assertEqual(weak.status_code, 200)
        self.assertContains(weak, "too short")
        strong = "a-much-better-passphrase-42"
        done = self.client.post(action, {"password1": strong, "password2": strong})
        self.assertEqual(done.status_code, 302)
        self.amy.refresh_from_db()
        self.assertTrue(self.amy.check_password(strong))

    def test_public_signup_is_closed(self) -> None:
        response = self.client.post(
            "/accounts/signup/",
            {"email": "x@y.example", "password1": "a-good-pass-77", "password2": "a-good-pass-77"},
        )
        self.assertContains(response, "closed", status_code=200)
        from django.contrib.auth import get_user_model

        self.assertFalse(get_user_model().objects.filter(email="x@y.example").exists())
