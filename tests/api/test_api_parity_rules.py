"""The operations that give the API the pages' actions keep the pages' rules: roles, one
organisation, and bad input refused with a 4xx that changes nothing."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from chorus.content.models import Caption, ContentItem, ImportJob, Topic
from chorus.engage.models import LeaderboardPreference
from chorus.notify.models import Notification
from chorus.orgs.models import Membership, Role, Team
from chorus.program.actions import do_invite
from chorus.program.models import HealthThresholds, Participation, Question
from chorus.sharing.models import Share
from tests.base import OrgTestCase
from tests.factory import (
    make_caption,
    make_item,
    make_member,
    make_share,
    make_token,
    make_topic,
    make_user,
    make_workshop,
)

PEOPLE = ("alice", "paul", "maya", "amy")  # org admin, program manager, team manager, ambassador


class ApiCase(OrgTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.tokens = {name: make_token(getattr(cls, f"{name}_m"))[1] for name in PEOPLE}
        cls.oscar_token = make_token(cls.oscar_m)[1]
        cls.item = make_item(cls.org, url="https://www.example.com/launch")
        cls.caption = make_caption(cls.item)
        cls.topic = make_topic(cls.org, "News")
        cls.other_item = make_item(cls.other_org)
        cls.other_caption = make_caption(cls.other_item)

    def call(self, who: str, method: str, path: str, body: Any = None) -> Any:
        token = self.oscar_token if who == "oscar" else self.tokens[who]
        kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)


# (method, path, body, the least role allowed): each person below it gets 403, each at or
# above it does not; the call is rolled back after each person.
ROLE_TABLE = [
    ("patch", "/organization", {"name": "Acme Inc"}, Role.ORG_ADMIN),
    ("post", "/members", {"email": "new@acme.example"}, Role.ORG_ADMIN),
    ("patch", "/members/{amy}", {"role": "team_manager"}, Role.ORG_ADMIN),
    ("post", "/teams", {"name": "Support"}, Role.PROGRAM_MANAGER),
    ("patch", "/captions/{caption}", {"text": "Edited"}, Role.PROGRAM_MANAGER),
    ("delete", "/captions/{caption}", None, Role.PROGRAM_MANAGER),
    ("post", "/personas", {"name": "CIOs"}, Role.PROGRAM_MANAGER),
    ("post", "/content/bulk", {"action": "archive", "items": ["{item}"]}, Role.PROGRAM_MANAGER),
    ("post", "/cohorts", {"name": "Pilot", "kind": "pilot"}, Role.PROGRAM_MANAGER),
    ("post", "/programme/invitations", {"emails": ["z@acme.example"]}, Role.PROGRAM_MANAGER),
    ("patch", "/health/thresholds", {"window_days": 14}, Role.PROGRAM_MANAGER),
    ("patch", "/points/rules", {"human_click": 2}, Role.PROGRAM_MANAGER),
    ("patch", "/links/settings", {"utm_medium": "staff"}, Role.PROGRAM_MANAGER),
    ("patch", "/digest/settings", {"items": 4}, Role.PROGRAM_MANAGER),
    ("patch", "/dashboard/settings", {"currency": "usd"}, Role.PROGRAM_MANAGER),
    ("get", "/dashboard", None, Role.PROGRAM_MANAGER),
    ("get", "/health", None, Role.PROGRAM_MANAGER),
    ("get", "/teams/{team}/results", None, Role.TEAM_MANAGER),
    (
        "post",
        "/workshops",
        {"title": "Voice", "starts_at": "2099-01-01T10:00:00Z"},
        Role.PROGRAM_MANAGER,
    ),
    ("patch", "/me/account", {"first_name": "Zed"}, Role.AMBASSADOR),
    ("put", "/leaderboard/visibility", {"visible": False}, Role.AMBASSADOR),
]


class RoleTests(ApiCase):
    def test_each_operation_refuses_the_roles_the_page_refuses(self) -> None:
        ids = {"amy": self.amy_m.pk, "caption": self.caption.pk, "item": self.item.pk}
        ids["team"] = self.team.pk
        for method, path, body, least in ROLE_TABLE:
            url = path.format(**ids)
            sent = json.loads(json.dumps(body).replace('"{item}"', str(self.item.pk)))
            for who in PEOPLE:
                with self.subTest(method=method, path=url, who=who), transaction.atomic():
                    status = self.call(who, method, url, sent).status_code
                    transaction.set_rollback(True)
                    allowed = getattr(self, f"{who}_m").has_role(least)
                    if allowed:
                        self.assertLess(status, 300, f"{method} {url} by {who}")
                    else:
                        self.assertEqual(status, 403)

    def test_another_organisations_objects_are_404(self) -> None:
        for method, path, body in [
            ("patch", f"/captions/{self.other_caption.pk}", {"text": "x"}),
            ("delete", f"/captions/{self.other_caption.pk}", None),
            ("post", f"/content/{self.other_item.pk}/preview", None),
            ("post", f"/feed/{self.other_item.pk}/not-for-me", None),
            ("patch", f"/members/{self.oscar_m.pk}", {"role": "ambassador"}),
            ("delete", f"/teams/{self.other_team.pk}", None),
        ]:
            with self.subTest(method=method, path=path):
                self.assertEqual(self.call("alice", method, path, body).status_code, 404)
        self.assertTrue(Caption.objects.filter(pk=self.other_caption.pk, text="Worth a read"))


class RefusedInputTests(ApiCase):
    """Bad input: 400 (or 409) naming what is wrong, and nothing changed."""

    def assert_refused(self, who: str, method: str, path: str, body: Any, field: str) -> None:
        response = self.call(who, method, path, body)
        self.assertEqual(response.status_code, 400, response.content)
        self.assertIn(field, response.json()["errors"])

    def test_settings_keep_their_values_when_one_field_is_bad(self) -> None:
        before = HealthThresholds.for_org(self.org).window_days
        self.assert_refused(
            "paul",
            "patch",
            "/health/thresholds",
            {"window_days": 14, "parrot_act_percent": 1000},
            "parrot_act_percent",
        )
        self.assertEqual(HealthThresholds.for_org(self.org).window_days, before)
        self.assert_refused(
            "paul", "patch", "/points/rules", {"original_share": 1, "copy_share": 5}, "copy_share"
        )
        self.assert_refused(
            "paul",
            "patch",
            "/links/settings",
            {"allowed_domains": ["not a domain"]},
            "allowed_domains",
        )
        self.assert_refused("paul", "patch", "/dashboard/settings", {"currency": "e1r"}, "currency")

    def test_content_refusals_change_nothing(self) -> None:
        self.assert_refused(
            "paul",
            "post",
            "/content/bulk",
            {"action": "delete", "items": [self.item.pk, self.other_item.pk]},
            "items",
        )
        self.assertTrue(ContentItem.objects.filter(pk=self.item.pk).exists())
        self.assert_refused("paul", "post", "/content/import", {"csv": "name\nx\n"}, "csv")
        self.assertFalse(ImportJob.objects.exists())
        make_topic(self.org, "Events")
        self.assert_refused("paul", "patch", f"/topics/{self.topic.pk}", {"name": "events"}, "name")
        self.assertEqual(Topic.objects.get(pk=self.topic.pk).name, "News")
        self.assert_refused(
            "paul", "patch", f"/captions/{self.caption.pk}", {"network": "myspace"}, "network"
        )

    def test_people_refusals_change_nothing(self) -> None:
        self.assert_refused("alice", "post", "/members", {"email": "not-an-address"}, "email")
        self.assert_refused("alice", "post", "/members", {"email": "amy@acme.example"}, "email")
        # The last admin cannot step down.
        self.assert_refused(
            "alice", "patch", f"/members/{self.alice_m.pk}", {"role": "ambassador"}, "__all__"
        )
        self.assertEqual(Membership.objects.get(pk=self.alice_m.pk).role, Role.ORG_ADMIN)
        self.assert_refused("paul", "post", "/teams", {"name": "sales"}, "name")
        self.assertEqual(Team.objects.filter(org=self.org).count(), 1)
        self.assert_refused("paul", "post", "/programme/invitations", {"emails": []}, "__all__")


class ProgrammeTests(ApiCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # Nina is a member the programme has not invited yet.
        cls.nina_m = make_member(cls.org, user=make_user("nina@acme.example"), programme=None)
        cls.tokens = {**cls.tokens, "nina": make_token(cls.nina_m)[1]}

    def test_invited_person_joins_with_consent_then_leaves(self) -> None:
        self.assertEqual(
            self.call("nina", "post", "/programme/join", {"consent": True}).status_code, 409
        )
        response = self.call(
            "paul", "post", "/programme/invitations", {"emails": ["nina@acme.example", "bad"]}
        )
        self.assertEqual(response.json()["invited"], ["nina@acme.example"])
        self.assertIn("bad", response.json()["refused"])
        refused = self.call("nina", "post", "/programme/join", {"consent": False})
        self.assertEqual(refused.status_code, 400)
        self.assertEqual(Participation.objects.get(membership=self.nina_m).status, "invited")
        joined = self.call("nina", "post", "/programme/join", {"consent": True})
        self.assertEqual(joined.json()["status"], "active")
        left = self.call("nina", "post", "/programme/leave", {"attribution": "keep"})
        self.assertEqual(left.json()["status"], "left")
        self.assertEqual(self.call("nina", "post", "/programme/leave", {}).status_code, 409)

    def test_decline(self) -> None:
        do_invite(self.paul_m, ["nina@acme.example"], None)
        self.assertEqual(
            self.call("nina", "post", "/programme/decline").json()["status"], "declined"
        )

    def test_questions_are_the_askers_and_the_programme_teams(self) -> None:
        asked = self.call("amy", "post", "/questions", {"text": "May I post in German?"})
        self.assertEqual(asked.status_code, 201)
        question = asked.json()["id"]
        self.assertEqual(self.call("maya", "get", f"/questions/{question}").status_code, 403)
        answer = {
            "answer": "Yes",
            "in_faq": True,
            "faq_question": "Languages?",
            "faq_answer": "Any.",
        }
        self.assertEqual(
            self.call("amy", "post", f"/questions/{question}/answer", answer).status_code, 403
        )
        self.assertEqual(
            self.call("paul", "post", f"/questions/{question}/answer", answer).status_code, 200
        )
        self.assertEqual(Question.objects.get(pk=question).answer, "Yes")
        faq = self.call("amy", "get", "/faq").json()
        self.assertEqual(faq["items"], [{"question": "Languages?", "answer": "Any."}])

    def test_workshop_signup_needs_the_programme_and_a_place(self) -> None:
        workshop = make_workshop(self.org, capacity=1)
        self.assertEqual(
            self.call("nina", "post", f"/workshops/{workshop.pk}/signup").status_code, 409
        )
        do_invite(self.paul_m, ["nina@acme.example"], None)
        self.call("nina", "post", "/programme/join", {"consent": True})
        self.assertTrue(
            self.call("nina", "post", f"/workshops/{workshop.pk}/signup").json()["mine"]
        )
        self.assertFalse(
            self.call("nina", "delete", f"/workshops/{workshop.pk}/signup").json()["mine"]
        )


class SharesAndFeedTests(ApiCase):
    def test_my_shares_edit_move_confirm_and_settle(self) -> None:
        draft = make_share(self.amy_m, self.item, method="intent", status="draft")
        posted = self.call(
            "amy", "post", f"/shares/{draft.pk}/posted", {"post_url": "https://x.example/1"}
        )
        self.assertEqual(posted.json()["status"], "published")
        self.assertEqual(
            self.call("amy", "post", f"/shares/{draft.pk}/posted", {}).status_code, 409
        )
        unknown = make_share(self.amy_m, self.item, status="check")
        self.assertEqual(
            self.call("amy", "post", f"/shares/{unknown.pk}/settle", {"published": True}).json()[
                "status"
            ],
            "published",
        )
        # Someone else's share is not found.
        self.assertEqual(
            self.call("paul", "patch", f"/shares/{unknown.pk}", {"text": "x"}).status_code, 404
        )
        self.assertEqual(Share.objects.get(pk=unknown.pk).status, "published")

    def test_not_for_me_and_the_profile(self) -> None:
        self.assertEqual(
            self.call("amy", "post", f"/feed/{self.item.pk}/not-for-me").status_code, 200
        )
        self.assertTrue(self.amy_m.feedback.filter(item=self.item).exists())
        response = self.call(
            "amy",
            "patch",
            "/me/profile",
            {
                "languages": ["fr"],
                "interests": [self.topic.pk],
                "networks": {"linkedin": {"size": "", "who": []}},
            },
        )
        self.assertEqual(response.status_code, 200, response.content)
        profile = response.json()
        self.assertEqual((profile["languages"], profile["interests"]), (["fr"], [self.topic.pk]))
        self.assertEqual(list(profile["networks"]), ["linkedin"])
        bad = self.call("amy", "patch", "/me/profile", {"weekly_cadence": 99})
        self.assertEqual(bad.status_code, 422)

    def test_notifications_read(self) -> None:
        first, _second = (
            Notification.objects.create(
                org=self.org, membership=self.amy_m, kind="nudge", message=m
            )
            for m in ("a", "b")
        )
        self.assertEqual(
            self.call("paul", "post", f"/notifications/{first.pk}/read").status_code, 404
        )
        self.assertIsNotNone(
            self.call("amy", "post", f"/notifications/{first.pk}/read").json()["read_at"]
        )
        self.assertEqual(self.call("amy", "post", "/notifications/read").json(), {"marked": 1})
        self.assertEqual(self.call("amy", "get", "/notifications?unread=true").json()["count"], 0)


class EngagementAndCoachingTests(ApiCase):
    def test_visibility_and_challenges(self) -> None:
        self.call("amy", "put", "/leaderboard/visibility", {"visible": False})
        self.assertFalse(LeaderboardPreference.objects.get(membership=self.amy_m).visible)
        body = {
            "title": "Five",
            "metric": "original_shares",
            "target": 5,
            "starts_on": "2026-01-01",
            "ends_on": "2025-01-01",
        }
        self.assertEqual(self.call("paul", "post", "/challenges", body).status_code, 400)
        body["ends_on"] = "2026-02-01"
        created = self.call("paul", "post", "/challenges", body)
        self.assertEqual(created.status_code, 201, created.content)
        changed = self.call("paul", "patch", f"/challenges/{created.json()['id']}", {"target": 7})
        self.assertEqual(changed.json()["target"], 7)

    def test_coaching_notes_between_two_people_only(self) -> None:
        self.assertEqual(
            self.call(
                "amy", "post", f"/coaching/people/{self.maya_m.pk}/notes", {"text": "Hi"}
            ).status_code,
            403,
        )
        note = self.call(
            "maya", "post", f"/coaching/people/{self.amy_m.pk}/notes", {"text": "Nice post"}
        )
        self.assertEqual(note.status_code, 201, note.content)
        note_id = note.json()["id"]
        self.assertEqual(
            self.call(
                "amy", "post", f"/coaching/notes/{note_id}/replies", {"text": "Thanks"}
            ).status_code,
            201,
        )
        # Not even the organisation's admin may learn it exists.
        self.assertEqual(self.call("alice", "get", f"/coaching/notes/{note_id}").status_code, 404)
        self.assertEqual(
            self.call(
                "amy", "post", f"/coaching/notes/{note_id}/replies", {"text": ""}
            ).status_code,
            400,
        )

    def test_dashboard_figures_and_export(self) -> None:
        board = self.call("paul", "get", "/dashboard?period=30").json()
        self.assertIn("summary", [table["name"] for table in board["tables"]])
        export = self.call("paul", "get", "/dashboard/export?table=networks")
        self.assertEqual(export["Content-Type"], "text/csv")
        bad = self.call("paul", "get", "/dashboard?period=custom&start=2026-02-01&end=2026-01-01")
        self.assertEqual(bad.status_code, 400)


class MembersTests(ApiCase):
    def test_add_change_and_remove_a_member(self) -> None:
        added = self.call(
            "alice", "post", "/members", {"email": "New@acme.example", "role": "ambassador"}
        )
        self.assertEqual(added.status_code, 201, added.content)
        member = Membership.objects.get(org=self.org, user__email="new@acme.example")
        changed = self.call("alice", "patch", f"/members/{member.pk}", {"team": self.team.pk})
        self.assertEqual(changed.json()["team_id"], self.team.pk)
        self.assertEqual(self.call("alice", "delete", f"/members/{member.pk}").status_code, 204)
        self.assertFalse(Membership.objects.filter(pk=member.pk).exists())
        # The account stays: only the membership goes, as on the page.
        self.assertTrue(get_user_model().objects.filter(email="new@acme.example").exists())

    def test_erase_needs_the_typed_address(self) -> None:
        person = make_member(self.org, Role.AMBASSADOR, make_user("gone@acme.example"))
        self.assertEqual(
            self.call(
                "alice", "post", f"/members/{person.pk}/erase", {"email": "x@y.z"}
            ).status_code,
            400,
        )
        self.assertTrue(Membership.objects.filter(pk=person.pk).exists())
        erased = self.call(
            "alice", "post", f"/members/{person.pk}/erase", {"email": "gone@acme.example"}
        )
        self.assertEqual(erased.status_code, 200, erased.content)
