"""The reviewers' queue: held posts, approved, edited or declined from a phone."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from chorus.governance.forms import PeriodForm
from chorus.governance.records import download, refused
from chorus.orgs.access import org_view
from chorus.orgs.models import Membership, Role
from chorus.sharing.actions import ShareRefused
from chorus.sharing.models import Review
from chorus.sharing.review import (
    RECORD_COLUMNS,
    do_decide,
    get_review,
    pending_reviews,
    published_records,
)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            (Review.Decision.APPROVED, gettext_lazy("Approve")),
            (Review.Decision.EDITED, gettext_lazy("Approve with my edits")),
            (Review.Decision.DECLINED, gettext_lazy("Decline")),
        ]
    )
    text = forms.CharField(label=gettext_lazy("Text"), required=False, max_length=5000)
    note = forms.CharField(
        label=gettext_lazy("Note for the author"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Needed to edit or decline: what changed, or why."),
    )


def _same(text: str) -> str:
    """A text as compared for changes: line endings and outer spaces do not count."""
    return text.replace("\r\n", "\n").strip()


@require_http_methods(["GET"])
@org_view()
def review_queue(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Posts waiting for a decision, oldest first, with why each was held."""
    reviews = list(pending_reviews(membership)[:100])
    return render(request, "sharing/review_queue.html", {"reviews": reviews})


@require_http_methods(["POST"])
@org_view()
def review_decide(request: HttpRequest, membership: Membership, review_id: int) -> HttpResponse:
    # Another organisation's review is 404 before anything is said about roles.
    review = get_review(membership, review_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect("review_queue", org=membership.org.slug)
    decision, text = form.cleaned_data["decision"], form.cleaned_data["text"]
    if decision == Review.Decision.APPROVED and text and _same(text) != _same(review.share.text):
        # Approving as it is would drop the reviewer's changes without a word.
        messages.error(
            request, _("You changed the text: choose “Approve with my edits” and add a note.")
        )
        return redirect("review_queue", org=membership.org.slug)
    try:
        do_decide(
            membership,
            review,
            decision,
            note=form.cleaned_data["note"],
            text=text or None,
        )
    except ShareRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Decided: the author is told."))
    return redirect("review_queue", org=membership.org.slug)


@require_http_methods(["GET"])
@org_view(Role.ORG_ADMIN)
def records_export(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Every post published in the period, with its reviews, as CSV or JSON."""
    form = PeriodForm(request.GET, prefix="records")
    if not form.is_valid():
        return refused(form)
    rows = published_records(
        membership.org, since=form.cleaned_data["since"], until=form.cleaned_data["until"]
    )
    name = f"{membership.org.slug}-records"
    return download(rows, RECORD_COLUMNS, form.cleaned_data["format"], name)
