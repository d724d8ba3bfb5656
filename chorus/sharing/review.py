"""Reviewing held shares: the queue, and approving, editing or declining one.

Review is optional and off by default (chorus.governance.models.ReviewScope); a share is
held only when a scope or a compliance rule asks for it. A decision is taken once: the
pending review is claimed with a conditional UPDATE, so two reviewers deciding at the same
moment cannot both approve, and an approved share is handed to the ordinary publishing
queue (`chorus.sharing.publishing.claim`), which publishes it exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.governance.records import day_start
from chorus.orgs.actions import audit
from chorus.orgs.models import Membership, Organization
from chorus.sharing.actions import ShareRefused, governance_verdict
from chorus.sharing.models import Review, Share
from chorus.sharing.notices import notify_review_decision
from chorus.sharing.originality import signature
from chorus.sharing.scheduling import SlotRefused, check_slot, next_allowed
from chorus.sharing.share_check import run
from chorus.sharing.tasks import publish_now


def may_review(membership: Membership) -> bool:
    return membership.is_reviewer


def require_reviewer(membership: Membership) -> None:
    """403 for anyone who is not a reviewer (checked on every review page and API call)."""
    if not may_review(membership):
        raise PermissionDenied


def pending_reviews(membership: Membership) -> QuerySet[Review]:
    """The reviewer's queue: held shares of the organisation, oldest first, not their own."""
    require_reviewer(membership)
    return (
        Review.objects.filter(
            org_id=membership.org_id,
            decision=Review.Decision.PENDING,
            share__status=Share.Status.REVIEW,
        )
        .exclude(share__membership=membership)
        .select_related("share__item", "share__membership__user")
        .order_by("submitted_at", "id")
    )


def get_review(membership: Membership, review_id: int) -> Review:
    """A review of the member's organisation for a reviewer: 404 to outsiders and for a
    bad id, 403 to members who are not reviewers."""
    review = (
        Review.objects.filter(org_id=membership.org_id, pk=review_id)
        .select_related("share__item", "share__membership__user", "share__link")
        .first()
    )
    if review is None:
        raise Http404
    require_reviewer(membership)
    return review


def release_time(share: Share, now: datetime) -> datetime | None:
    """When an approved share goes out: its slot if still ahead and allowed, else the next
    allowed moment from now (the decision came late, or the slot was taken meanwhile)."""
    assert share.membership is not None
    wanted = max(share.scheduled_for or now, now)
    try:
        check_slot(share.membership, share.network, wanted, exclude=share.pk)
    except SlotRefused:
        return next_allowed(share.membership, share.network, wanted, exclude=share.pk)
    return wanted


@transaction.atomic
def do_decide(
    reviewer: Membership,
    review: Review,
    decision: str,
    *,
    note: str = "",
    text: str | None = None,
) -> Review:
    """Approve, approve with edits (`text` and a `note`) or decline (a `note` saying why).

    ShareRefused when the review was already decided, the reviewer is its author, an edit
    breaks the organisation's rules, or a note is missing; nothing changes then.
    """
    require_reviewer(reviewer)
    if review.org_id != reviewer.org_id:
        raise Http404
    note = note.strip()[:500]
    share = (
        Share.objects.select_for_update(of=("self",))
        .select_related("item", "link")
        .get(pk=review.share_id)
    )
    if share.membership_id == reviewer.pk:
        raise ShareRefused(_("Someone else reviews your own posts."))
    if decision not in (
        Review.Decision.APPROVED,
        Review.Decision.EDITED,
        Review.Decision.DECLINED,
    ):
        raise ShareRefused(_("Unknown decision."))
    if decision in (Review.Decision.EDITED, Review.Decision.DECLINED) and not note:
        raise ShareRefused(
            _("Say why you declined it.")
            if decision == Review.Decision.DECLINED
            else _("Add a note: the author reads what you changed and why.")
        )
    if share.status != Share.Status.REVIEW or share.membership is None:
        raise ShareRefused(_("This post is no longer waiting for review."))
    if decision == Review.Decision.EDITED:
        text = (text or "").strip()
        if share.link is not None and share.link.code not in text and share.item.url:
            raise ShareRefused(_("Keep the post's link in the text."))
        governance_verdict(share.membership, share.item, share.network, text, exclude=share.pk)
        result = run(share.item, share.network, text, share.membership)
        if not result.fits:
            raise ShareRefused(
                _("The text is %(length)s characters long; the network takes %(limit)s.")
                % {"length": result.length, "limit": result.limit}
            )
    now = timezone.now()
    # The claim: exactly one decision per review, whoever clicks first.
    claimed = Review.objects.filter(pk=review.pk, decision=Review.Decision.PENDING).update(
        decision=decision, reviewer=reviewer, decided_at=now, note=note
    )
    if claimed != 1:
        raise ShareRefused(_("Another reviewer decided on this post already."))
    fields = ["status", "updated_at"]
    if decision == Review.Decision.DECLINED:
        share.status = Share.Status.CANCELLED
    else:
        if decision == Review.Decision.EDITED:
            assert text is not None
            share.text = text
            share.signature = signature(text, (share.item.url,))
            fields += ["text", "signature"]
        if share.method == Share.Method.API:
            share.scheduled_for = release_time(share, now)
            if share.scheduled_for is None:
                raise ShareRefused(_("No allowed time in the coming days: try again later."))
            share.status = Share.Status.SCHEDULED
            share.next_attempt_at = None
            fields += ["scheduled_for", "next_attempt_at"]
        else:
            # Shared from the person's device: the intent is theirs to open now.
            share.status = Share.Status.DRAFT
    share.save(update_fields=fields)
    review.refresh_from_db()
    audit(
        reviewer.org,
        reviewer.user,
        f"review.{decision}",
        share,
        {
            "decision": [Review.Decision.PENDING.value, decision],
            **({"note": [None, note]} if note else {}),
        },
    )
    transaction.on_commit(lambda: notify_review_decision(review))
    if share.status == Share.Status.SCHEDULED and share.scheduled_for <= now:  # type: ignore[operator]
        transaction.on_commit(lambda: publish_now(share.pk))
    return review


# --- Records: what was published, and who approved it ---------------------------------------

RECORD_COLUMNS = (
    "published_at",
    "author",
    "network",
    "content",
    "text",
    "post_url",
    "reviews",
)


def published_records(
    org: Organization, *, since: date | None = None, until: date | None = None
) -> Iterator[dict[str, Any]]:
    """Every share published from `since` to `until` (days included), oldest first, each
    with its reviews (who decided what, when, and why it was held)."""
    shares = Share.objects.published().filter(org=org)
    if since:
        shares = shares.filter(published_at__gte=day_start(since))
    if until:
        shares = shares.filter(published_at__lt=day_start(until + timedelta(days=1)))
    shares = shares.select_related("item", "membership__user").prefetch_related(
        Prefetch(
            "reviews",
            queryset=Review.objects.select_related("reviewer__user").order_by("submitted_at", "id"),
        )
    )
    for share in shares.order_by("published_at", "id").iterator(chunk_size=500):
        yield {
            "published_at": share.published_at.isoformat() if share.published_at else "",
            "author": share.membership.user.email if share.membership else "",
            "network": share.network,
            "content": share.item.title,
            "text": share.text,
            "post_url": share.remote_url,
            "reviews": [
                {
                    "reason": review.reason,
                    "submitted_at": review.submitted_at.isoformat(),
                    "decision": review.decision,
                    "reviewer": review.reviewer.user.email if review.reviewer else "",
                    "decided_at": review.decided_at.isoformat() if review.decided_at else "",
                    "note": review.note,
                }
                for review in share.reviews.all()
            ],
        }
