"""Personal data: downloading it, erasing it, and proving nothing of it survives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import connection, models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chorus.accounts.models import User
from chorus.accounts.personal_data import (
    EXPORT_FORMAT,
    PERSONAL_DATA,
    NotPersonal,
    Personal,
    Scope,
    do_erase_person,
    export_person,
)
from chorus.analytics import rollups
from chorus.chat.models import ChatMessage, ChatPreference
from chorus.coaching.models import CoachingNote
from chorus.engage.models import BadgeAward, LeaderboardPreference, PointsEntry
from chorus.feed.models import AmbassadorProfile, Feedback
from chorus.governance.models import ReviewScope
from chorus.lib.crypto import EncryptedJSONField
from chorus.links.models import Conversion, TrackedLink
from chorus.notify.models import DigestSend, Notification
from chorus.orgs.actions import audit
from chorus.orgs.models import AuditEntry, Invitation, Membership, Role
from chorus.program.models import (
    Participation,
    Question,
    Resource,
    ResourceRead,
    Workshop,
    WorkshopSignup,
)
from chorus.scim.models import ScimUser
from chorus.sharing.models import Connection, EngagementSnapshot, Review, Share
from chorus.webhooks.models import Endpoint, Message
from tests.base import OrgTestCase
from tests.factory import (
    clicks,
    last_30_days_figures,
    make_attributed_results,
    make_challenge,
    make_item,
    make_member,
    make_note,
    make_reply,
    make_share,
    make_suggestion,
    make_token,
    published_share,
)

# Lower case: e-mail addresses are stored lower-cased, and the scan compares lower case.
MARKER = "zqxmarker"
NOON = datetime(2026, 5, 12, 10, 0, tzinfo=UTC)

# Fields whose type carries free text (or anything a person could have typed).
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def person_links(model: type[models.Model]) -> list[str]:
    """Fields of `model` pointing at a person: the user or a membership."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model in (User, Membership)
    ]


def needs_mapping(model: type[models.Model]) -> bool:
    return any(isinstance(field, TEXT_FIELDS) for field in model._meta.concrete_fields) or bool(
        person_links(model)
    )


def make_everything(
    org: Any, person: Membership, colleague: Membership, manager: Membership
) -> None:
    """A row of every personal model for `person` (and a few about colleagues)."""
    now = timezone.now()
    user = person.user
    address = EmailAddress.objects.create(user=user, email=user.email, primary=True)
    EmailConfirmation.objects.create(email_address=address, key=f"{MARKER}-key")
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr="x",
        action_flag=ADDITION,
    )
    make_token(person, "script")
    sso_account = SocialAccount.objects.create(
        user=user, provider=f"org-{org.slug}", uid=f"{MARKER}-sub", extra_data={"email": MARKER}
    )
    SocialToken.objects.create(account=sso_account, token=f"{MARKER}-token")
    ScimUser.objects.create(membership=person, user_name=user.email, emails=[{"value": user.email}])
    endpoint = Endpoint(org=org, url="https://hooks.example.com/in", events=["share.published"])
    endpoint.secret = "whsec_test"
    endpoint.save()
    Message.objects.create(
        org=org,
        endpoint=endpoint,
        subject=person,
        event_type="member.joined_programme",
        body=f'{{"data": {{"email": "{user.email}", "marker": "{MARKER}"}}}}',
        next_attempt_at=now,
    )
    ChatPreference.objects.create(
        org=org,
        membership=person,
        digest_tool="teams",
        target={"url": f"https://e.example/{MARKER}"},
    )
    ChatMessage.objects.create(
        org=org,
        tool="teams",
        kind="digest",
        membership=person,
        dedupe_key=f"digest:{person.pk}:{MARKER}",
        payload={"digest": {"heading": f"Hello {user.email} {MARKER}"}},
        next_attempt_at=now,
    )
    Invitation.objects.create(
        org=org,
        email=user.email,
        membership=person,
        token_hash=f"{MARKER}-hash",
        expires_at=now + timedelta(days=7),
    )
    item = make_item(org)
    make_suggestion(person, text="my idea")
    link = TrackedLink.objects.create(
        org=org,
        ambassador=person,
        item=item,
        network="linkedin",
        url=item.url,
        destination=item.url,
    )
    clicks(link, humans=2, bots=1)
    Conversion.objects.create(org=org, kind="lead", occurred_at=now, ambassador=person, link=link)
    profile = AmbassadorProfile.objects.create(
        org=org, membership=person, site="Lyon", networks={"linkedin": {"size": "medium"}}
    )
    assert profile.pk
    Feedback.objects.create(org=org, membership=person, item=make_item(org))
    from chorus.sharing.models import EngagementTask, EngagementTaskDone

    task = EngagementTask.objects.create(
        org=org, network="mastodon", post_url="https://m.example/@acme/1", action="reply"
    )
    EngagementTaskDone.objects.create(
        org=org,
        task=task,
        membership=person,
        action="reply",
        method="api",
        text=f"{MARKER} my reply",
        remote_id=f"{MARKER}-id",
        remote_url=f"https://m.example/@{MARKER}/2",
    )
    ResourceRead.objects.create(resource=Resource.objects.create(org=org), membership=person)
    workshop = Workshop.objects.create(org=org, title="Writing well", starts_at=now)
    WorkshopSignup.objects.create(workshop=workshop, membership=person)
    Question.objects.create(org=org, asked_by=person, text="How do I?", answer="Like this")
    Question.objects.create(
        org=org,
        asked_by=person,
        text="Can I?",
        in_faq=True,
        faq_question="Can one share on X?",
        faq_answer="Yes.",
    )
    Connection.objects.create(
        org=org, membership=person, network="facebook", handle="someone", credentials={"t": 1}
    )
    share = published_share(person, item, originality=0.8, network="linkedin", link=link)
    EngagementSnapshot.objects.create(org=org, share=share, reactions=3, comments=1)
    Review.objects.create(org=org, share=share, reason="first shares", submitted_text="words")
    ReviewScope.objects.create(org=org, membership=person, first_shares=3)
    make_share(person, item, network="x", status=Share.Status.DRAFT)
    Notification.objects.create(org=org, membership=person, kind="share", message="Hello")
    DigestSend.objects.create(org=org, membership=person, sent_at=now, items=3)
    PointsEntry.objects.create(
        org=org, membership=person, kind="share", source_type="share", source_id="1", day=now.date()
    )
    LeaderboardPreference.objects.create(org=org, membership=person, visible=False)
    BadgeAward.objects.create(org=org, membership=person, badge="first_share")
    from chorus.engage.models import ChallengeResult

    ChallengeResult.objects.create(
        org=org, challenge=make_challenge(org), membership=person, progress=1
    )
    note = make_note(manager, person, text="Good one")
    make_reply(note, person, text="Thanks")
    make_reply(note, manager, text="You're welcome")
    audit(org, user, "share.create", share)
    audit(org, manager.user, "member.change", person, {"team": [None, "Sales"]})
    rollups.rebuild(org)


class ExportTests(OrgTestCase):
    def test_every_section_and_nothing_of_a_colleague(self) -> None:
        # Maya (team manager) coaches Amy; Maya's name must not travel in Amy's file.
        self.maya.first_name = "Mayaname"
        self.maya.last_name = "Managersurname"
        self.maya.save()
        colleague = make_member(self.org, Role.AMBASSADOR, team=self.team)
        make_everything(self.org, self.amy_m, colleague, self.maya_m)
        published_share(colleague, make_item(self.org), originality=1, text="colleague words")

        data = export_person(self.amy)

        text = json.dumps(data)
        self.assertEqual(data["format"], EXPORT_FORMAT)
        self.assertEqual(data["account"]["email"], "amy@acme.example")
        self.assertEqual([o["organisation"]["slug"] for o in data["organisations"]], ["acme"])
        acme = data["organisations"][0]
        for section in (
            "membership",
            "programme",
            "ambassador_profile",
            "connections",
            "shares",
            "tracked_links",
            "conversions",
            "points",
            "suggestions",
            "questions",
            "coaching_notes",
            "workshops",
            "resources_read",
            "not_for_me",
            "notifications",
            "digests",
            "api_tokens",
            "invitations",
            "audit",
        ):
            self.assertTrue(acme[section], section)
        self.assertEqual(acme["tracked_links"][0]["clicks"], 2)
        self.assertEqual(acme["tracked_links"][0]["bot_clicks"], 1)
        self.assertEqual(acme["programme"]["status"], "active")
        self.assertEqual(acme["points"]["badges"][0]["badge"], "first_share")
        note = acme["coaching_notes"][0]
        self.assertEqual(note["text"], "Good one")
        self.assertEqual(note["from"], "Team manager")
        self.assertEqual([reply["from"] for reply in note["replies"]], ["you", "Team manager"])
        self.assertEqual({share["status"] for share in acme["shares"]}, {"published", "draft"})
        # Nothing of a colleague: names, e-mail addresses, words.
        for other in ("Mayaname", "Managersurname", "maya@acme.example", "colleague words"):
            self.assertNotIn(other, text)
        self.assertNotIn(colleague.user.email, text)
        self.assertNotIn("key_hash", text)
        json.loads(text)  # JSON-serialisable as it is

    def test_one_section_per_organisation(self) -> None:
        make_member(self.other_org, Role.AMBASSADOR, self.amy)
        data = export_person(self.amy)
        self.assertEqual(
            [o["organisation"]["slug"] for o in data["organisations"]], ["acme", "globex"]
        )
        self.assertEqual(len(export_person(self.amy, self.org)["organisations"]), 1)


class DownloadPageTests(OrgTestCase):
    def test_my_data(self) -> None:
        self.login(self.amy)
        response = self.client.get(reverse("my_data"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response["Content-Disposition"])
        self.assertEqual(json.loads(response.content)["account"]["email"], self.amy.email)
        self.assertEqual(self.client.post(reverse("my_data")).status_code, 405)
        page = self.client.get(reverse("profile"))
        self.assertContains(page, reverse("my_data"))

    def test_my_data_needs_signing_in(self) -> None:
        response = self.client.get(reverse("my_data"))
        self.assertEqual(response.status_code, 302)

    def test_member_data_for_admins(self) -> None:
        url = reverse("member_data", args=["acme", self.amy_m.pk])
        self.login(self.alice)
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        data = json.loads(response.content)
        self.assertEqual(data["account"]["email"], self.amy.email)
        self.assertTrue(
            AuditEntry.objects.filter(action="person.export", target_id=str(self.amy_m.pk)).exists()
        )
        self.assertEqual(self.client.post(url).status_code, 405)
        self.assertEqual(
            self.client.get(reverse("member_data", args=["acme", 999999])).status_code, 404
        )
        detail = self.client.get(reverse("member_detail", args=["acme", self.amy_m.pk]))
        self.assertContains(detail, url)
        self.assertContains(detail, reverse("member_erase", args=["acme", self.amy_m.pk]))

    def test_member_data_other_roles_and_outsiders(self) -> None:
        url = reverse("member_data", args=["acme", self.amy_m.pk])
        self.login(self.paul)
        self.assertEqual(self.client.get(url).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.get(url).status_code, 404)
        # Another organisation's member, asked through one's own organisation.
        self.assertEqual(
            self.client.get(reverse("member_data", args=["globex", self.amy_m.pk])).status_code,
            404,
        )


class ErasePageTests(OrgTestCase):
    def url(self, member: Membership | None = None) -> str:
        return reverse("member_erase", args=["acme", (member or self.amy_m).pk])

    def test_confirm_by_typing_the_address(self) -> None:
        self.login(self.alice)
        page = self.client.get(self.url())
        self.assertContains(page, "csrfmiddlewaretoken")
        response = self.client.post(self.url(), {"email": "someone@else.example"})
        self.assertEqual(response.status_code, 400)
        self.assertTrue(Membership.objects.filter(pk=self.amy_m.pk).exists())
        response = self.client.post(self.url(), {"email": " AMY@acme.example "})
        self.assertRedirects(response, reverse("members", args=["acme"]))
        self.assertFalse(Membership.objects.filter(pk=self.amy_m.pk).exists())
        amy = User.objects.get(pk=self.amy.pk)
        self.assertEqual(amy.email, f"erased-{amy.pk}@invalid")
        self.assertFalse(amy.is_active)
        self.assertFalse(amy.has_usable_password())
        entry = AuditEntry.objects.get(action="person.erase")
        self.assertEqual(entry.actor, self.alice)
        self.assertNotIn("amy", json.dumps([entry.target_label, entry.changes]).lower())

    def test_roles_outsiders_methods(self) -> None:
        self.login(self.paul)
        self.assertEqual(self.client.post(self.url(), {"email": self.amy.email}).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.post(self.url(), {"email": self.amy.email}).status_code, 404)
        self.login(self.alice)
        self.assertEqual(self.client.put(self.url()).status_code, 405)
        bad = reverse("member_erase", args=["acme", 999999])
        self.assertEqual(self.client.post(bad, {"email": "x@y.z"}).status_code, 404)
        self.assertTrue(Membership.objects.filter(pk=self.amy_m.pk).exists())

    def test_csrf_is_checked(self) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.alice)
        self.assertEqual(client.post(self.url(), {"email": self.amy.email}).status_code, 403)
        self.assertTrue(Membership.objects.filter(pk=self.amy_m.pk).exists())

    def test_not_oneself_nor_the_last_admin(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url(self.alice_m), {"email": self.alice.email})
        self.assertEqual(response.status_code, 400)
        self.assertTrue(Membership.objects.filter(pk=self.alice_m.pk).exists())
        # Another admin may not erase the last active admin either... once Alice is the
        # only admin, a second admin's request for her is refused by the same rule.
        second = make_member(self.org, Role.ORG_ADMIN)
        Membership.objects.filter(pk=second.pk).update(is_active=False)
        with self.assertRaisesMessage(Exception, "at least one active admin"):
            do_erase_person(second, self.alice_m, scope=Scope.ORGANISATION)


class ErasureTests(OrgTestCase):
    def test_other_organisation_keeps_the_account(self) -> None:
        globex = make_member(self.other_org, Role.AMBASSADOR, self.amy)
        make_share(globex, make_item(self.other_org), text="globex words")
        published_share(self.amy_m, make_item(self.org), originality=1, text="acme words")

        erasure = do_erase_person(self.alice_m, self.amy_m, scope=Scope.ORGANISATION)

        self.assertFalse(erasure.account_erased)
        amy = User.objects.get(pk=self.amy.pk)
        self.assertEqual(amy.email, "amy@acme.example")
        self.assertTrue(amy.is_active)
        self.assertTrue(Share.objects.filter(membership=globex, text="globex words").exists())
        self.assertFalse(Share.objects.filter(text="acme words").exists())
        self.assertEqual(Share.objects.filter(org=self.org, membership=None).count(), 1)

        # Then from Globex, her last organisation: the account goes.
        erasure = do_erase_person(self.oscar_m, globex, scope=Scope.ORGANISATION)
        self.assertTrue(erasure.account_erased)
        self.assertFalse(self.client.login(email="amy@acme.example", password=self.password))

    def test_everywhere(self) -> None:
        make_member(self.other_org, Role.AMBASSADOR, self.amy)
        erasure = do_erase_person(None, self.amy, scope=Scope.EVERYWHERE)
        self.assertTrue(erasure.account_erased)
        self.assertFalse(Membership.objects.filter(user=self.amy).exists())

    def test_sessions_end(self) -> None:
        self.login(self.amy)
        self.client.get(reverse("profile"))
        self.assertEqual(Session.objects.count(), 1)
        do_erase_person(self.alice_m, self.amy_m, scope=Scope.ORGANISATION)
        self.assertEqual(Session.objects.count(), 0)
        self.assertEqual(self.client.get(reverse("profile")).status_code, 302)

    def test_a_failure_changes_nothing(self) -> None:
        published_share(self.amy_m, make_item(self.org), originality=1, text="kept words")
        with self.assertRaises(ValueError):
            do_erase_person(self.alice_m, self.amy, scope=Scope.ORGANISATION)
        with self.assertRaises(ValueError):
            do_erase_person(self.alice_m, self.amy_m, scope="nonsense")
        self.assertTrue(Share.objects.filter(text="kept words", membership=self.amy_m).exists())


class LeaveAnonymisedTests(OrgTestCase):
    def test_the_leave_page_erases_contributions(self) -> None:
        make_everything(self.org, self.amy_m, self.maya_m, self.maya_m)
        self.login(self.amy)
        page = self.client.get(reverse("programme_leave", args=["acme"]))
        self.assertContains(page, "Anonymise my contributions")
        response = self.client.post(
            reverse("programme_leave", args=["acme"]), {"attribution": "anonymise"}
        )
        self.assertEqual(response.status_code, 302)

        # Still a member, with the consent record, marked as anonymised.
        participation = Participation.objects.get(membership=self.amy_m)
        self.assertEqual(participation.status, Participation.Status.LEFT)
        self.assertTrue(participation.anonymised)
        self.assertTrue(User.objects.get(pk=self.amy.pk).is_active)
        for label, entry in PERSONAL_DATA.items():
            if isinstance(entry, Personal) and entry.contributions and entry.person:
                if entry.erase == "rebuilt":
                    continue  # rebuilt by the worker (see the figures test)
                model = apps.get_model(label)
                self.assertFalse(
                    model._default_manager.filter(**{entry.person: self.amy_m}).exists(), label
                )
        published = Share.objects.get(org=self.org, status=Share.Status.PUBLISHED)
        self.assertIsNone(published.membership)
        self.assertEqual(published.text, "")
        self.assertFalse(Share.objects.filter(status=Share.Status.DRAFT).exists())
        faq = Question.objects.get(in_faq=True)
        self.assertEqual((faq.text, faq.answer, faq.faq_question), ("", "", "Can one share on X?"))
        entry = AuditEntry.objects.get(action="programme.anonymise")
        self.assertEqual(entry.actor, self.amy)

    def test_keeping_attribution_erases_nothing(self) -> None:
        share = published_share(self.amy_m, make_item(self.org), originality=1, text="mine")
        self.login(self.amy)
        self.client.post(reverse("programme_leave", args=["acme"]), {"attribution": "keep"})
        share.refresh_from_db()
        self.assertEqual((share.membership, share.text), (self.amy_m, "mine"))


@time_machine.travel(NOON, tick=False)
class FiguresTests(OrgTestCase):
    """The organisation's figures are the same after an erasure, once rebuilt."""

    def setUp(self) -> None:
        self.colleague = make_member(self.org, Role.AMBASSADOR, team=self.team)
        make_attributed_results(self.org, [self.amy_m, self.colleague])

    def measures(self) -> dict[str, Any]:
        # Reach comes from the person's profile (audience sizes): personal, so it goes.
        return last_30_days_figures(self.org, with_reach=False)

    def erase_and_rebuild(self, scope: str) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            do_erase_person(
                self.amy_m if scope == Scope.CONTRIBUTIONS else self.alice_m,
                self.amy_m,
                scope=scope,
            )
        rollups.refresh()

    def test_after_leaving_anonymised(self) -> None:
        before = self.measures()
        self.assertEqual(before["totals"]["shares"], 2)
        self.assertEqual(before["totals"]["clicks"], 6)
        self.erase_and_rebuild(Scope.CONTRIBUTIONS)
        self.assertEqual(self.measures(), before)

    def test_after_an_admin_erased_the_person(self) -> None:
        before = self.measures()
        self.erase_and_rebuild(Scope.ORGANISATION)
        self.assertEqual(self.measures(), before)
        # And no rollup row points at her any more.
        from chorus.analytics.models import ConversionDay, MemberMonth, PersonMonth, ShareDay

        for model in (ShareDay, ConversionDay, MemberMonth, PersonMonth):
            self.assertFalse(model._default_manager.filter(membership_id=self.amy_m.pk).exists())


class MappingTests(OrgTestCase):
    def test_every_model_is_classified(self) -> None:
        """A model with text, JSON or a link to a person must say whether it is personal."""
        labels = {model._meta.label for model in apps.get_models()}
        missing = sorted(
            model._meta.label
            for model in apps.get_models()
            if needs_mapping(model) and model._meta.label not in PERSONAL_DATA
        )
        self.assertEqual(missing, [], "add these to PERSONAL_DATA in personal_data.py")
        self.assertEqual(sorted(set(PERSONAL_DATA) - labels), [], "models that are gone")
        for label, entry in PERSONAL_DATA.items():
            if isinstance(entry, NotPersonal):
                self.assertTrue(entry.why, label)
            else:
                model = apps.get_model(label)
                for name in entry.keep:
                    model._meta.get_field(name)  # raises for a misspelt field

    def test_no_marker_survives_anywhere(self) -> None:
        """Every personal row of the person carries a marker; after erasure, no column of
        any table contains it."""
        colleague = make_member(self.org, Role.AMBASSADOR, team=self.team)
        person = self.amy_m
        User.objects.filter(pk=self.amy.pk).update(
            email=f"{MARKER}@acme.example", first_name=f"{MARKER}first", last_name=MARKER
        )
        person.user.refresh_from_db()
        make_everything(self.org, person, colleague, self.maya_m)
        # A colleague's notification that names her ("… suggests your next step").
        Notification.objects.create(
            org=self.org,
            membership=colleague,
            kind="nudge",
            message=f"{person.user.get_full_name()} suggests your next step",
        )
        self.client.force_login(person.user)
        self.client.get(reverse("profile"))  # a session

        for label, entry in PERSONAL_DATA.items():
            if not isinstance(entry, Personal) or not entry.person:
                continue
            model = apps.get_model(label)
            owner = person.user if entry.account else person
            key = owner.pk if entry.person == "pk" else owner
            rows = list(model._default_manager.filter(**{entry.person: key}))
            self.assertTrue(rows, f"make_everything() makes no {label} row for the person")
            for row in rows:
                self.fill(row, entry)

        with self.captureOnCommitCallbacks(execute=True):
            erasure = do_erase_person(self.alice_m, person, scope=Scope.ORGANISATION)
        rollups.refresh()

        self.assertTrue(erasure.account_erased)
        self.assertEqual(self.columns_containing(MARKER), [])
        self.assertEqual(Session.objects.count(), 0)
        self.assertFalse(CoachingNote.objects.filter(subject_id=person.pk).exists())

    def fill(self, row: models.Model, entry: Personal) -> None:
        """Put the marker in every free-text field of a personal row."""
        changed = []
        for field in row._meta.concrete_fields:
            if field.primary_key or field.choices or field.name in entry.keep:
                continue
            if entry.erase == "scrubbed":
                # The audit log is scrubbed of the person's identifiers, not of any text.
                value: Any = row.actor.email  # type: ignore[attr-defined]
            else:
                value = f"{MARKER}{row.pk}"
            if isinstance(field, EncryptedJSONField | models.JSONField):
                setattr(row, field.name, {"note": value})
            elif isinstance(field, models.CharField | models.TextField):
                if field.max_length is not None and field.max_length < len(value):
                    continue
                setattr(row, field.name, value)
            else:
                continue
            changed.append(field.name)
        if changed and entry.erase != "account":
            type(row)._default_manager.filter(pk=row.pk).update(
                **{name: getattr(row, name) for name in changed}
            )

    def columns_containing(self, needle: str) -> list[str]:
        """Every table.column whose text contains `needle` (compared in lower case)."""
        found = []
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor):
                for column in connection.introspection.get_table_description(cursor, table):
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {quote(table)} "
                        f"WHERE LOWER(CAST({quote(column.name)} AS TEXT)) LIKE %s",
                        [f"%{needle}%"],
                    )
                    if cursor.fetchone()[0]:
                        found.append(f"{table}.{column.name}")
        return found
