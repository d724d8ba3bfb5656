"""SCIM 2.0 at /scim/v2/<org>/: tokens, Users, Groups, and what deactivation does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chorus.accounts.models import User
from chorus.analytics import rollups
from chorus.api.models import Token
from chorus.orgs.models import AuditEntry, Membership, Role, Team
from chorus.program.models import Participation
from chorus.scim.models import ScimSettings, ScimToken, ScimUser, hash_token
from chorus.scim.tokens import do_create_scim_token, do_revoke_scim_token
from chorus.sharing.models import Share
from tests.base import OrgTestCase
from tests.factory import (
    PASSWORD,
    last_30_days_figures,
    make_attributed_results,
    make_item,
    make_member,
    make_share,
    make_team,
    make_token,
    make_user,
)

NOON = datetime(2026, 5, 12, 10, 0, tzinfo=UTC)
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def new_user(user_name: str, email: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"schemas": [USER], "userName": user_name, "active": True}
    body["emails"] = [{"value": email or user_name, "type": "work", "primary": True}]
    body.update(fields)
    return body


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


class ScimTestCase(OrgTestCase):
    """Acme's directory holds a token; so does Globex's."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.scim_token, cls.raw = do_create_scim_token(cls.org, cls.alice, "Okta")
        cls.globex_token, cls.globex_raw = do_create_scim_token(cls.other_org, None, "Entra")

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        org: str = "acme",
        **query: Any,
    ) -> Any:
        url = f"/scim/v2/{org}/{path}"
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.raw if token is None else token}"}
        if query:
            from urllib.parse import urlencode

            url += "?" + urlencode(query)
        data = json.dumps(body) if body is not None else None
        return getattr(Client(), method)(
            url, data=data, content_type="application/scim+json", **headers
        )

    def assertScimError(self, response: Any, status: int, scim_type: str | None = None) -> None:
        self.assertEqual(response.status_code, status, response.content)
        self.assertEqual(response["Content-Type"], "application/scim+json")
        body = response.json()
        self.assertEqual(body["schemas"], [ERROR])
        self.assertEqual(body["status"], str(status))
        self.assertTrue(body["detail"])
        if scim_type is not None:
            self.assertEqual(body["scimType"], scim_type)


class TokenTests(ScimTestCase):
    def snapshot(self) -> tuple[Any, ...]:
        return (
            list(Membership.objects.values_list("pk", "is_active", "team_id").order_by("pk")),
            list(User.objects.values_list("pk", "email", "first_name", "is_active").order_by("pk")),
            list(Team.objects.values_list("pk", "name").order_by("pk")),
            ScimUser.objects.count(),
        )

    def attempts(self, token: str, org: str = "acme") -> list[Any]:
        return [
            self.call("get", "Users", token=token, org=org),
            self.call("get", "ServiceProviderConfig", token=token, org=org),
            self.call("post", "Users", new_user("eve@acme.example"), token=token, org=org),
            self.call(
                "patch",
                f"Users/{self.amy_m.pk}",
                patch({"op": "replace", "path": "active", "value": False}),
                token=token,
                org=org,
            ),
            self.call(
                "put", f"Users/{self.amy_m.pk}", new_user("x@acme.example"), token=token, org=org
            ),
            self.call("delete", f"Users/{self.amy_m.pk}", token=token, org=org),
            self.call(
                "post", "Groups", {"schemas": [GROUP], "displayName": "X"}, token=token, org=org
            ),
            self.call("delete", f"Groups/{self.team.pk}", token=token, org=org),
        ]

    def test_wrong_revoked_or_other_organisations_token_is_401_and_changes_nothing(self) -> None:
        revoked, revoked_raw = do_create_scim_token(self.org, self.alice, "old")
        do_revoke_scim_token(self.alice, revoked)
        api_raw = make_token(self.alice_m)[1]  # a person's API token is not a SCIM token
        before = self.snapshot()
        for label, token, org in (
            ("wrong", ScimToken.PREFIX + "not-a-token", "acme"),
            ("empty", "", "acme"),
            ("revoked", revoked_raw, "acme"),
            ("other organisation's", self.globex_raw, "acme"),
            ("API token", api_raw, "acme"),
            ("unknown organisation", self.raw, "nowhere"),
        ):
            for response in self.attempts(token, org):
                with self.subTest(label, path=response.request["PATH_INFO"]):
                    self.assertScimError(response, 401)
                    self.assertEqual(response["WWW-Authenticate"], 'Bearer realm="SCIM"')
        no_header = Client().get("/scim/v2/acme/Users")
        self.assertScimError(no_header, 401)
        self.assertEqual(self.snapshot(), before)

    def test_tokens_are_stored_hashed_and_last_use_noted(self) -> None:
        self.assertTrue(self.raw.startswith("chorus_scim_"))
        stored = ScimToken.objects.get(pk=self.scim_token.pk)
        self.assertEqual(stored.key_hash, hash_token(self.raw))
        self.assertNotIn(
            self.raw, json.dumps(list(ScimToken.objects.values()), default=str), "raw kept"
        )
        self.assertIsNone(stored.last_used_at)
        self.assertEqual(self.call("get", "Users").status_code, 200)
        stored.refresh_from_db()
        self.assertIsNotNone(stored.last_used_at)
        self.assertTrue(AuditEntry.objects.filter(action="scim.token.create").exists())

    def test_revoking_stops_it_at_once(self) -> None:
        self.assertEqual(self.call("get", "Users").status_code, 200)
        do_revoke_scim_token(self.alice, self.scim_token)
        self.assertScimError(self.call("get", "Users"), 401)
        self.assertEqual(AuditEntry.objects.filter(action="scim.token.revoke").count(), 1)
        do_revoke_scim_token(self.alice, self.scim_token)  # twice: nothing more
        self.assertEqual(AuditEntry.objects.filter(action="scim.token.revoke").count(), 1)


class CommandTests(ScimTestCase):
    def test_prints_a_working_token_once(self) -> None:
        out, err = StringIO(), StringIO()
        call_command("scim-token", "--org", "globex", "--name", "Okta", stdout=out, stderr=err)
        raw = out.getvalue().strip()
        self.assertTrue(raw.startswith("chorus_scim_"))
        self.assertIn("/scim/v2/globex/", err.getvalue())
        token = ScimToken.objects.get(key_hash=hash_token(raw))
        self.assertEqual((token.org, token.name), (self.other_org, "Okta"))
        response = self.call("get", "Users", token=raw, org="globex")
        self.assertEqual(response.status_code, 200)
        emails = [u["userName"] for u in response.json()["Resources"]]
        self.assertEqual(emails, ["oscar@globex.example"])
        self.assertScimError(self.call("get", "Users", token=raw, org="acme"), 401)
        entry = AuditEntry.objects.get(action="scim.token.create", target_id=str(token.pk))
        self.assertIsNone(entry.actor)

    def test_unknown_organisation(self) -> None:
        with self.assertRaisesMessage(CommandError, "No organisation"):
            call_command("scim-token", "--org", "nowhere", stdout=StringIO())
        with self.assertRaises(CommandError):
            call_command("scim-token", stdout=StringIO())
        self.assertEqual(ScimToken.objects.count(), 2)


class DiscoveryTests(ScimTestCase):
    def test_discovery_documents(self) -> None:
        config = self.call("get", "ServiceProviderConfig")
        self.assertEqual(config["Content-Type"], "application/scim+json")
        body = config.json()
        self.assertTrue(body["patch"]["supported"])
        self.assertTrue(body["filter"]["supported"])
        self.assertFalse(body["bulk"]["supported"])
        self.assertEqual(body["authenticationSchemes"][0]["type"], "oauthbearertoken")
        types = self.call("get", "ResourceTypes").json()
        self.assertEqual({r["name"] for r in types["Resources"]}, {"User", "Group"})
        schemas = self.call("get", "Schemas").json()
        ids = {s["id"] for s in schemas["Resources"]}
        self.assertIn(USER, ids)
        self.assertIn(GROUP, ids)
        self.assertEqual(self.call("get", f"Schemas/{USER}").json()["name"], "User")
        self.assertScimError(self.call("get", "Schemas/urn:nothing"), 404)
        self.assertScimError(self.call("post", "ServiceProviderConfig", {}), 405)
        self.assertScimError(self.call("get", "Nothing/here"), 404)
        self.assertScimError(self.call("post", ".search", {}), 501)


class UserTests(ScimTestCase):
    def test_create_read_replace_patch_delete(self) -> None:
        created = self.call(
            "post",
            "Users",
            new_user("eve", "Eve@Acme.example", name={"givenName": "Eve", "familyName": "Smith"}),
        )
        self.assertEqual(created.status_code, 201, created.content)
        body = created.json()
        member = Membership.objects.get(org=self.org, user__email="eve@acme.example")
        self.assertEqual(body["id"], str(member.pk))
        self.assertEqual(created["Location"], f"http://testserver/scim/v2/acme/Users/{member.pk}")
        self.assertEqual(body["meta"]["location"], created["Location"])
        self.assertEqual((body["userName"], body["active"]), ("eve", True))
        self.assertEqual(member.role, Role.AMBASSADOR)
        self.assertEqual(member.user.get_full_name(), "Eve Smith")
        self.assertFalse(member.user.has_usable_password())
        self.assertFalse(Participation.objects.filter(membership=member).exists())
        entry = AuditEntry.objects.get(action="member.add", target_id=str(member.pk))
        self.assertEqual((entry.actor, entry.actor_email), (None, "SCIM: Okta"))

        read = self.call("get", f"Users/{member.pk}").json()
        self.assertEqual(read["name"], {"givenName": "Eve", "familyName": "Smith"})
        self.assertEqual(read["emails"][0]["value"], "Eve@Acme.example")

        replaced = self.call(
            "put",
            f"Users/{member.pk}",
            new_user("eve.s", "eve.smith@acme.example", externalId="00u1"),
        )
        self.assertEqual(replaced.status_code, 200, replaced.content)
        member.user.refresh_from_db()
        self.assertEqual(member.user.email, "eve.smith@acme.example")
        self.assertEqual(member.user.get_full_name(), "")  # PUT replaces: no name given
        self.assertEqual(replaced.json()["externalId"], "00u1")

        patched = self.call(
            "patch",
            f"Users/{member.pk}",
            patch({"op": "add", "path": "name.givenName", "value": "Evelyn"}),
        )
        self.assertEqual(patched.status_code, 200, patched.content)
        self.assertEqual(patched.json()["name"], {"givenName": "Evelyn"})

        self.assertEqual(self.call("delete", f"Users/{member.pk}").status_code, 204)
        self.assertScimError(self.call("get", f"Users/{member.pk}"), 404)
        self.assertScimError(self.call("delete", f"Users/{member.pk}"), 404)
        member.refresh_from_db()
        self.assertFalse(member.is_active)  # deactivated, kept for the organisation's history
        # Created again: the same person comes back, active.
        again = self.call("post", "Users", new_user("eve.s", "eve.smith@acme.example"))
        self.assertEqual(again.status_code, 201, again.content)
        self.assertEqual(again.json()["id"], str(member.pk))
        member.refresh_from_db()
        self.assertTrue(member.is_active)

    def test_members_added_by_hand_are_users_found_by_user_name(self) -> None:
        found = self.call("get", "Users", filter='userName eq "AMY@acme.example"').json()
        self.assertEqual(found["totalResults"], 1)
        self.assertEqual(found["Resources"][0]["id"], str(self.amy_m.pk))
        self.assertEqual(found["Resources"][0]["userName"], "amy@acme.example")
        none = self.call("get", "Users", filter='userName eq "oscar@globex.example"').json()
        self.assertEqual((none["totalResults"], none.get("Resources", [])), (0, []))
        # The directory takes over a member added by hand when it creates the same address.
        response = self.call("post", "Users", new_user("amy", "amy@acme.example"))
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["id"], str(self.amy_m.pk))
        self.assertEqual(Membership.objects.filter(user=self.amy).count(), 1)

    def test_filters(self) -> None:
        created = self.call("post", "Users", new_user("eve", "eve@acme.example", externalId="X1"))
        eve = created.json()["id"]

        def ids(expression: str) -> set[str]:
            response = self.call("get", "Users", filter=expression)
            self.assertEqual(response.status_code, 200, response.content)
            return {r["id"] for r in response.json().get("Resources", [])}

        self.assertEqual(ids('externalId eq "X1"'), {eve})
        self.assertEqual(ids('externalId eq "x1"'), set())  # externalId is case-exact
        self.assertEqual(ids('emails.value sw "EVE@"'), {eve})
        self.assertEqual(
            ids('userName eq "eve" or userName eq "paul@acme.example"'), {eve, str(self.paul_m.pk)}
        )
        acme = {
            str(pk) for pk in Membership.objects.filter(org=self.org).values_list("pk", flat=True)
        }
        self.assertEqual(ids('not (userName eq "eve")'), acme - {eve})
        self.assertEqual(ids("externalId pr"), {eve})
        self.assertEqual(ids(f'id eq "{eve}" and active eq true'), {eve})
        self.assertEqual(ids(f'id eq "{self.oscar_m.pk}"'), set())
        self.assertScimError(
            self.call("get", "Users", filter='userName gt "a"'), 400, "invalidFilter"
        )

    def test_pagination(self) -> None:
        for number in range(5):
            make_member(self.org, user=make_user(f"p{number}@acme.example"))
        total = Membership.objects.filter(org=self.org).count()
        page = self.call("get", "Users", startIndex=2, count=3).json()
        self.assertEqual(page["schemas"], ["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
        self.assertEqual((page["totalResults"], page["startIndex"]), (total, 2))
        self.assertEqual(page["itemsPerPage"], 3)
        expected = list(
            Membership.objects.filter(org=self.org).order_by("pk").values_list("pk", flat=True)
        )
        self.assertEqual([int(r["id"]) for r in page["Resources"]], expected[1:4])
        last = self.call("get", "Users", startIndex=total, count=10).json()
        self.assertEqual([int(r["id"]) for r in last["Resources"]], expected[-1:])
        counted = self.call("get", "Users", count=0).json()
        self.assertEqual((counted["totalResults"], counted.get("Resources", [])), (total, []))
        self.assertScimError(self.call("get", "Users", count="many"), 400, "invalidValue")
        far = self.call("get", "Users", startIndex=10**30, count=-3).json()
        self.assertEqual((far["totalResults"], far.get("Resources", [])), (total, []))
        beyond = self.call("get", "Users", startIndex=10**30).json()
        self.assertEqual((beyond["startIndex"], beyond.get("Resources", [])), (10**30, []))
        only = self.call("get", "Users", attributes="userName", count=1).json()["Resources"][0]
        self.assertEqual(set(only) - {"schemas", "id"}, {"userName"})

    def test_lists_take_the_same_queries_whatever_their_length(self) -> None:
        def queries(path: str) -> int:
            with CaptureQueriesContext(connection) as captured:
                self.assertEqual(self.call("get", path).status_code, 200)
            return len(captured)

        queries("Users")  # the token's first use is noted once a minute: not counted
        users, groups = queries("Users"), queries("Groups")
        for number in range(6):
            team = make_team(self.org, f"Team {number}")
            make_member(self.org, user=make_user(f"q{number}@acme.example"), team=team)
        self.assertEqual(queries("Users"), users)
        self.assertEqual(queries("Groups"), groups)

    def test_bad_input_is_refused_and_changes_nothing(self) -> None:
        before = Membership.objects.count(), User.objects.count()
        duplicate = self.call("post", "Users", new_user("dup@acme.example"))
        self.assertEqual(duplicate.status_code, 201)
        before = Membership.objects.count(), User.objects.count()
        self.assertScimError(
            self.call("post", "Users", new_user("DUP@acme.example", "other@acme.example")),
            409,
            "uniqueness",
        )
        self.assertScimError(self.call("post", "Users", new_user("not-an-address")), 400)
        self.assertScimError(self.call("post", "Users", {"schemas": [USER]}), 400)
        self.assertScimError(self.call("post", "Users", ["a list"]), 400, "invalidSyntax")
        response = Client().post(
            "/scim/v2/acme/Users",
            data=b"{not json",
            content_type="application/scim+json",
            HTTP_AUTHORIZATION=f"Bearer {self.raw}",
        )
        self.assertScimError(response, 400, "invalidSyntax")
        self.assertScimError(
            self.call("get", "Users", filter='userName eq "x" and ('), 400, "invalidFilter"
        )
        self.assertScimError(self.call("get", "Users", filter='title eq "x"'), 400, "invalidFilter")
        self.assertScimError(self.call("get", "Users/999999"), 404)
        self.assertScimError(self.call("get", "Users/abc"), 404)
        self.assertScimError(self.call("get", f"Users/{self.oscar_m.pk}"), 404)
        self.assertScimError(
            self.call(
                "patch",
                f"Users/{self.amy_m.pk}",
                patch({"op": "replace", "path": "id", "value": 1}),
            ),
            400,
        )
        # A PUT giving Amy another member's address.
        self.assertScimError(
            self.call("put", f"Users/{self.amy_m.pk}", new_user("amy", "paul@acme.example")),
            409,
            "uniqueness",
        )
        self.assertEqual((Membership.objects.count(), User.objects.count()), before)
        self.amy.refresh_from_db()
        self.assertEqual(self.amy.email, "amy@acme.example")

    def test_an_account_shared_with_another_organisation_keeps_its_name(self) -> None:
        make_member(self.other_org, user=self.amy)
        response = self.call(
            "put", f"Users/{self.amy_m.pk}", new_user("amy@acme.example", name={"givenName": "A"})
        )
        self.assertScimError(response, 400, "mutability")
        self.amy.refresh_from_db()
        self.assertEqual(self.amy.first_name, "Amy")

    def test_the_last_admin_cannot_be_deactivated(self) -> None:
        response = self.call(
            "patch",
            f"Users/{self.alice_m.pk}",
            patch({"op": "replace", "path": "active", "value": False}),
        )
        self.assertScimError(response, 400, "mutability")
        self.alice_m.refresh_from_db()
        self.alice.refresh_from_db()
        self.assertTrue(self.alice_m.is_active and self.alice.is_active)


class GroupTests(ScimTestCase):
    def test_groups_are_teams(self) -> None:
        listed = self.call("get", "Groups", filter='displayName eq "sales"').json()
        self.assertEqual(listed["totalResults"], 1)
        sales = listed["Resources"][0]
        self.assertEqual(sales["id"], str(self.team.pk))
        self.assertEqual(
            {m["value"] for m in sales["members"]}, {str(self.maya_m.pk), str(self.amy_m.pk)}
        )
        created = self.call(
            "post",
            "Groups",
            {
                "schemas": [GROUP],
                "displayName": "Marketing",
                "externalId": "grp-1",
                "members": [{"value": str(self.amy_m.pk)}],
            },
        )
        self.assertEqual(created.status_code, 201, created.content)
        marketing = Team.objects.get(org=self.org, name="Marketing")
        self.amy_m.refresh_from_db()
        self.assertEqual(self.amy_m.team, marketing)  # one team per person: moved
        self.assertEqual(
            created.json()["members"][0]["$ref"].rsplit("/", 1)[-1], str(self.amy_m.pk)
        )

        added = self.call(
            "patch",
            f"Groups/{marketing.pk}",
            patch({"op": "add", "path": "members", "value": [{"value": str(self.paul_m.pk)}]}),
        )
        self.assertEqual(added.status_code, 200, added.content)
        self.assertEqual(
            set(marketing.members.values_list("pk", flat=True)), {self.amy_m.pk, self.paul_m.pk}
        )
        removed = self.call(
            "patch",
            f"Groups/{marketing.pk}",
            patch({"op": "remove", "path": f'members[value eq "{self.amy_m.pk}"]'}),
        )
        self.assertEqual(removed.status_code, 200, removed.content)
        self.assertEqual(list(marketing.members.values_list("pk", flat=True)), [self.paul_m.pk])

        self.assertScimError(
            self.call("post", "Groups", {"schemas": [GROUP], "displayName": "marketing"}),
            409,
            "uniqueness",
        )
        self.assertScimError(
            self.call(
                "post",
                "Groups",
                {
                    "schemas": [GROUP],
                    "displayName": "X",
                    "members": [{"value": str(self.oscar_m.pk)}],
                },
            ),
            400,
            "invalidValue",
        )
        self.assertFalse(Team.objects.filter(name="X").exists())
        self.assertScimError(self.call("get", f"Groups/{self.other_team.pk}"), 404)

        self.assertEqual(self.call("delete", f"Groups/{marketing.pk}").status_code, 204)
        self.paul_m.refresh_from_db()
        self.assertIsNone(self.paul_m.team)
        self.assertTrue(self.paul_m.is_active)
        self.assertTrue(
            AuditEntry.objects.filter(action="team.delete", actor_email="SCIM: Okta").exists()
        )


@time_machine.travel(NOON, tick=False)
class DeactivationTests(ScimTestCase):
    """Amy, an ambassador in the programme, is deprovisioned by the directory."""

    def setUp(self) -> None:
        self.colleague = make_member(self.org, Role.AMBASSADOR, team=self.team)
        make_attributed_results(self.org, [self.amy_m, self.colleague])
        self.scheduled = make_share(
            self.amy_m,
            make_item(self.org),
            status=Share.Status.SCHEDULED,
            scheduled_for=timezone.now() + timedelta(hours=3),
        )
        self.api_raw = make_token(self.amy_m)[1]
        self.browser = Client()
        self.assertTrue(self.browser.login(email="amy@acme.example", password=PASSWORD))
        self.assertEqual(self.browser.get(reverse("org_home", args=["acme"])).status_code, 200)

    def measures(self) -> dict[str, Any]:
        # Reach comes from the person's profile, which anonymising deletes.
        anonymising = ScimSettings.objects.filter(org=self.org, on_deactivation="anonymise")
        return last_30_days_figures(self.org, with_reach=not anonymising.exists())

    def assert_deprovisioned(self, before: dict[str, Any]) -> None:
        self.amy_m.refresh_from_db()
        self.amy.refresh_from_db()
        self.assertFalse(self.amy_m.is_active)
        # Signed out: the logged-in browser is sent to the sign-in page.
        home = self.browser.get(reverse("org_home", args=["acme"]))
        self.assertEqual(home.status_code, 302)
        self.assertIn(reverse("account_login"), home["Location"])
        # And cannot sign back in.
        self.assertFalse(Client().login(email="amy@acme.example", password=PASSWORD))
        self.assertFalse(self.amy.is_active)
        # API token refused.
        api = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {self.api_raw}")
        self.assertEqual(api.status_code, 401)
        self.assertIsNotNone(Token.objects.get(user=self.amy).revoked_at)
        # Scheduled share cancelled, programme left.
        self.scheduled.refresh_from_db()
        self.assertEqual(self.scheduled.status, Share.Status.CANCELLED)
        participation = Participation.objects.get(membership=self.amy_m)
        self.assertEqual(participation.status, Participation.Status.LEFT)
        # The figures keep what she did.
        rollups.refresh()
        self.assertEqual(self.measures(), before)
        entry = AuditEntry.objects.get(action="scim.user.deactivate", target_id=str(self.amy_m.pk))
        self.assertEqual(entry.actor_email, "SCIM: Okta")
        self.assertEqual(entry.changes["sessions_ended"], [None, 1])
        self.assertEqual(entry.changes["api_tokens_revoked"], [None, 1])
        leave = AuditEntry.objects.get(action="programme.leave", target_id=str(self.amy_m.pk))
        self.assertEqual(leave.actor_email, "SCIM: Okta")

    def test_active_false_deprovisions_keeping_attribution(self) -> None:
        before = self.measures()
        self.assertEqual(before["totals"]["shares"], 2)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.call(
                "patch",
                f"Users/{self.amy_m.pk}",
                patch({"op": "replace", "path": "active", "value": False}),
            )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertIs(response.json()["active"], False)
        self.assert_deprovisioned(before)
        published = Share.objects.get(membership=self.amy_m, status=Share.Status.PUBLISHED)
        self.assertEqual(published.text.split()[0], published.item.title.split()[0])
        # Still a SCIM User, inactive.
        self.assertIs(self.call("get", f"Users/{self.amy_m.pk}").json()["active"], False)
        inactive = self.call("get", "Users", filter="active eq false").json()
        self.assertEqual([r["id"] for r in inactive["Resources"]], [str(self.amy_m.pk)])

        # Reactivation restores access, not the programme.
        response = self.call(
            "patch",
            f"Users/{self.amy_m.pk}",
            patch({"op": "replace", "path": "active", "value": True}),
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.amy_m.refresh_from_db()
        self.assertTrue(self.amy_m.is_active)
        browser = Client()
        self.assertTrue(browser.login(email="amy@acme.example", password=PASSWORD))
        self.assertEqual(browser.get(reverse("org_home", args=["acme"])).status_code, 200)
        participation = Participation.objects.get(membership=self.amy_m)
        self.assertEqual(participation.status, Participation.Status.LEFT)
        self.assertTrue(AuditEntry.objects.filter(action="scim.user.reactivate").exists())

    def test_delete_deprovisions_and_anonymises_when_the_organisation_says_so(self) -> None:
        ScimSettings.objects.create(org=self.org, on_deactivation="anonymise")
        before = self.measures()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.call("delete", f"Users/{self.amy_m.pk}")
        self.assertEqual(response.status_code, 204)
        self.assert_deprovisioned(before)
        self.assertFalse(Share.objects.filter(membership=self.amy_m).exists())
        self.assertEqual(
            Share.objects.filter(membership=None, status=Share.Status.PUBLISHED).count(), 1
        )
        self.assertTrue(Participation.objects.get(membership=self.amy_m).anonymised)
        self.assertScimError(self.call("get", f"Users/{self.amy_m.pk}"), 404)

    def test_a_person_of_another_organisation_keeps_their_account(self) -> None:
        make_member(self.other_org, user=self.amy)
        response = self.call(
            "patch",
            f"Users/{self.amy_m.pk}",
            patch({"op": "replace", "path": "active", "value": False}),
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.amy.refresh_from_db()
        self.assertTrue(self.amy.is_active)  # Globex still has her
        self.assertEqual(self.browser.get(reverse("org_home", args=["acme"])).status_code, 302)
        browser = Client()
        self.assertTrue(browser.login(email="amy@acme.example", password=PASSWORD))
        self.assertEqual(browser.get(reverse("org_home", args=["acme"])).status_code, 404)


class SettingsPageTests(ScimTestCase):
    def url(self, org: str = "acme") -> str:
        return reverse("scim_settings", args=[org])

    def test_admin_makes_a_token_seen_once_and_revokes_it(self) -> None:
        self.login(self.alice)
        page = self.client.get(self.url())
        self.assertContains(page, "http://testserver/scim/v2/acme/")
        self.assertContains(page, self.scim_token.hint)
        made = self.client.post(self.url(), {"create": "1", "name": "Entra ID"})
        self.assertEqual(made.status_code, 200)
        raw = made.context["new_token"]
        self.assertContains(made, raw)
        token = ScimToken.objects.get(key_hash=hash_token(raw))
        self.assertEqual((token.org, token.name), (self.org, "Entra ID"))
        self.assertNotContains(self.client.get(self.url()), raw)
        self.assertEqual(self.call("get", "Users", token=raw).status_code, 200)
        revoke = reverse("scim_token_revoke", args=["acme", token.pk])
        self.assertEqual(self.client.get(revoke).status_code, 405)
        self.assertRedirects(self.client.post(revoke), self.url())
        self.assertScimError(self.call("get", "Users", token=raw), 401)
        bad = self.client.post(self.url(), {"create": "1", "name": ""})
        self.assertEqual(bad.status_code, 400)
        self.assertEqual(ScimToken.objects.filter(org=self.org).count(), 2)

    def test_the_departure_setting_is_saved_and_audited(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url(), {"save": "1", "on_deactivation": "anonymise"})
        self.assertRedirects(response, self.url())
        self.assertEqual(ScimSettings.objects.get(org=self.org).on_deactivation, "anonymise")
        entry = AuditEntry.objects.get(action="scim.settings")
        self.assertEqual(entry.changes, {"on_deactivation": ["keep", "anonymise"]})
        bad = self.client.post(self.url(), {"save": "1", "on_deactivation": "burn"})
        self.assertEqual(bad.status_code, 400)
        self.assertEqual(ScimSettings.objects.get(org=self.org).on_deactivation, "anonymise")

    def test_roles_and_outsiders(self) -> None:
        self.login(self.paul)  # program manager
        self.assertEqual(self.client.get(self.url()).status_code, 403)
        self.assertNotContains(self.client.get(reverse("org_settings", args=["acme"])), self.url())
        revoke = reverse("scim_token_revoke", args=["acme", self.scim_token.pk])
        self.assertEqual(self.client.post(revoke).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.get(self.url()).status_code, 404)
        self.assertEqual(self.client.post(revoke).status_code, 404)
        own = reverse("scim_token_revoke", args=["globex", self.scim_token.pk])
        self.assertEqual(self.client.post(own).status_code, 404)
        self.scim_token.refresh_from_db()
        self.assertIsNone(self.scim_token.revoked_at)
        self.login(self.alice)
        self.assertContains(self.client.get(reverse("org_settings", args=["acme"])), self.url())
        self.assertEqual(self.client.put(self.url()).status_code, 405)
