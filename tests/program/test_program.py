"""The programme: cohorts, invitations, explicit opt-in with recorded consent, declining,
leaving — and the opt-in rule on the channels that exist so far (tracked links/shares)."""

from __future__ import annotations

import json

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from chorus.links.actions import LinkError, link_for
from chorus.links.models import Conversion, TrackedLink
from chorus.orgs.models import AuditEntry, Membership
from chorus.program.models import CONSENT_VERSION, Cohort, Participation
from tests.base import OrgTestCase
from tests.factory import make_item, make_member, make_token, make_user


class InviteTests(OrgTestCase):
    def test_program_manager_invites_by_list_team_and_csv(self) -> None:
        cohort = Cohort.objects.create(org=self.org, name="Pilot", kind="pilot")
        newcomer = make_member(self.org, team=self.team, programme=None)
        self.login(self.paul)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                "/o/acme/programme/",
                {
                    "form": "invite",
                    "emails": "new1@acme.example, not-an-email\nnew2@acme.example",
                    "team": self.team.pk,
                    "cohort": cohort.pk,
                    "csv_file": SimpleUploadedFile(
                        "people.csv", b"name,email\nX,new3@acme.example\n"
                    ),
                },
            )
        self.assertEqual(response.status_code, 302)
        invited = Participation.objects.filter(status="invited")
        emails = set(invited.values_list("membership__user__email", flat=True))
        self.assertEqual(
            emails,
            {"new1@acme.example", "new2@acme.example", "new3@acme.example", newcomer.user.email},
        )
        self.assertTrue(all(p.cohort == cohort for p in invited))
        invitations = [m for m in mail.outbox if "ambassador programme" in m.subject]
        self.assertEqual(len(invitations), 4)
        self.assertIn("http://testserver/invitations/", invitations[0].body)
        self.assertFalse([m for m in mail.outbox if "password" in m.subject.lower()])
        # Amy and Maya of the team had already opted in: not invited again.
        self.assertEqual(Participation.objects.get(membership=self.amy_m).status, "active")

    def test_a_cohort_is_created_audited_and_its_name_used_once(self) -> None:
        self.login(self.paul)
        form = {"form": "cohort", "name": "Wave 2", "kind": "wave", "description": ""}
        response = self.client.post("/o/acme/programme/", form)
        self.assertEqual(response.status_code, 302)
        cohort = Cohort.objects.get(org=self.org, name="Wave 2")
        entry = AuditEntry.objects.get(org=self.org, action="cohort.create")
        self.assertEqual((entry.target_id, entry.actor), (str(cohort.pk), self.paul))
        # The same name in other letters: a clear error, nothing saved, nothing audited.
        response = self.client.post("/o/acme/programme/", {**form, "name": "WAVE 2"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "This name is already used.", status_code=400)
        self.assertEqual(Cohort.objects.filter(org=self.org).count(), 1)
        self.assertEqual(AuditEntry.objects.filter(action="cohort.create").count(), 1)

    def test_bad_input_and_roles(self) -> None:
        self.login(self.paul)
        response = self.client.post("/o/acme/programme/", {"form": "invite", "emails": ""})
        self.assertEqual(response.status_code, 400)
        response = self.client.post(
            "/o/acme/programme/",
            {"form": "invite", "csv_file": SimpleUploadedFile("x.csv", "é".encode("latin-1"))},
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Participation.objects.filter(status="invited").exists())
        self.login(self.amy)
        self.assertEqual(self.client.get("/o/acme/programme/").status_code, 403)
        self.assertEqual(
            self.client.post(
                "/o/acme/programme/", {"form": "invite", "emails": "x@y.example"}
            ).status_code,
            403,
        )


class OptInTests(OrgTestCase):
    def setUp(self) -> None:
        self.person = make_member(
            self.org, user=make_user("ines@acme.example", language="fr"), programme="invited"
        )

    def test_joining_needs_explicit_consent_and_records_it(self) -> None:
        self.login(self.person.user)
        page = self.client.get("/o/acme/programme/join/", HTTP_ACCEPT_LANGUAGE="fr")
        self.assertContains(page, "Les données utilisées")
        self.assertEqual(
            self.client.post("/o/acme/programme/join/", {"choice": "join"}).status_code, 400
        )
        self.assertEqual(Participation.objects.get(membership=self.person).status, "invited")
        self.client.post("/o/acme/programme/join/", {"choice": "join", "consent": "yes"})
        participation = Participation.objects.get(membership=self.person)
        self.assertEqual(participation.status, "active")
        self.assertEqual(
            (participation.consent_version, participation.consent_language), (CONSENT_VERSION, "fr")
        )
        self.assertIn("Ce qu'est le programme", participation.consent_text)
        self.assertIsNotNone(participation.opted_in_at)

    def test_declining_is_final_until_invited_again(self) -> None:
        self.login(self.person.user)
        self.client.post("/o/acme/programme/join/", {"choice": "decline"})
        self.assertEqual(Participation.objects.get(membership=self.person).status, "declined")
        self.client.post("/o/acme/programme/join/", {"choice": "join", "consent": "yes"})
        self.assertEqual(Participation.objects.get(membership=self.person).status, "declined")
        self.login(self.paul)
        self.client.post("/o/acme/programme/", {"form": "invite", "emails": "ines@acme.example"})
        self.assertEqual(Participation.objects.get(membership=self.person).status, "invited")

    def test_home_page_shows_the_invitation(self) -> None:
        self.login(self.person.user)
        self.assertContains(
            self.client.get("/o/acme/", HTTP_ACCEPT_LANGUAGE="en"), "/o/acme/programme/join/"
        )


class OptInRuleTests(OrgTestCase):
    """Nobody who has not opted in, or who left, gets a share (tracked link)."""

    def test_no_link_for_people_outside_the_programme(self) -> None:
        item = make_item(self.org)
        for status in ("invited", "declined", "left", None):
            member = make_member(self.org, programme=status)
            with self.assertRaises(LinkError):
                link_for(member, "x", item=item)
            self.client.force_login(member.user)
            self.client.post(f"/o/acme/content/{item.pk}/link/", {"network": "x"})
            token = make_token(member)[1]
            response = self.client.post(
                "/api/v1/links",
                json.dumps({"content": item.pk, "network": "x"}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            self.assertEqual(response.status_code, 400, status)
        self.assertFalse(TrackedLink.objects.exists())


class LeaveTests(OrgTestCase):
    def setUp(self) -> None:
        self.item = make_item(self.org)
        self.link = link_for(self.amy_m, "linkedin", item=self.item)
        Conversion.objects.create(
            org=self.org,
            kind="lead",
            occurred_at=self.item.created_at,
            link=self.link,
            ambassador=self.amy_m,
        )

    def leave(self, attribution: str) -> None:
        self.login(self.amy)
        response = self.client.post("/o/acme/programme/leave/", {"attribution": attribution})
        self.assertEqual(response.status_code, 302)

    def test_leaving_stops_shares_and_keeps_attribution_if_chosen(self) -> None:
        self.leave("keep")
        self.assertEqual(Participation.objects.get(membership=self.amy_m).status, "left")
        self.link.refresh_from_db()
        self.assertEqual(self.link.ambassador, self.amy_m)
        with self.assertRaises(LinkError):
            link_for(self.amy_m, "x", item=self.item)

    def test_leaving_with_anonymisation(self) -> None:
        self.leave("anonymise")
        self.link.refresh_from_db()
        self.assertIsNone(self.link.ambassador)
        self.assertIsNone(Conversion.objects.get().ambassador)
        self.assertTrue(Participation.objects.get(membership=self.amy_m).anonymised)
        # The link keeps working for people who click it later; it just isn't anyone's.
        self.assertEqual(self.client.get(f"/l/{self.link.code}").status_code, 302)
        self.assertTrue(Membership.objects.filter(pk=self.amy_m.pk).exists())

    def test_leave_needs_a_valid_choice(self) -> None:
        self.login(self.amy)
        self.assertEqual(
            self.client.post("/o/acme/programme/leave/", {"attribution": "burn"}).status_code, 400
        )
        self.assertEqual(Participation.objects.get(membership=self.amy_m).status, "active")
