"""Optional review: off by default; when on, a post publishes only after approval, exactly
once, at an allowed time; reviewers only; the author is told."""

from __future__ import annotations

from datetime import time, timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from chorus.governance.models import ReviewScope
from chorus.notify.models import Notification
from chorus.sharing import actions
from chorus.sharing.models import Review, Share, SharingPolicy
from chorus.sharing.publishing import publish_share
from chorus.sharing.review import do_decide, pending_reviews
from chorus.sharing.tasks import publish_due
from tests.factory import make_member
from tests.governance.test_disclosure_rules import DISCLOSURE_EN, GovernanceCase


class ReviewTests(GovernanceCase):
    def setUp(self) -> None:
        super().setUp()
        self.paul_m.is_reviewer = True
        self.paul_m.save(update_fields=["is_reviewer"])

    def hold(self, text: str = "", when: str = "now") -> Share:
        self.connect()
        ReviewScope.objects.get_or_create(org=self.org, membership=self.amy_m, first_shares=3)
        return actions.do_compose(
            self.amy_m,
            self.item,
            "mastodon",
            text or f"My view {self.marker} {DISCLOSURE_EN}",
            when=when,
        )

    def test_review_is_off_by_default(self) -> None:
        self.connect()
        with self.captureOnCommitCallbacks(execute=True):
            share = actions.do_compose(
                self.amy_m, self.item, "mastodon", f"Hi {self.marker} {DISCLOSURE_EN}"
            )
        share.refresh_from_db()
        self.assertEqual(share.status, Share.Status.PUBLISHED)
        self.assertFalse(Review.objects.exists())

    def test_a_held_post_publishes_only_after_approval_and_exactly_once(self) -> None:
        share = self.hold()
        self.assertEqual(share.status, Share.Status.REVIEW)
        publish_due()
        self.assertEqual(publish_share(share.pk), "not-claimed")  # held: not claimable
        self.assertEqual(self.posted(), [])
        review = Review.objects.get(share=share)
        self.assertIn("first 3 shares", review.reason)
        with self.captureOnCommitCallbacks(execute=True):
            do_decide(self.paul_m, review, Review.Decision.APPROVED)
        # A second decision, and every worker trying again, change nothing.
        with self.assertRaises(actions.ShareRefused):
            do_decide(self.paul_m, review, Review.Decision.APPROVED)
        publish_due()
        publish_share(share.pk)
        share.refresh_from_db()
        self.assertEqual(share.status, Share.Status.PUBLISHED)
        self.assertEqual(len(self.posted()), 1)
        note = Notification.objects.get(membership=self.amy_m)
        self.assertIn("approved", note.message)

    def test_a_late_approval_takes_the_next_allowed_time(self) -> None:
        share = self.hold()
        policy = SharingPolicy.objects.get_or_create(org=self.org)[0]
        policy.quiet_start, policy.quiet_end = time(21, 0), time(7, 0)
        policy.save()
        review = Review.objects.get(share=share)
        evening = timezone.now().replace(hour=22, minute=3, second=0, microsecond=0)
        with time_machine.travel(evening, tick=False):
            do_decide(self.paul_m, review, Review.Decision.APPROVED)
            share.refresh_from_db()
            self.assertEqual(share.status, Share.Status.SCHEDULED)
            next_morning = (evening + timedelta(days=1)).replace(hour=7, minute=0)
            self.assertEqual(share.scheduled_for, next_morning)
            publish_due()
        self.assertEqual(self.posted(), [])  # not in the quiet hours
        with time_machine.travel(next_morning + timedelta(minutes=1), tick=False):
            publish_due()
        self.assertEqual(len(self.posted()), 1)

    def test_a_slot_still_ahead_is_kept(self) -> None:
        share = self.hold(when="good")
        wanted = share.scheduled_for
        assert wanted is not None
        do_decide(self.paul_m, Review.objects.get(share=share), Review.Decision.APPROVED)
        share.refresh_from_db()
        self.assertEqual((share.status, share.scheduled_for), (Share.Status.SCHEDULED, wanted))

    def test_decline_and_edit_need_a_note_and_tell_the_author(self) -> None:
        share = self.hold()
        review = Review.objects.get(share=share)
        with self.assertRaisesMessage(actions.ShareRefused, "Say why"):
            do_decide(self.paul_m, review, Review.Decision.DECLINED)
        self.assertEqual(Review.objects.get().decision, Review.Decision.PENDING)
        with self.captureOnCommitCallbacks(execute=True):
            do_decide(self.paul_m, review, Review.Decision.DECLINED, note="Numbers not public yet.")
        share.refresh_from_db()
        self.assertEqual(share.status, Share.Status.CANCELLED)
        self.assertIn("Numbers not public yet.", Notification.objects.get().message)

        second = self.hold(f"Second {self.marker} {DISCLOSURE_EN} {share.link.code}")
        review = Review.objects.get(share=second)
        edited = second.text.replace("Second", "Reworded")
        with self.assertRaisesMessage(actions.ShareRefused, "not remove it"):
            do_decide(
                self.paul_m,
                review,
                Review.Decision.EDITED,
                note="x",
                text=edited.replace(DISCLOSURE_EN, ""),
            )
        with self.captureOnCommitCallbacks(execute=True):
            do_decide(self.paul_m, review, Review.Decision.EDITED, note="Softer.", text=edited)
        second.refresh_from_db()
        self.assertEqual(second.text, edited)
        self.assertEqual(len(self.posted()), 1)
        self.assertIn("Reworded", self.posted()[0]["content"])
        self.assertIn("Softer.", Notification.objects.latest("id").message)

    def test_an_approved_text_edited_by_its_author_is_reviewed_again(self) -> None:
        share = self.hold(when="good")
        do_decide(self.paul_m, Review.objects.get(share=share), Review.Decision.APPROVED)
        actions.do_edit(self.amy_m, share, f"Changed after approval {DISCLOSURE_EN}")
        share.refresh_from_db()
        self.assertEqual(share.status, Share.Status.REVIEW)
        self.assertEqual(share.reviews.filter(decision=Review.Decision.PENDING).count(), 1)

    def test_first_shares_only(self) -> None:
        self.connect()
        ReviewScope.objects.create(org=self.org, membership=self.amy_m, first_shares=1)
        first = actions.do_compose(
            self.amy_m, self.item, "mastodon", f"One {DISCLOSURE_EN}", when="good"
        )
        second = actions.do_compose(
            self.amy_m, self.item, "linkedin", f"Two {DISCLOSURE_EN}", when="good"
        )
        self.assertEqual(first.status, Share.Status.REVIEW)
        self.assertEqual(second.status, Share.Status.DRAFT)

    def test_reviewers_only_outsiders_404_and_nobody_reviews_their_own(self) -> None:
        share = self.hold()
        review = Review.objects.get(share=share)
        queue = reverse("review_queue", args=[self.org.slug])
        decide = reverse("review_decide", args=[self.org.slug, review.pk])
        self.login(self.paul)
        page = self.client.get(queue)
        self.assertContains(page, "first 3 shares")
        self.assertContains(page, "My view")
        self.assertEqual(self.client.get(decide).status_code, 405)
        bad = reverse("review_decide", args=[self.org.slug, 999999])
        self.assertEqual(self.client.post(bad, {"decision": "approved"}).status_code, 404)
        self.login(self.alice)  # an admin, but not a reviewer
        self.assertEqual(self.client.get(queue).status_code, 403)
        self.assertEqual(self.client.post(decide, {"decision": "approved"}).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.get(queue).status_code, 404)
        self.assertEqual(self.client.post(decide, {"decision": "approved"}).status_code, 404)
        self.amy_m.is_reviewer = True
        self.amy_m.save(update_fields=["is_reviewer"])
        self.assertEqual(list(pending_reviews(self.amy_m)), [])
        with self.assertRaisesMessage(actions.ShareRefused, "Someone else"):
            do_decide(self.amy_m, review, Review.Decision.APPROVED)
        self.login(self.paul)
        response = self.client.post(decide, {"decision": "approved"})
        self.assertRedirects(response, queue)
        share.refresh_from_db()
        self.assertNotEqual(share.status, Share.Status.REVIEW)

    def test_an_author_may_cancel_a_held_post(self) -> None:
        share = self.hold()
        actions.do_cancel(self.amy_m, share)
        self.assertEqual(list(pending_reviews(self.paul_m)), [])
        bob = make_member(self.org)
        self.assertFalse(bob.is_reviewer)

    def test_approving_a_changed_text_asks_for_edits_with_a_note(self) -> None:
        share = self.hold()
        review = Review.objects.get(share=share)
        decide = reverse("review_decide", args=[self.org.slug, review.pk])
        self.login(self.paul)
        changed = share.text.replace("My view", "Their view")
        response = self.client.post(decide, {"decision": "approved", "text": changed}, follow=True)
        self.assertContains(response, "Approve with my edits")
        self.assertEqual(Review.objects.get().decision, Review.Decision.PENDING)
        same = share.text.replace("\n", "\r\n")
        self.client.post(decide, {"decision": "approved", "text": same})
        self.assertEqual(Review.objects.get().decision, Review.Decision.APPROVED)

    def test_a_person_leaving_takes_their_held_posts_with_them(self) -> None:
        share = self.hold()
        actions.on_participant_left(self.amy_m, anonymise=False)
        share.refresh_from_db()
        self.assertEqual(share.status, Share.Status.CANCELLED)
        self.assertEqual(list(pending_reviews(self.paul_m)), [])
