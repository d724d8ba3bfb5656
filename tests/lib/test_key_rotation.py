"""`chorus rotate-keys` re-encrypts every stored secret, whichever app keeps it."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.management import call_command
from django.db import connection as db_connection
from django.test import TestCase, override_settings

from chorus.lib import crypto
from chorus.sharing.models import Connection, MastodonApp
from chorus.sso.models import IdentityProvider
from chorus.webhooks.models import Endpoint
from tests.factory import make_connection, make_member, make_org

NEW_KEY = "a-brand-new-key-for-rotation-tests-0002"


def raw(table: str, column: str, pk: int) -> str:
    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


class RotateKeysTests(TestCase):
    def setUp(self) -> None:
        org = make_org()
        member = make_member(org)
        self.connection = make_connection(member, "mastodon", access_token="social-token")
        self.app = MastodonApp.objects.create(
            instance="mastodon.example", secrets={"client_secret": "app-secret"}
        )
        self.endpoint = Endpoint(org=org, url="https://hooks.example.com/in", events=["x"])
        self.endpoint.secret = "whsec_signing"
        self.endpoint.save()
        self.provider = IdentityProvider(org=org, provider_id=f"org-{org.slug}", name="IdP")
        self.provider.client_secret = "oidc-client-secret"
        self.provider.save()

    def test_every_secret_column_is_found(self) -> None:
        columns = {(model, column) for model, column in crypto.encrypted_columns()}
        self.assertIn((Connection, "credentials"), columns)
        self.assertIn((MastodonApp, "secrets"), columns)
        self.assertIn((Endpoint, "secret_encrypted"), columns)
        self.assertIn((IdentityProvider, "client_secret_encrypted"), columns)

    def test_after_rotation_only_the_new_key_is_needed(self) -> None:
        before = raw("webhooks_endpoint", "secret_encrypted", self.endpoint.pk)
        with override_settings(CHORUS_ENCRYPTION_KEYS=[NEW_KEY, settings.SECRET_KEY]):
            out = io.StringIO()
            call_command("rotate-keys", stdout=out)
            self.assertIn("4 secrets re-encrypted", out.getvalue())
        self.assertNotEqual(raw("webhooks_endpoint", "secret_encrypted", self.endpoint.pk), before)
        with override_settings(CHORUS_ENCRYPTION_KEYS=[NEW_KEY]):
            self.assertEqual(
                Connection.objects.get(pk=self.connection.pk).credentials["access_token"],
                "social-token",
            )
            self.assertEqual(
                MastodonApp.objects.get(pk=self.app.pk).secrets["client_secret"], "app-secret"
            )
            self.assertEqual(Endpoint.objects.get(pk=self.endpoint.pk).secret, "whsec_signing")
            self.assertEqual(
                IdentityProvider.objects.get(pk=self.provider.pk).client_secret,
                "oidc-client-secret",
            )

    def test_a_missing_old_key_changes_nothing(self) -> None:
        before = raw("sso_identityprovider", "client_secret_encrypted", self.provider.pk)
        with (
            override_settings(CHORUS_ENCRYPTION_KEYS=[NEW_KEY]),
            self.assertRaises(ValueError),
        ):
            call_command("rotate-keys", stdout=io.StringIO())
        self.assertEqual(
            raw("sso_identityprovider", "client_secret_encrypted", self.provider.pk), before
        )
