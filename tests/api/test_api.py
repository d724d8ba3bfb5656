"""The JSON API: OpenAPI document, bearer tokens, roles and isolation."""

from __future__ import annotations

from io import StringIO

from django.core.management import CommandError, call_command
from openapi_spec_validator import validate

from chorus.api.models import Token
from chorus.orgs.models import Membership
from tests.base import OrgTestCase
from tests.factory import make_member, make_token


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


class OpenApiTests(OrgTestCase):
    def test_openapi_document_validates_as_openapi_3(self) -> None:
        response = self.client.get("/api/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        document = response.json()
        self.assertTrue(document["openapi"].startswith("3."))
        validate(document)
        self.assertIn("/api/v1/me", document["paths"])
        schemes = document["components"]["securitySchemes"]
        self.assertEqual(schemes["BearerToken"]["scheme"], "bearer")


class TokenCommandTests(OrgTestCase):
    def create(self, *args: str) -> str:
        out = StringIO()
        call_command("token", "create", *args, stdout=out)
        return out.getvalue().strip()

    def test_a_token_from_the_command_works_and_a_revoked_one_gets_401(self) -> None:
        raw = self.create("--email", "AMY@acme.example")
        response = self.client.get("/api/v1/me", **bearer(raw))
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["email"], "amy@acme.example")
        self.assertEqual(body["organization"]["slug"], "acme")
        self.assertEqual(body["role"], "ambassador")
        token = Token.objects.get(user=self.amy)
        self.login(self.amy)
        self.client.post(f"/profile/tokens/{token.pk}/revoke/")
        self.client.logout()
        self.assertEqual(self.client.get("/api/v1/me", **bearer(raw)).status_code, 401)

    def test_the_org_must_be_named_when_the_person_has_several(self) -> None:
        make_member(self.other_org, user=self.amy)
        with self.assertRaises(CommandError):
            self.create("--email", "amy@acme.example")
        raw = self.create("--email", "amy@acme.example", "--org", "globex")
        self.assertEqual(
            self.client.get("/api/v1/me", **bearer(raw)).json()["organization"]["slug"], "globex"
        )

    def test_unknown_person_or_org_is_an_error(self) -> None:
        with self.assertRaises(CommandError):
            self.create("--email", "nobody@acme.example")
        with self.assertRaises(CommandError):
            self.create("--email", "amy@acme.example", "--org", "globex")

    def test_only_a_hash_is_stored(self) -> None:
        raw = self.create("--email", "amy@acme.example")
        self.assertFalse(Token.objects.filter(key_hash=raw).exists())
        self.assertNotIn(raw, str(list(Token.objects.values())))


class ApiAuthTests(OrgTestCase):
    def test_missing_malformed_or_unknown_tokens_get_401(self) -> None:
        self.assertEqual(self.client.get("/api/v1/me").status_code, 401)
        for header in ("Bearer", "Bearer nope", "Token chorus_x", "Bearer chorus_unknown"):
            response = self.client.get("/api/v1/me", HTTP_AUTHORIZATION=header)
            self.assertEqual(response.status_code, 401, header)

    def test_a_session_alone_does_not_authenticate_the_api(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get("/api/v1/me").status_code, 401)

    def test_token_stops_working_when_the_membership_ends(self) -> None:
        _token, raw = make_token(self.amy_m)
        Membership.objects.filter(pk=self.amy_m.pk).update(is_active=False)
        self.assertEqual(self.client.get("/api/v1/me", **bearer(raw)).status_code, 401)

    def test_token_stops_working_when_the_account_is_deactivated(self) -> None:
        _token, raw = make_token(self.amy_m)
        self.amy.is_active = False
        self.amy.save()
        self.assertEqual(self.client.get("/api/v1/me", **bearer(raw)).status_code, 401)

    def test_last_use_is_recorded(self) -> None:
        token, raw = make_token(self.amy_m)
        self.client.get("/api/v1/me", **bearer(raw))
        token.refresh_from_db()
        self.assertIsNotNone(token.last_used_at)


class ApiRoleTests(OrgTestCase):
    def test_members_need_program_manager(self) -> None:
        raw = make_token(self.amy_m)[1]
        self.assertEqual(self.client.get("/api/v1/members", **bearer(raw)).status_code, 403)
        raw = make_token(self.paul_m)[1]
        response = self.client.get("/api/v1/members", **bearer(raw))
        self.assertEqual(response.status_code, 200)
        emails = {member["email"] for member in response.json()}
        self.assertIn("amy@acme.example", emails)
        self.assertNotIn("oscar@globex.example", emails)

    def test_teams_follow_the_role(self) -> None:
        other = make_member(self.org, "team_manager")
        raw = make_token(other)[1]
        self.assertEqual(self.client.get("/api/v1/teams", **bearer(raw)).json(), [])
        self.assertEqual(
            self.client.get(f"/api/v1/teams/{self.team.pk}", **bearer(raw)).status_code, 403
        )
        raw = make_token(self.maya_m)[1]
        self.assertEqual(
            [t["name"] for t in self.client.get("/api/v1/teams", **bearer(raw)).json()], ["Sales"]
        )

    def test_another_orgs_ids_are_404(self) -> None:
        raw = make_token(self.alice_m)[1]
        self.assertEqual(
            self.client.get(f"/api/v1/teams/{self.other_team.pk}", **bearer(raw)).status_code, 404
        )
        self.assertEqual(
            self.client.get(f"/api/v1/members/{self.oscar_m.pk}", **bearer(raw)).status_code, 404
        )
        self.assertEqual(self.client.get("/api/v1/members/abc", **bearer(raw)).status_code, 422)

    def test_one_member_needs_a_program_manager_and_says_why_in_json(self) -> None:
        ambassador = make_token(self.amy_m)[1]
        response = self.client.get(f"/api/v1/members/{self.maya_m.pk}", **bearer(ambassador))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json(), {"detail": "Your role does not allow this."})
        # Someone of another organisation is not there at all, whatever the role.
        response = self.client.get(f"/api/v1/members/{self.oscar_m.pk}", **bearer(ambassador))
        self.assertEqual(response.status_code, 404)
        manager = make_token(self.paul_m)[1]
        response = self.client.get(f"/api/v1/members/{self.maya_m.pk}", **bearer(manager))
        self.assertEqual(response.json()["email"], self.maya.email)


class ProfileTokenTests(OrgTestCase):
    def test_create_list_and_revoke_in_the_profile(self) -> None:
        self.login(self.amy)
        response = self.client.post(
            "/profile/tokens/", {"name": "my script", "membership": self.amy_m.pk}, follow=True
        )
        self.assertContains(response, "my script")
        raw = response.context["new_token"]
        self.assertTrue(raw.startswith("chorus_"))
        self.assertEqual(self.client.get("/api/v1/me", **bearer(raw)).status_code, 200)
        # The raw value is shown once only.
        self.assertNotContains(self.client.get("/profile/"), raw)
        token = Token.objects.get(user=self.amy)
        self.client.post(f"/profile/tokens/{token.pk}/revoke/")
        self.assertEqual(self.client.get("/api/v1/me", **bearer(raw)).status_code, 401)
        self.assertContains(self.client.get("/profile/"), "Revoked")

    def test_cannot_create_for_an_org_i_am_not_in_or_revoke_someone_elses(self) -> None:
        self.login(self.amy)
        self.client.post("/profile/tokens/", {"name": "x", "membership": self.oscar_m.pk})
        self.assertFalse(Token.objects.exists())
        token, _raw = make_token(self.alice_m)
        self.assertEqual(self.client.post(f"/profile/tokens/{token.pk}/revoke/").status_code, 404)
        token.refresh_from_db()
        self.assertIsNone(token.revoked_at)
        self.assertEqual(self.client.get(f"/profile/tokens/{token.pk}/revoke/").status_code, 405)
