"""The control check's review figures, from data: ok, watch and act as review delays and
declines grow."""

from __future__ import annotations

from datetime import timedelta

from chorus.sharing.models import Review, Share
from tests.analytics.test_health import HealthTestCase, days_ago, report
from tests.factory import backdate, make_member, make_share


class ReviewControlTests(HealthTestCase):
    def review(
        self, *, hours: float | None, decision: str = "approved", age_days: float = 5
    ) -> Review:
        """A post submitted `age_days` ago, decided after `hours` (None: still waiting)."""
        member = make_member(self.acme2)
        share = make_share(member, self.item, status=Share.Status.PUBLISHED)
        submitted = days_ago(age_days)
        review = Review.objects.create(
            org=self.acme2,
            share=share,
            reason="first shares",
            submitted_text=share.text,
            decision=decision if hours is not None else Review.Decision.PENDING,
        )
        decided = None if hours is None else submitted + timedelta(hours=hours)
        return backdate(review, submitted_at=submitted, decided_at=decided)  # type: ignore[arg-type]

    def test_ok_without_review_and_with_quick_rare_declines(self) -> None:
        check = report(self.acme2)["control"]
        self.assertIsNone(check.figure("review_decision_hours"))
        self.assertIsNone(check.figure("review_declined"))
        for hours in (1, 2, 3, 4):
            self.review(hours=hours)
        self.review(hours=2, decision="declined")
        check = report(self.acme2)["control"]
        self.assertEqual(check.status, "ok")
        self.assertEqual(check.figure("review_decision_hours"), 2)
        self.assertAlmostEqual(check.figure("review_declined"), 0.2)  # type: ignore[arg-type]

    def test_watch_when_posts_wait_days_in_review(self) -> None:
        self.review(hours=None, age_days=3)  # still waiting: counts as 72 hours so far
        check = report(self.acme2)["control"]
        self.assertEqual(check.status, "watch")
        self.assertAlmostEqual(check.figure("review_decision_hours"), 72, places=0)  # type: ignore[arg-type]
        self.assertIn("wait long in review", check.advice)

    def test_act_when_review_takes_over_a_week(self) -> None:
        for hours in (200, 190, 2):
            self.review(hours=hours, age_days=20)
        check = report(self.acme2)["control"]
        self.assertEqual((check.status, check.figure("review_decision_hours")), ("act", 190))

    def test_watch_then_act_as_declines_grow(self) -> None:
        for index in range(5):
            self.review(hours=1, decision="declined" if index < 1 else "approved")
        self.assertEqual(report(self.acme2)["control"].status, "ok")  # 20%: not yet
        self.review(hours=1, decision="declined")  # 2 of 6: 33%
        check = report(self.acme2)["control"]
        self.assertEqual(check.status, "watch")
        self.assertIn("decline many posts", check.advice)
        self.review(hours=1, decision="declined")  # 3 of 7: 43%
        self.assertEqual(report(self.acme2)["control"].status, "act")

    def test_declines_are_not_judged_on_few_decisions(self) -> None:
        for _ in range(4):
            self.review(hours=1, decision="declined")
        check = report(self.acme2)["control"]
        self.assertEqual(check.status, "ok")
        self.assertIsNone(check.figure("review_declined"))
