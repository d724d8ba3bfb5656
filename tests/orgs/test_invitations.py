"""Invitations: the e-mail, the accept page (new person, existing account, wrong account),
expired/revoked/used/replaced links, asking for a new one, resend and revoke."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.core import mail
from django.test import override_settings

from chorus.orgs.invitations import do_create_invitation, do_revoke_invitation
from chorus.orgs.models import AuditEntry, Invitation, Membership, Role
from chorus.program.models import Cohort, Participation
from tests.base import OrgTestCase
from tests.factory import make_member, make_user

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
LINK = re.compile(r"https?://[^\s\"<]+/invitations/([A-Za-z0-9_-]+)/")


def link_in(message: mail.EmailMessage) -> tuple[str, str]:
    """(path, token) of the accept link in an e-mail's text."""
    match = LINK.search(message.body)
    assert match is not None, message.body
    return f"/invitations/{match.group(1)}/", match.group(1)


class InvitationTestCase(OrgTestCase):
    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def invite_to_programme(self, email: str, *, by: object = None) -> str:
        """Paul invites `email` through the programme page; returns the link's path."""
        self.login(by or self.paul)
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post("/o/acme/programme/", {"form": "invite", "emails": email})
        self.assertEqual(response.status_code, 302)
        self.client.logout()
        (message,) = [m for m in mail.outbox if email in m.to]
        return link_in(message)[0]


class InvitationMailTests(InvitationTestCase):
    def test_programme_invitation_mail_in_english(self) -> None:
        self.invite_to_programme("new@acme.example")
        self.assertEqual(len(mail.outbox), 1, "one invitation, no password-reset mail")
        message = mail.outbox[0]
        self.assertEqual(message.to, ["new@acme.example"])
        self.assertEqual(message.subject, "You are invited to Acme's ambassador programme")
        self.assertIn("Paul Example invites you to join Acme on Chorus.", message.body)
        self.assertIn("Acme invites colleagues who wish to share", message.body)
        self.assertIn("works until March 8, 2027", message.body)
        self.assertRegex(message.body, r"http://testserver/invitations/[A-Za-z0-9_-]{40,}/")
        self.assertNotIn("reset", message.body.lower())
        html, mimetype = message.alternatives[0]  # type: ignore[attr-defined]
        self.assertEqual(mimetype, "text/html")
        self.assertIn(link_in(message)[0], html)
        self.assertIn("Acme", html)
        self.assertIn("Paul Example", html)
        self.assertEqual(message.extra_headers["Content-Language"], "en")

    def test_mail_in_the_organisations_language_or_the_persons(self) -> None:
        self.org.default_language = "fr"
        self.org.save(update_fields=["default_language"])
        self.invite_to_programme("nouvelle@acme.example")
        message = mail.outbox[0]
        self.assertEqual(message.extra_headers["Content-Language"], "fr")
        self.assertIn("Acme invite les collaborateurs qui le souhaitent", message.body)
        self.assertIn("8 mars 2027", message.body)
        # An existing person's own language wins over the organisation's.
        make_member(self.org, user=make_user("english@acme.example", language="en"), programme=None)
        self.invite_to_programme("english@acme.example")
        message = mail.outbox[0]
        self.assertEqual(message.extra_headers["Content-Language"], "en")
        self.assertIn("Acme invites colleagues", message.body)

    def test_mail_without_inviter_and_from_base_url(self) -> None:
        with (
            override_settings(CHORUS_BASE_URL="https://chorus.example"),
            self.captureOnCommitCallbacks(execute=True),
        ):
            invitation, url = do_create_invitation(self.org, "Boss@Acme.example", "org_admin")
        self.assertTrue(url.startswith("https://chorus.example/invitations/"))
        self.assertEqual(invitation.email, "boss@acme.example")
        member = Membership.objects.get(org=self.org, user__email="boss@acme.example")
        self.assertEqual(member.role, Role.ORG_ADMIN)
        self.assertFalse(member.user.has_usable_password())
        (message,) = mail.outbox
        self.assertEqual(message.subject, "You are invited to join Acme on Chorus")
        self.assertIn("You are invited to join Acme on Chorus.", message.body)
        self.assertIn(url, message.body)

    def test_send_false_sends_nothing(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            do_create_invitation(self.org, "quiet@acme.example", Role.AMBASSADOR, send=False)
        self.assertEqual(mail.outbox, [])

    def test_bad_input_changes_nothing(self) -> None:
        from django.core.exceptions import ValidationError

        before = (Membership.objects.count(), Invitation.objects.count())
        for email, role, team in (
            ("not-an-email", Role.AMBASSADOR, None),
            ("x@acme.example", "emperor", None),
            ("x@acme.example", Role.AMBASSADOR, self.other_team),
        ):
            with self.assertRaises(ValidationError):
                do_create_invitation(self.org, email, role, team=team)
        with self.assertRaises(ValidationError):
            do_create_invitation(
                self.org, "x@acme.example", Role.AMBASSADOR, invited_by=self.oscar_m
            )
        self.assertEqual((Membership.objects.count(), Invitation.objects.count()), before)

    def test_token_is_stored_only_as_its_hash(self) -> None:
        invitation, url = do_create_invitation(self.org, "h@acme.example", Role.AMBASSADOR)
        token = url.rstrip("/").rsplit("/", 1)[1]
        self.assertGreaterEqual(len(token), 40)
        self.assertEqual(invitation.token_hash, hashlib.sha256(token.encode()).hexdigest())
        for field in Invitation._meta.concrete_fields:
            self.assertNotEqual(str(getattr(invitation, field.attname)), token, field.name)
        self.assertFalse(Invitation.objects.filter(token_hash=token).exists())


class AcceptNewPersonTests(InvitationTestCase):
    def test_new_person_sets_a_password_and_lands_on_the_opt_in_page(self) -> None:
        path = self.invite_to_programme("new@acme.example")
        page = self.client.get(path)
        self.assertContains(page, "Choose a password")
        self.assertContains(page, "new@acme.example")
        # Django's password validators apply.
        response = self.client.post(path, {"new_password1": "short", "new_password2": "short"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "too short", status_code=400)
        user = Membership.objects.get(user__email="new@acme.example").user
        self.assertFalse(user.has_usable_password())
        password = "a-long-and-unusual-passphrase"
        response = self.client.post(path, {"new_password1": password, "new_password2": password})
        self.assertRedirects(response, "/o/acme/programme/join/")
        user.refresh_from_db()
        self.assertTrue(user.check_password(password))
        self.assertEqual(int(self.client.session["_auth_user_id"]), user.pk)
        page = self.client.get("/o/acme/programme/join/")
        self.assertContains(page, "Join the programme")
        invitation = Invitation.objects.get(email="new@acme.example")
        self.assertEqual(invitation.accepted_at, NOW)
        self.assertTrue(AuditEntry.objects.filter(action="invitation.accept").exists())

    def test_member_invitation_lands_on_the_organisation_home(self) -> None:
        self.login(self.alice)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post("/o/acme/members/", {"email": "m@acme.example", "role": "ambassador"})
        self.client.logout()
        path = link_in(mail.outbox[0])[0]
        password = "a-long-and-unusual-passphrase"
        response = self.client.post(path, {"new_password1": password, "new_password2": password})
        self.assertRedirects(response, "/o/acme/", fetch_redirect_response=False)

    def test_page_fits_a_phone_and_uses_the_base_template(self) -> None:
        path = self.invite_to_programme("new@acme.example")
        page = self.client.get(path)
        self.assertContains(page, 'name="viewport" content="width=device-width')
        self.assertContains(page, 'class="org-name"')


class AcceptExistingAccountTests(InvitationTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.ines = make_user("ines@acme.example")
        self.ines_m = make_member(self.org, user=self.ines, programme=None)

    def test_signed_in_person_just_joins(self) -> None:
        path = self.invite_to_programme("ines@acme.example")
        self.login(self.ines)
        response = self.client.get(path)
        self.assertRedirects(response, "/o/acme/programme/join/")
        self.assertIsNotNone(Invitation.objects.get(email="ines@acme.example").accepted_at)
        self.assertEqual(Participation.objects.get(membership=self.ines_m).status, "invited")
        # Opening the used link again, signed in, leads to the same place.
        self.assertRedirects(self.client.get(path), "/o/acme/programme/join/")

    def test_account_from_another_organisation_signs_in_then_joins(self) -> None:
        path = self.invite_to_programme("oscar@globex.example")
        page = self.client.get(path)
        self.assertContains(page, "Sign in to join")
        self.assertNotContains(page, "new_password1")
        self.assertContains(page, "/accounts/login/?next=" + path.replace("/", "%2F"))
        response = self.client.post(
            "/accounts/login/?next=" + path,
            {"login": "oscar@globex.example", "password": self.password},
        )
        self.assertRedirects(response, path, fetch_redirect_response=False)
        self.assertRedirects(self.client.get(path), "/o/acme/programme/join/")
        self.assertTrue(Membership.objects.active().filter(org=self.org, user=self.oscar).exists())

    def test_signed_in_as_someone_else_is_told_so(self) -> None:
        path = self.invite_to_programme("ines@acme.example")
        self.login(self.amy)
        page = self.client.get(path)
        self.assertContains(page, "You are signed in as amy@acme.example", status_code=403)
        self.assertContains(page, "Sign out", status_code=403)
        self.assertIsNone(Invitation.objects.get(email="ines@acme.example").accepted_at)


class ClosedLinkTests(InvitationTestCase):
    def test_expired_link_says_so(self) -> None:
        path = self.invite_to_programme("new@acme.example")
        with time_machine.travel(NOW + timedelta(days=7, seconds=1), tick=False):
            page = self.client.get(path)
            self.assertContains(page, "It expired on", status_code=410)
            self.assertContains(page, "Ask for a new invitation", status_code=410)
            response = self.client.post(
                path, {"new_password1": "x-long-passphrase", "new_password2": "x-long-passphrase"}
            )
            self.assertEqual(response.status_code, 410)
        self.assertFalse(
            Membership.objects.get(user__email="new@acme.example").user.has_usable_password()
        )
        # One second before the end, it still works.
        with time_machine.travel(NOW + timedelta(days=7, seconds=-1), tick=False):
            self.assertContains(self.client.get(path), "Choose a password")

    @override_settings(CHORUS_INVITATION_DAYS=2)
    def test_validity_comes_from_the_setting(self) -> None:
        invitation, _url = do_create_invitation(self.org, "two@acme.example", Role.AMBASSADOR)
        self.assertEqual(invitation.expires_at, NOW + timedelta(days=2))

    def test_used_link_says_so(self) -> None:
        path = self.invite_to_programme("new@acme.example")
        password = "a-long-and-unusual-passphrase"
        self.client.post(path, {"new_password1": password, "new_password2": password})
        self.client.logout()
        page = self.client.get(path)
        self.assertContains(page, "It has already been used", status_code=410)

    def test_revoked_link_says_so(self) -> None:
        path = self.invite_to_programme("new@acme.example")
        invitation = Invitation.objects.get(email="new@acme.example")
        do_revoke_invitation(self.alice_m, invitation)
        page = self.client.get(path)
        self.assertContains(page, "It was withdrawn", status_code=410)

    def test_unknown_link_is_404(self) -> None:
        page = self.client.get("/invitations/not-a-real-token/")
        self.assertContains(page, "This link is not valid", status_code=404)
        self.assertNotContains(page, "Ask for a new invitation", status_code=404)
        self.assertEqual(self.client.post("/invitations/nope/ask-again/").status_code, 404)


class AskForANewOneTests(InvitationTestCase):
    def expired_path(self, email: str = "new@acme.example") -> str:
        path = self.invite_to_programme(email)
        mail.outbox.clear()
        return path

    def ask(self, path: str, when: datetime) -> str:
        with time_machine.travel(when, tick=False), self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(path + "ask-again/")
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_inviter_is_told_at_most_once_a_day_and_the_answer_never_changes(self) -> None:
        path = self.expired_path()
        later = NOW + timedelta(days=8)
        first = self.ask(path, later)
        self.assertIn("We let Acme know", first)
        (notice,) = mail.outbox
        self.assertEqual(notice.to, ["paul@acme.example"])
        self.assertIn("new@acme.example", notice.subject)
        self.assertIn("http://127.0.0.1:8000/o/acme/members/", notice.body)
        second = self.ask(path, later + timedelta(hours=1))
        self.assertEqual(len(mail.outbox), 1, "rate-limited")
        self.assertIn("We let Acme know", second)
        self.ask(path, later + timedelta(days=1, seconds=1))
        self.assertEqual(len(mail.outbox), 2)
        self.assertTrue(AuditEntry.objects.filter(action="invitation.renewal_request").exists())

    def test_admins_are_told_when_the_inviter_is_gone(self) -> None:
        path = self.expired_path()
        self.paul_m.is_active = False
        self.paul_m.save(update_fields=["is_active"])
        self.ask(path, NOW + timedelta(days=8))
        self.assertEqual([m.to for m in mail.outbox], [["alice@acme.example"]])

    def test_a_valid_link_is_not_passed_on(self) -> None:
        path = self.expired_path()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(path + "ask-again/")
        self.assertRedirects(response, path, fetch_redirect_response=False)
        self.assertEqual(mail.outbox, [])

    def test_get_is_405(self) -> None:
        path = self.expired_path()
        self.assertEqual(self.client.get(path + "ask-again/").status_code, 405)


class ManageInvitationTests(InvitationTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.path = self.invite_to_programme("new@acme.example")
        self.invitation = Invitation.objects.get(email="new@acme.example")

    def url(self, action: str, invitation: Invitation | None = None) -> str:
        return f"/o/acme/members/invitations/{(invitation or self.invitation).pk}/{action}/"

    def test_members_page_lists_pending_invitations(self) -> None:
        self.login(self.alice)
        page = self.client.get("/o/acme/members/")
        self.assertContains(page, "Pending invitations")
        self.assertContains(page, self.url("resend"))
        self.assertContains(page, self.url("revoke"))

    def test_resend_gives_a_new_link_and_kills_the_old_one(self) -> None:
        self.login(self.paul)
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url("resend"))
        self.assertRedirects(response, "/o/acme/members/")
        new_path = link_in(mail.outbox[0])[0]
        self.assertNotEqual(new_path, self.path)
        self.client.logout()
        self.assertContains(self.client.get(self.path), "A newer invitation", status_code=410)
        self.assertContains(self.client.get(new_path), "Choose a password")
        pending = Invitation.objects.pending().get(email="new@acme.example")
        self.assertTrue(pending.programme)
        self.assertEqual(Invitation.objects.filter(email="new@acme.example").count(), 2)
        self.assertTrue(AuditEntry.objects.filter(action="invitation.resend").exists())

    def test_inviting_again_replaces_the_pending_invitation(self) -> None:
        second = self.invite_to_programme("new@acme.example")
        self.assertEqual(Invitation.objects.pending().filter(email="new@acme.example").count(), 1)
        self.assertEqual(self.client.get(self.path).status_code, 410)
        self.assertEqual(self.client.get(second).status_code, 200)

    def test_revoke_kills_the_link_and_takes_out_who_never_came(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url("revoke"))
        self.assertRedirects(response, "/o/acme/members/")
        self.assertFalse(Membership.objects.filter(user__email="new@acme.example").exists())
        self.assertTrue(AuditEntry.objects.filter(action="invitation.revoke").exists())
        self.assertNotContains(self.client.get("/o/acme/members/"), "Pending invitations")

    def test_revoking_an_existing_members_invitation_keeps_them(self) -> None:
        ines = make_member(self.org, user=make_user("ines@acme.example"), programme=None)
        self.invite_to_programme("ines@acme.example")
        invitation = Invitation.objects.pending().get(email="ines@acme.example")
        self.login(self.paul)
        self.client.post(self.url("revoke", invitation))
        self.assertTrue(Membership.objects.filter(pk=ines.pk).exists())
        # The programme's invitation is withdrawn with it.
        self.assertFalse(Participation.objects.filter(membership=ines).exists())

    def test_cohort_is_kept_by_the_programme(self) -> None:
        cohort = Cohort.objects.create(org=self.org, name="Pilot", kind="pilot")
        self.login(self.paul)
        self.client.post(
            "/o/acme/programme/",
            {"form": "invite", "emails": "c@acme.example", "cohort": cohort.pk},
        )
        participation = Participation.objects.get(membership__user__email="c@acme.example")
        self.assertEqual(participation.cohort, cohort)

    def test_roles(self) -> None:
        # Program managers manage the programme's ambassador invitations, not admins' ones.
        with self.captureOnCommitCallbacks(execute=True):
            admin_invitation, _url = do_create_invitation(
                self.org, "admin2@acme.example", Role.ORG_ADMIN, invited_by=self.alice_m
            )
        self.login(self.paul)
        self.assertEqual(self.client.post(self.url("revoke", admin_invitation)).status_code, 403)
        page = self.client.get("/o/acme/members/")
        self.assertContains(page, "admin2@acme.example")
        self.assertNotContains(page, self.url("revoke", admin_invitation))
        for person in (self.maya, self.amy):
            self.login(person)
            for action in ("resend", "revoke"):
                self.assertEqual(self.client.post(self.url(action)).status_code, 403)
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url("revoke")).status_code, 405)
        self.assertEqual(self.client.post(self.url("revoke", admin_invitation)).status_code, 302)
        self.assertIsNone(Invitation.objects.get(pk=self.invitation.pk).revoked_at)

    def test_outsider_and_bad_id_get_404(self) -> None:
        self.login(self.oscar)
        for action in ("resend", "revoke"):
            self.assertEqual(self.client.post(self.url(action)).status_code, 404)
            url = f"/o/globex/members/invitations/{self.invitation.pk}/{action}/"
            self.assertEqual(self.client.post(url).status_code, 404)
        self.login(self.alice)
        self.assertEqual(
            self.client.post("/o/acme/members/invitations/999999/revoke/").status_code, 404
        )
        self.assertIsNone(Invitation.objects.get(pk=self.invitation.pk).revoked_at)

    def test_an_accepted_invitation_cannot_be_resent_or_revoked(self) -> None:
        password = "a-long-and-unusual-passphrase"
        self.client.post(self.path, {"new_password1": password, "new_password2": password})
        self.login(self.alice)
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(self.url("resend"))
        self.client.post(self.url("revoke"))
        self.assertEqual(mail.outbox, [])
        invitation = Invitation.objects.get(pk=self.invitation.pk)
        self.assertIsNone(invitation.revoked_at)
        self.assertTrue(Membership.objects.filter(user__email="new@acme.example").exists())
