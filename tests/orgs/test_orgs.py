"""Organisation pages: members and roles, teams, audit log, switching organisations."""

from __future__ import annotations

from django.core import mail

from chorus.orgs.invitations import do_create_invitation
from chorus.orgs.models import AuditEntry, Membership, Role, Team
from tests.base import OrgTestCase
from tests.factory import make_member, make_org


class HomeTests(OrgTestCase):
    def test_anonymous_is_sent_to_login(self) -> None:
        response = self.client.get("/o/acme/")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])

    def test_home_redirects_to_the_last_used_organisation(self) -> None:
        other = make_org("Initech", "initech")
        make_member(other, Role.AMBASSADOR, self.amy)
        self.login(self.amy)
        self.client.get("/o/initech/")
        self.assertRedirects(self.client.get("/"), "/o/initech/")
        self.client.get("/o/acme/")
        self.assertRedirects(self.client.get("/"), "/o/acme/")

    def test_switcher_lists_only_my_organisations(self) -> None:
        other = make_org("Initech", "initech")
        make_member(other, Role.AMBASSADOR, self.amy)
        self.login(self.amy)
        response = self.client.get("/orgs/")
        self.assertContains(response, "Initech")
        self.assertContains(response, "Acme")
        self.assertNotContains(response, "Globex")

    def test_person_without_organisation_sees_an_explanation(self) -> None:
        from tests.factory import make_user

        self.login(make_user())
        response = self.client.get("/")
        self.assertContains(response, "not part of any organisation")

    def test_navigation_follows_the_role(self) -> None:
        self.login(self.amy)
        page = self.client.get("/o/acme/").content.decode()
        self.assertNotIn("/o/acme/members/", page)
        self.assertNotIn("/o/acme/audit/", page)
        self.login(self.alice)
        # One level down: members under Programme, the audit log under Settings.
        page = self.client.get("/o/acme/programme/").content.decode()
        self.assertIn("/o/acme/members/", page)
        page = self.client.get("/o/acme/settings/").content.decode()
        self.assertIn("/o/acme/audit/", page)

    def test_inactive_member_is_an_outsider(self) -> None:
        Membership.objects.filter(pk=self.amy_m.pk).update(is_active=False)
        self.login(self.amy)
        self.assertEqual(self.client.get("/o/acme/").status_code, 404)

    def test_wrong_method_is_405(self) -> None:
        self.login(self.amy)
        self.assertEqual(self.client.post("/o/acme/").status_code, 405)


class MemberListTests(OrgTestCase):
    url = "/o/acme/members/"

    def test_admin_and_program_manager_may_list(self) -> None:
        for user in (self.alice, self.paul):
            self.login(user)
            response = self.client.get(self.url)
            self.assertContains(response, "amy@acme.example")
            self.assertNotContains(response, "oscar@globex.example")

    def test_team_manager_and_ambassador_get_403(self) -> None:
        for user in (self.maya, self.amy):
            self.login(user)
            self.assertEqual(self.client.get(self.url).status_code, 403)

    def test_outsider_gets_404(self) -> None:
        self.login(self.oscar)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_search_filters_and_htmx_gets_only_the_rows(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url, {"q": "maya"}, HTTP_HX_REQUEST="true")
        self.assertContains(response, "maya@acme.example")
        self.assertNotContains(response, "amy@acme.example")
        self.assertNotContains(response, "<html")

    def test_the_form_to_add_a_member_comes_before_the_long_list(self) -> None:
        self.login(self.alice)
        page = self.client.get(self.url).content.decode()
        self.assertLess(page.index('id="add-heading"'), page.index('id="member-rows"'))

    def test_query_count_does_not_grow_with_members(self) -> None:
        self.login(self.alice)
        self.client.get(self.url)
        for number in range(10):
            make_member(self.org, team=self.team)
            do_create_invitation(
                self.org, f"invited{number}@acme.example", Role.AMBASSADOR, send=False
            )
        # Session, user, membership, count, pending invitations, unread notifications,
        # page of members, teams.
        with self.assertNumQueries(8):
            self.client.get(self.url)


class AddMemberTests(OrgTestCase):
    url = "/o/acme/members/"

    def test_admin_adds_a_new_person_who_gets_an_invitation(self) -> None:
        self.login(self.alice)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                self.url,
                {"email": "New.Person@Acme.example", "role": Role.AMBASSADOR, "team": self.team.pk},
            )
        self.assertRedirects(response, self.url)
        member = Membership.objects.get(org=self.org, user__email="new.person@acme.example")
        self.assertEqual(member.team, self.team)
        self.assertFalse(member.user.has_usable_password())
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].to, ["new.person@acme.example"])
        self.assertIn("http://testserver/invitations/", mail.outbox[0].body)
        self.assertNotIn("password reset", mail.outbox[0].body.lower())
        entry = AuditEntry.objects.get(org=self.org, action="member.add")
        self.assertEqual(entry.actor, self.alice)

    def test_an_existing_account_from_another_org_can_join(self) -> None:
        self.login(self.alice)
        self.client.post(self.url, {"email": "oscar@globex.example", "role": Role.AMBASSADOR})
        self.assertTrue(Membership.objects.filter(org=self.org, user=self.oscar).exists())
        self.assertTrue(Membership.objects.filter(org=self.other_org, user=self.oscar).exists())

    def test_bad_input_changes_nothing(self) -> None:
        self.login(self.alice)
        before = Membership.objects.count()
        for data in (
            {"email": "not-an-email", "role": Role.AMBASSADOR},
            {"email": "x@acme.example", "role": "emperor"},
            {"email": "x@acme.example", "role": Role.AMBASSADOR, "team": self.other_team.pk},
            {"email": "amy@acme.example", "role": Role.AMBASSADOR},
        ):
            response = self.client.post(self.url, data)
            self.assertEqual(response.status_code, 400, data)
        self.assertEqual(Membership.objects.count(), before)
        self.assertFalse(AuditEntry.objects.exists())

    def test_program_manager_may_not_add(self) -> None:
        self.login(self.paul)
        response = self.client.post(self.url, {"email": "x@acme.example", "role": "ambassador"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Membership.objects.filter(user__email="x@acme.example").exists())


class ChangeMemberTests(OrgTestCase):
    def url(self, member: Membership) -> str:
        return f"/o/acme/members/{member.pk}/"

    def test_admin_changes_role_and_it_is_audited(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.url(self.amy_m),
            {"role": Role.TEAM_MANAGER, "team": self.team.pk, "is_active": "on"},
        )
        self.assertEqual(response.status_code, 302)
        self.amy_m.refresh_from_db()
        self.assertEqual(self.amy_m.role, Role.TEAM_MANAGER)
        entry = AuditEntry.objects.get(action="member.change")
        self.assertEqual(entry.changes["role"], [Role.AMBASSADOR, Role.TEAM_MANAGER])
        self.assertEqual(entry.actor_email, "alice@acme.example")
        # The history shows on the member's page.
        self.assertContains(
            self.client.get(self.url(self.amy_m)), "Alice Example made Amy Example a team manager"
        )

    def test_program_manager_sees_but_may_not_change(self) -> None:
        self.login(self.paul)
        self.assertEqual(self.client.get(self.url(self.amy_m)).status_code, 200)
        response = self.client.post(
            self.url(self.amy_m), {"role": Role.ORG_ADMIN, "is_active": "on"}
        )
        self.assertEqual(response.status_code, 403)
        self.amy_m.refresh_from_db()
        self.assertEqual(self.amy_m.role, Role.AMBASSADOR)

    def test_ambassador_gets_403_and_bad_id_404(self) -> None:
        self.login(self.amy)
        self.assertEqual(self.client.get(self.url(self.maya_m)).status_code, 403)
        self.login(self.alice)
        self.assertEqual(self.client.get("/o/acme/members/999999/").status_code, 404)

    def test_the_last_admin_cannot_be_demoted_or_removed(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.url(self.alice_m), {"role": Role.AMBASSADOR, "is_active": "on"}
        )
        self.assertEqual(response.status_code, 400)
        self.alice_m.refresh_from_db()
        self.assertEqual(self.alice_m.role, Role.ORG_ADMIN)
        self.client.post(f"/o/acme/members/{self.alice_m.pk}/remove/")
        self.assertTrue(Membership.objects.filter(pk=self.alice_m.pk).exists())

    def test_admin_removes_a_member_and_their_team_loses_its_manager(self) -> None:
        self.login(self.alice)
        response = self.client.post(f"/o/acme/members/{self.maya_m.pk}/remove/")
        self.assertRedirects(response, "/o/acme/members/")
        self.assertFalse(Membership.objects.filter(pk=self.maya_m.pk).exists())
        self.team.refresh_from_db()
        self.assertIsNone(self.team.manager)
        self.assertTrue(AuditEntry.objects.filter(action="member.remove").exists())

    def test_remove_needs_post(self) -> None:
        self.login(self.alice)
        self.assertEqual(
            self.client.get(f"/o/acme/members/{self.amy_m.pk}/remove/").status_code, 405
        )


class TeamTests(OrgTestCase):
    def test_program_manager_creates_and_renames_a_team(self) -> None:
        self.login(self.paul)
        response = self.client.post(
            "/o/acme/teams/", {"name": "Marketing", "manager": self.maya_m.pk}
        )
        self.assertRedirects(response, "/o/acme/teams/")
        team = Team.objects.get(org=self.org, name="Marketing")
        self.assertEqual(team.manager, self.maya_m)
        self.client.post(f"/o/acme/teams/{team.pk}/", {"name": "Brand"})
        team.refresh_from_db()
        self.assertEqual(team.name, "Brand")
        self.assertEqual(
            list(AuditEntry.objects.values_list("action", flat=True).order_by("id")),
            ["team.create", "team.change"],
        )

    def test_duplicate_name_and_foreign_manager_are_refused(self) -> None:
        self.login(self.paul)
        self.assertEqual(self.client.post("/o/acme/teams/", {"name": "sales"}).status_code, 400)
        response = self.client.post("/o/acme/teams/", {"name": "X", "manager": self.oscar_m.pk})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(Team.objects.filter(org=self.org).count(), 1)

    def test_team_manager_sees_only_their_teams_and_cannot_edit(self) -> None:
        other = Team.objects.create(org=self.org, name="Engineering")
        self.login(self.maya)
        page = self.client.get("/o/acme/teams/")
        self.assertContains(page, "Sales")
        self.assertNotContains(page, "Engineering")
        self.assertEqual(self.client.get(f"/o/acme/teams/{self.team.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/o/acme/teams/{other.pk}/").status_code, 403)
        self.assertEqual(
            self.client.post(f"/o/acme/teams/{self.team.pk}/", {"name": "Z"}).status_code, 403
        )
        self.assertEqual(self.client.post("/o/acme/teams/", {"name": "Z"}).status_code, 403)

    def test_ambassador_gets_403(self) -> None:
        self.login(self.amy)
        self.assertEqual(self.client.get("/o/acme/teams/").status_code, 403)
        self.assertEqual(self.client.get(f"/o/acme/teams/{self.team.pk}/").status_code, 403)

    def test_delete_keeps_the_members(self) -> None:
        self.login(self.paul)
        self.assertRedirects(
            self.client.post(f"/o/acme/teams/{self.team.pk}/delete/"), "/o/acme/teams/"
        )
        self.amy_m.refresh_from_db()
        self.assertIsNone(self.amy_m.team)
        self.assertEqual(self.client.post("/o/acme/teams/999999/delete/").status_code, 404)


class AuditLogTests(OrgTestCase):
    def test_only_admins_see_the_audit_log_of_their_org(self) -> None:
        from chorus.orgs.actions import audit

        audit(self.org, self.alice, "member.change", self.amy_m, {"team": ["a", "b"]})
        audit(self.other_org, self.oscar, "team.create", self.other_team)
        self.login(self.alice)
        response = self.client.get("/o/acme/audit/")
        self.assertContains(response, f"{self.alice} changed {self.amy}\u2019s membership")
        self.assertNotContains(response, str(self.other_team))
        self.login(self.paul)
        self.assertEqual(self.client.get("/o/acme/audit/").status_code, 403)

    def test_the_log_reads_as_sentences_in_the_readers_language(self) -> None:
        from django.utils import translation

        from chorus.orgs.actions import do_add_member, do_change_member

        self.alice.last_name = "Martin"
        self.alice.save(update_fields=["last_name"])
        do_add_member(self.alice_m, "ava@acme.example", Role.TEAM_MANAGER, self.team)
        ava = Membership.objects.get(org=self.org, user__email="ava@acme.example")
        do_change_member(self.alice_m, ava, role=Role.AMBASSADOR, team=self.team, is_active=True)
        self.login(self.alice)
        page = self.client.get("/o/acme/audit/").content.decode()
        self.assertIn("Alice Martin added ava@acme.example as a team manager", page)
        self.assertIn("Alice Martin made ava@acme.example an ambassador", page)
        self.assertNotIn("member.add", page)
        self.assertNotIn("∅", page)
        self.alice.language = "fr"
        self.alice.save(update_fields=["language"])
        self.addCleanup(translation.deactivate)
        page = self.client.get("/o/acme/audit/").content.decode()
        self.assertIn("Alice Martin a nommé ava@acme.example ambassadeur", page)
        self.assertIn("Alice Martin a ajouté ava@acme.example comme manager d\u2019équipe", page)
