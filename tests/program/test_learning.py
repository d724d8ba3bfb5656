"""Training resources in two languages, workshops, questions with answers by notification,
the FAQ, and the notifications themselves (only ever to people in the programme)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection as database
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from chorus.content.models import ContentItem
from chorus.notify.actions import notify
from chorus.notify.models import Notification
from chorus.program.actions import do_leave
from chorus.program.models import Question, Resource, ResourceText, Workshop, WorkshopSignup
from tests.base import OrgTestCase
from tests.factory import (
    make_item,
    make_member,
    make_question,
    make_resource,
    make_user,
    make_workshop,
)

# --- Training resources -------------------------------------------------------------------


class ResourceTests(OrgTestCase):
    new_url = "/o/acme/resources/new/"

    def resource_data(self, **fields: Any) -> dict[str, Any]:
        return {
            "kind": "article",
            "position": 0,
            "title_en": "Posting well",
            "body_en": "Say why it matters to you.",
            "title_fr": "Bien publier",
            "body_fr": "Dites pourquoi cela compte pour vous.",
            **fields,
        }

    def test_programme_manager_writes_a_resource_in_two_languages(self) -> None:
        self.login(self.paul)
        self.assertEqual(self.client.get(self.new_url).status_code, 200)
        response = self.client.post(self.new_url, self.resource_data())
        self.assertRedirects(response, "/o/acme/resources/")
        resource = Resource.objects.get(org=self.org)
        self.assertEqual(
            dict(resource.texts.values_list("language", "title")),
            {"en": "Posting well", "fr": "Bien publier"},
        )
        # Each person reads it in their language.
        french = make_member(self.org, user=make_user(language="fr"))
        self.login(french.user)
        listing = self.client.get("/o/acme/resources/")
        self.assertContains(listing, "Bien publier")
        self.assertNotContains(listing, "Posting well")
        page = self.client.get(f"/o/acme/resources/{resource.pk}/")
        self.assertContains(page, "Dites pourquoi")
        self.assertContains(page, 'lang="fr"')
        self.login(self.amy)
        listing = self.client.get("/o/acme/resources/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(listing, "Posting well")
        self.assertNotContains(listing, "Bien publier")
        # A resource written in one language only is shown in it to everyone.
        english_only = make_resource(self.org, titles={"en": "English only"})
        self.login(french.user)
        self.assertContains(
            self.client.get(f"/o/acme/resources/{english_only.pk}/"), "English only"
        )

    def test_editing_changes_and_removes_a_language(self) -> None:
        resource = make_resource(self.org, titles={"en": "Old", "fr": "Ancien"})
        self.login(self.paul)
        form = self.client.get(f"/o/acme/resources/{resource.pk}/edit/")
        self.assertContains(form, 'value="Ancien"')
        response = self.client.post(
            f"/o/acme/resources/{resource.pk}/edit/",
            self.resource_data(title_en="New", title_fr="", body_fr=""),
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(
            list(ResourceText.objects.filter(resource=resource).values_list("title", flat=True)),
            ["New"],
        )

    def test_only_one_guide_per_organisation(self) -> None:
        other_guide = make_resource(self.other_org, is_guide=True)
        first = make_resource(self.org, is_guide=True)
        self.login(self.paul)
        self.client.post(self.new_url, self.resource_data(kind="guide", is_guide="on"))
        second = Resource.objects.exclude(pk=first.pk).get(org=self.org)
        self.assertEqual(
            list(Resource.objects.filter(org=self.org, is_guide=True)), [second], "one guide"
        )
        self.client.post(f"/o/acme/resources/{first.pk}/edit/", self.resource_data(is_guide="on"))
        self.assertEqual(list(Resource.objects.filter(org=self.org, is_guide=True)), [first])
        other_guide.refresh_from_db()
        self.assertTrue(other_guide.is_guide, "another organisation's guide stays")

    def test_bad_input_changes_nothing(self) -> None:
        resource = make_resource(self.org, titles={"en": "Kept"})
        self.login(self.paul)
        for data in (
            self.resource_data(title_en="", title_fr="", body_en="", body_fr=""),
            self.resource_data(kind="video", url=""),
            self.resource_data(kind="link"),
            self.resource_data(title_fr="", body_fr="Un texte sans titre"),
            self.resource_data(kind="podcast"),
            self.resource_data(url="javascript:alert(1)"),
        ):
            for url in (self.new_url, f"/o/acme/resources/{resource.pk}/edit/"):
                self.assertEqual(self.client.post(url, data).status_code, 400, data)
        self.assertEqual(Resource.objects.filter(org=self.org).count(), 1)
        self.assertEqual(list(resource.texts.values_list("title", flat=True)), ["Kept"])

    def test_roles(self) -> None:
        resource = make_resource(self.org)
        foreign = make_resource(self.other_org)
        edit_url = f"/o/acme/resources/{resource.pk}/edit/"
        self.login(self.amy)
        self.assertEqual(self.client.get(f"/o/acme/resources/{resource.pk}/").status_code, 200)
        for url in (self.new_url, edit_url):
            self.assertEqual(self.client.get(url).status_code, 403)
            self.assertEqual(self.client.post(url, self.resource_data()).status_code, 403)
        self.assertNotContains(self.client.get("/o/acme/resources/"), self.new_url)
        self.login(self.paul)
        self.assertEqual(self.client.get(f"/o/acme/resources/{foreign.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/o/acme/resources/{foreign.pk}/edit/").status_code, 404)
        self.assertEqual(self.client.get("/o/acme/resources/999999/").status_code, 404)
        self.assertEqual(self.client.post("/o/acme/resources/").status_code, 405)
        self.login(self.oscar)
        self.assertEqual(self.client.get("/o/acme/resources/").status_code, 404)
        self.assertEqual(self.client.get(edit_url).status_code, 404)
        self.assertEqual(Resource.objects.filter(org=self.org).count(), 1)

    def test_listing_query_count_does_not_grow(self) -> None:
        self.login(self.amy)
        counts = []
        for number in (2, 8):
            while Resource.objects.filter(org=self.org).count() < number:
                make_resource(self.org, titles={"en": "English", "fr": "Français"})
            with CaptureQueriesContext(database) as queries:
                self.assertEqual(self.client.get("/o/acme/resources/").status_code, 200)
            counts.append(len(queries))
        self.assertEqual(counts[0], counts[1])


# --- Workshops ----------------------------------------------------------------------------


class WorkshopTests(OrgTestCase):
    def setUp(self) -> None:
        self.workshop = make_workshop(self.org)
        self.url = f"/o/acme/workshops/{self.workshop.pk}/"

    def act(self, action: str, **data: Any) -> Any:
        return self.client.post(self.url, {"action": action, **data}, follow=True)

    def test_programme_manager_plans_a_workshop(self) -> None:
        self.login(self.paul)
        starts = (timezone.now() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
        data = {
            "title": "Posting on LinkedIn",
            "description": "An hour of practice.",
            "language": "fr",
            "starts_at": starts,
            "duration_minutes": 90,
            "location": "Room 2",
            "capacity": 12,
        }
        yesterday = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        for bad in (
            {"duration_minutes": 5},
            {"title": ""},
            {"starts_at": "tomorrow"},
            {"starts_at": yesterday},
            {"capacity": -1},
        ):
            self.assertEqual(
                self.client.post("/o/acme/workshops/", {**data, **bad}).status_code, 400, bad
            )
        self.assertEqual(Workshop.objects.filter(org=self.org).count(), 1)
        response = self.client.post("/o/acme/workshops/", data)
        self.assertRedirects(response, "/o/acme/workshops/")
        planned = Workshop.objects.get(title="Posting on LinkedIn")
        self.assertEqual(
            (planned.org, planned.created_by, planned.capacity, planned.language),
            (self.org, self.paul_m, 12, "fr"),
        )
        self.login(self.amy)
        self.assertContains(self.client.get("/o/acme/workshops/"), "Posting on LinkedIn")

    def test_ambassador_cannot_plan(self) -> None:
        self.login(self.amy)
        self.assertEqual(
            self.client.post(
                "/o/acme/workshops/",
                {"title": "Mine", "starts_at": "2030-01-01T10:00", "duration_minutes": 60},
            ).status_code,
            403,
        )
        self.assertEqual(Workshop.objects.count(), 1)

    def test_sign_up_and_cancel(self) -> None:
        self.login(self.amy)
        self.assertContains(self.act("signup"), "You are signed up")
        self.assertTrue(
            WorkshopSignup.objects.filter(workshop=self.workshop, membership=self.amy_m).exists()
        )
        self.act("signup")  # twice: still one place
        self.assertEqual(WorkshopSignup.objects.count(), 1)
        self.assertContains(self.client.get("/o/acme/workshops/"), "You are signed up")
        self.assertContains(self.act("cancel"), "Your place is released.")
        self.assertFalse(WorkshopSignup.objects.exists())

    def test_a_full_workshop_takes_nobody_else(self) -> None:
        full = make_workshop(self.org, capacity=1)
        WorkshopSignup.objects.create(workshop=full, membership=self.maya_m)
        self.login(self.amy)
        response = self.client.post(
            f"/o/acme/workshops/{full.pk}/", {"action": "signup"}, follow=True
        )
        self.assertContains(response, "This workshop is full.")
        self.assertEqual(list(full.signups.values_list("membership", flat=True)), [self.maya_m.pk])

    def test_people_outside_the_programme_cannot_sign_up(self) -> None:
        for status in ("invited", "declined", "left", None):
            member = make_member(self.org, programme=status)
            self.login(member.user)
            self.assertContains(self.act("signup"), "Join the programme", msg_prefix=str(status))
        self.assertFalse(WorkshopSignup.objects.exists())

    def test_past_workshop_refuses_sign_up_and_keeps_places(self) -> None:
        past = make_workshop(self.org, days=-1)
        signup = WorkshopSignup.objects.create(workshop=past, membership=self.amy_m)
        newcomer = make_member(self.org)
        self.login(newcomer.user)
        response = self.client.post(
            f"/o/acme/workshops/{past.pk}/", {"action": "signup"}, follow=True
        )
        self.assertContains(response, "already started")
        self.login(self.amy)
        response = self.client.post(
            f"/o/acme/workshops/{past.pk}/", {"action": "cancel"}, follow=True
        )
        self.assertContains(response, "already started")
        self.assertEqual(list(past.signups.all()), [signup])

    def test_programme_manager_records_attendance(self) -> None:
        came = WorkshopSignup.objects.create(workshop=self.workshop, membership=self.amy_m)
        missed = WorkshopSignup.objects.create(workshop=self.workshop, membership=self.maya_m)
        elsewhere = WorkshopSignup.objects.create(
            workshop=make_workshop(self.org), membership=self.amy_m
        )
        self.login(self.paul)
        page = self.client.get(self.url)
        self.assertContains(page, f'name="present" value="{came.pk}"')
        self.assertContains(
            self.act("attendance", present=[str(came.pk), str(elsewhere.pk), "x", "²", "9" * 30]),
            "Attendance saved.",
        )
        for signup, attended in ((came, True), (missed, False), (elsewhere, None)):
            signup.refresh_from_db()
            self.assertEqual(signup.attended, attended)

    def test_ambassador_cannot_record_attendance_nor_see_who_signed_up(self) -> None:
        signup = WorkshopSignup.objects.create(workshop=self.workshop, membership=self.maya_m)
        self.login(self.amy)
        self.assertNotContains(self.client.get(self.url), 'name="present"')
        response = self.client.post(self.url, {"action": "attendance", "present": [signup.pk]})
        self.assertEqual(response.status_code, 403)
        signup.refresh_from_db()
        self.assertIsNone(signup.attended)

    def test_outsiders_and_bad_ids(self) -> None:
        foreign = make_workshop(self.other_org)
        self.login(self.oscar)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url, {"action": "signup"}).status_code, 404)
        self.login(self.amy)
        self.assertEqual(self.client.get(f"/o/acme/workshops/{foreign.pk}/").status_code, 404)
        self.assertEqual(self.client.get("/o/acme/workshops/999999/").status_code, 404)
        self.assertEqual(self.client.put(self.url).status_code, 405)
        self.assertFalse(WorkshopSignup.objects.exists())

    def test_listing_query_count_does_not_grow(self) -> None:
        self.login(self.amy)
        counts = []
        for number in (2, 8):
            while Workshop.objects.filter(org=self.org).count() < number:
                WorkshopSignup.objects.create(
                    workshop=make_workshop(self.org), membership=make_member(self.org)
                )
            with CaptureQueriesContext(database) as queries:
                self.assertEqual(self.client.get("/o/acme/workshops/").status_code, 200)
            counts.append(len(queries))
        self.assertEqual(counts[0], counts[1])


# --- Questions and the FAQ ----------------------------------------------------------------


class AskTests(OrgTestCase):
    def test_ask_from_a_page_records_the_page_and_the_item(self) -> None:
        item = make_item(self.org, title="Our new office")
        self.login(self.amy)
        url = f"/o/acme/questions/ask/?from=/o/acme/feed/&item={item.pk}"
        page = self.client.get(url)
        self.assertContains(page, 'name="from" value="/o/acme/feed/"')
        self.assertContains(page, "Our new office")
        self.assertEqual(self.client.post(url, {"text": "  "}).status_code, 400)
        response = self.client.post(url, {"text": "May I mention the address?"})
        question = Question.objects.get()
        self.assertRedirects(response, f"/o/acme/questions/{question.pk}/")
        self.assertEqual(
            (question.asked_by, question.context_path, question.item, question.text),
            (self.amy_m, "/o/acme/feed/", item, "May I mention the address?"),
        )
        # The hidden fields of the form carry them too.
        self.client.post(
            "/o/acme/questions/ask/",
            {"text": "Again?", "from": "/o/acme/content/", "item": item.pk},
        )
        self.assertEqual(
            Question.objects.filter(context_path="/o/acme/content/", item=item).count(), 1
        )

    def test_foreign_addresses_and_unseen_items_are_dropped(self) -> None:
        foreign_item = make_item(self.other_org)
        draft = make_item(self.org, title="Secret launch", status=ContentItem.Status.DRAFT)
        self.login(self.amy)
        for source, item in (
            ("https://evil.example/", foreign_item.pk),
            ("//evil.example/path", draft.pk),
            ("javascript:alert(1)", "abc"),
            ("/\\evil.example", 999999),
            ("", "²"),
            ("", "9" * 30),
        ):
            url = f"/o/acme/questions/ask/?from={source}&item={item}"
            page = self.client.get(url)
            self.assertContains(page, '<input type="hidden" name="from" value="">')
            self.assertNotContains(page, "Secret launch")
            self.assertNotContains(page, 'name="item"')
            self.client.post(url, {"text": "Hello?"})
        self.assertEqual(Question.objects.count(), 6)
        self.assertEqual(set(Question.objects.values_list("context_path", "item")), {("", None)})


class AnswerTests(OrgTestCase):
    def setUp(self) -> None:
        self.question = make_question(self.amy_m, "Can I post about the new product?")
        self.url = f"/o/acme/questions/{self.question.pk}/"

    def answer(self, **data: Any) -> Any:
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(self.url, {"answer": "Yes, once it is announced.", **data})

    def test_programme_manager_answers_and_the_asker_is_notified(self) -> None:
        self.amy.language = "fr"
        self.amy.save(update_fields=["language"])
        self.login(self.paul)
        self.assertContains(self.client.get("/o/acme/questions/"), "Can I post about")
        response = self.answer()
        self.assertRedirects(response, "/o/acme/questions/")
        inbox = self.client.get("/o/acme/questions/")
        self.assertEqual(
            (list(inbox.context["open"]), list(inbox.context["answered"])), ([], [self.question])
        )
        self.question.refresh_from_db()
        self.assertEqual(
            (self.question.answer, self.question.answered_by),
            ("Yes, once it is announced.", self.paul_m),
        )
        notification = Notification.objects.get(membership=self.amy_m)
        self.assertEqual(
            (notification.kind, notification.url), (Notification.Kind.ANSWER, self.url)
        )
        self.login(self.amy)
        self.assertContains(self.client.get(self.url), "Yes, once it is announced.")
        # An update notifies again.
        self.login(self.paul)
        self.answer(answer="Yes, from Monday.")
        self.assertEqual(Notification.objects.filter(membership=self.amy_m).count(), 2)

    def test_answer_needs_text(self) -> None:
        self.login(self.paul)
        self.assertEqual(self.answer(answer="").status_code, 400)
        self.assertEqual(self.answer(in_faq="on", faq_question="").status_code, 400)
        self.question.refresh_from_db()
        self.assertFalse(self.question.is_answered)
        self.assertFalse(Notification.objects.exists())

    def test_faq_shows_published_answers_searchable(self) -> None:
        self.login(self.paul)
        self.answer(
            answer="Yes, Amy, once it is announced on the 12th.",
            in_faq="on",
            faq_question="Can I post about a product before its launch?",
            faq_answer="Wait for the announcement.",
        )
        private = make_question(self.maya_m, "Is the office closed on Friday?")
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/o/acme/questions/{private.pk}/", {"answer": "Yes, closed."})
        self.login(self.amy)
        faq = self.client.get("/o/acme/faq/")
        self.assertContains(faq, "Can I post about a product before its launch?")
        self.assertContains(faq, "Wait for the announcement.")
        self.assertNotContains(faq, "Amy")
        self.assertNotContains(faq, "office")
        self.assertContains(self.client.get("/o/acme/faq/?q=LAUNCH product"), "its launch")
        self.assertContains(self.client.get("/o/acme/faq/?q=announcement"), "its launch")
        self.assertNotContains(self.client.get("/o/acme/faq/?q=office"), "Friday")
        self.assertNotContains(self.client.get("/o/acme/faq/?q=launch+salary"), "its launch")
        # The answer sent to the asker is not what the FAQ shows: searching it finds nothing.
        self.assertNotContains(self.client.get("/o/acme/faq/?q=12th"), "its launch")
        self.login(self.oscar)
        self.assertEqual(self.client.get("/o/acme/faq/").status_code, 404)

    def test_ambassadors_see_only_their_own_questions_and_cannot_answer(self) -> None:
        others = make_question(self.maya_m, "Maya's doubt")
        self.login(self.amy)
        listing = self.client.get("/o/acme/questions/")
        self.assertContains(listing, "Can I post about")
        self.assertNotContains(listing, "Maya&#x27;s doubt")
        self.assertEqual(self.client.get(self.url).status_code, 200)
        self.assertEqual(self.client.get(f"/o/acme/questions/{others.pk}/").status_code, 403)
        self.assertEqual(self.answer().status_code, 403)
        self.question.refresh_from_db()
        self.assertFalse(self.question.is_answered)
        self.login(self.oscar)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.login(self.paul)
        self.assertEqual(self.client.get("/o/acme/questions/999999/").status_code, 404)
        self.assertEqual(self.client.post("/o/acme/questions/").status_code, 405)

    def test_no_notification_for_someone_who_left(self) -> None:
        do_leave(self.amy_m, anonymise=False)
        self.login(self.paul)
        self.assertEqual(self.answer().status_code, 302)
        self.question.refresh_from_db()
        self.assertEqual(self.question.answer, "Yes, once it is announced.")
        self.assertFalse(Notification.objects.exists())


# --- Notifications ------------------------------------------------------------------------


class NotificationTests(OrgTestCase):
    def test_only_programme_members_are_notified(self) -> None:
        for status in ("invited", "declined", "left", None):
            member = make_member(self.org, programme=status)
            self.assertIsNone(notify(member, Notification.Kind.NUDGE, "Hello"), status)
        self.assertFalse(Notification.objects.exists())
        self.assertIsNotNone(notify(self.amy_m, Notification.Kind.NUDGE, "Hello"))

    def test_message_is_written_in_the_recipients_language(self) -> None:
        french = make_member(self.org, user=make_user(language="fr"))
        with translation.override("en"):
            notification = notify(french, Notification.Kind.NUDGE, translation.get_language)
        assert notification is not None
        self.assertEqual(notification.message, "fr")

    def test_leaving_deletes_unread_notifications(self) -> None:
        unread = notify(self.amy_m, Notification.Kind.NUDGE, "Unread")
        read = notify(self.amy_m, Notification.Kind.NUDGE, "Read")
        assert unread is not None and read is not None
        read.read_at = timezone.now()
        read.save(update_fields=["read_at"])
        kept = notify(self.maya_m, Notification.Kind.NUDGE, "Maya's")
        self.login(self.amy)
        self.client.post("/o/acme/programme/leave/", {"attribution": "keep"})
        self.assertEqual(set(Notification.objects.all()), {read, kept})

    def test_opening_marks_read_and_goes_only_to_local_paths(self) -> None:
        self.login(self.amy)
        for target, expected in (
            ("/o/acme/faq/", "/o/acme/faq/"),
            ("", "/o/acme/notifications/"),
            ("https://evil.example/", "/o/acme/notifications/"),
            ("//evil.example/", "/o/acme/notifications/"),
            ("javascript:alert(1)", "/o/acme/notifications/"),
            ("faq", "/o/acme/notifications/"),
        ):
            notification = Notification.objects.create(
                org=self.org, membership=self.amy_m, kind="nudge", message="Hi", url=target
            )
            response = self.client.post(f"/o/acme/notifications/{notification.pk}/open/")
            self.assertRedirects(
                response, expected, fetch_redirect_response=False, msg_prefix=target
            )
            notification.refresh_from_db()
            self.assertIsNotNone(notification.read_at)
        self.assertEqual(
            self.client.get(f"/o/acme/notifications/{notification.pk}/open/").status_code, 405
        )

    def test_read_all_and_other_peoples_notifications(self) -> None:
        mine = [notify(self.amy_m, Notification.Kind.NUDGE, f"Mine {n}") for n in range(3)]
        theirs = notify(self.maya_m, Notification.Kind.NUDGE, "Maya's")
        assert theirs is not None
        self.login(self.amy)
        page = self.client.get("/o/acme/notifications/")
        self.assertContains(page, "Mine 2")
        self.assertNotContains(page, "Maya")
        response = self.client.post(f"/o/acme/notifications/{theirs.pk}/open/")
        self.assertEqual(response.status_code, 404)
        self.assertRedirects(
            self.client.post("/o/acme/notifications/read/"), "/o/acme/notifications/"
        )
        self.assertFalse(Notification.objects.filter(pk__in=[n.pk for n in mine if n]).unread())
        theirs.refresh_from_db()
        self.assertIsNone(theirs.read_at)
        self.assertEqual(self.client.get("/o/acme/notifications/read/").status_code, 405)
        self.login(self.oscar)
        self.assertEqual(self.client.get("/o/acme/notifications/").status_code, 404)
        self.assertEqual(
            self.client.post(f"/o/acme/notifications/{theirs.pk}/open/").status_code, 404
        )

    def test_listing_query_count_does_not_grow(self) -> None:
        self.login(self.amy)
        counts = []
        for number in (2, 8):
            while Notification.objects.filter(membership=self.amy_m).count() < number:
                notify(self.amy_m, Notification.Kind.NUDGE, "Hello")
            with CaptureQueriesContext(database) as queries:
                self.assertEqual(self.client.get("/o/acme/notifications/").status_code, 200)
            counts.append(len(queries))
        self.assertEqual(counts[0], counts[1])
