"""API for governance: the text check, compliance rules, disclosures, review scopes,
retention, the reviewers' queue and decisions, and the audit log and records exports.

Settings and exports are for organisation admins (as on the governance page); the queue and
decisions for reviewers (`Membership.is_reviewer`), checked on every call."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from chorus.api.common import ErrorOut, Id, Invalid, InvalidOut, membership_of, require
from chorus.content.access import get_item
from chorus.governance import actions as governance_actions
from chorus.governance.forms import (
    AuditFilterForm,
    DisclosureForm,
    PeriodForm,
    RetentionForm,
    ReviewScopeForm,
    RuleForm,
)
from chorus.governance.models import Disclosure, ReviewScope, Rule
from chorus.governance.records import audit_entries, audit_row
from chorus.governance.rules import judge, settings_of
from chorus.integrations import registry
from chorus.orgs.models import Membership, Role
from chorus.sharing.actions import ShareRefused, shares_so_far
from chorus.sharing.review import do_decide, get_review, pending_reviews, published_records

router = Router(tags=["governance"])


def _form_errors(form: Any) -> Invalid:
    return Invalid(
        {
            field.split("-", 1)[-1]: [str(error) for error in errors]
            for field, errors in form.errors.items()
        }
    )


def _reviewer(request: HttpRequest) -> Membership:
    membership = membership_of(request)
    if not membership.is_reviewer:
        raise HttpError(403, "Only reviewers may do this.")
    return membership


# --- Checking a text --------------------------------------------------------------------


class TextIn(Schema):
    content: Id = Field(..., description="The content item id.")
    network: str
    text: str = Field(..., max_length=5000)


class VerdictOut(Schema):
    allowed: bool = Field(..., description="False: sharing it would be refused.")
    problems: list[str] = Field(..., description="Why it would be refused, for the person.")
    review: bool = Field(..., description="True: it would be held for review first.")
    review_reason: str
    disclosure: str = Field(..., description="The text the post must carry; empty: none.")


@router.post(
    "/governance/check",
    response={200: VerdictOut, 400: InvalidOut, 404: ErrorOut},
    summary="Would this text be refused, or held for review? (disclosure and rules)",
)
def check_text(request: HttpRequest, payload: TextIn) -> Any:
    membership = membership_of(request)
    item = get_item(membership, payload.content)
    if registry.find(payload.network) is None:
        raise Invalid({"network": [f"Unknown network: {payload.network}."]})
    verdict = judge(
        membership,
        item,
        payload.network,
        payload.text,
        shares_so_far=lambda: shares_so_far(membership),
    )
    return {
        "allowed": verdict.allowed,
        "problems": verdict.problems,
        "review": verdict.needs_review,
        "review_reason": verdict.review_reason,
        "disclosure": verdict.disclosure,
    }


# --- Rules, disclosures, review scopes (org admins) -------------------------------------


class RuleIn(Schema):
    phrase: str
    action: Literal["refuse", "review"] = "refuse"
    reason: str
    team: Id | None = None
    campaign: Id | None = None


class RuleOut(Schema):
    id: int
    phrase: str
    action: str
    reason: str
    team: int | None = Field(None, alias="team_id")
    campaign: int | None = Field(None, alias="campaign_id")


class DisclosureIn(Schema):
    network: str = Field("", description="Empty: every network.")
    language: str
    text: str


class DisclosureOut(Schema):
    id: int
    network: str
    language: str
    text: str


class ScopeIn(Schema):
    team: Id | None = None
    campaign: Id | None = None
    membership: Id | None = None
    first_shares: int | None = Field(None, description="Each person's first N shares only.")


class ScopeOut(Schema):
    id: int
    team: int | None = Field(None, alias="team_id")
    campaign: int | None = Field(None, alias="campaign_id")
    membership: int | None = Field(None, alias="membership_id")
    first_shares: int | None


class RetentionOut(Schema):
    share_text_days: int | None
    click_days: int | None
    audit_days: int | None


def _data(payload: Schema, prefix: str) -> dict[str, str]:
    """A schema's values as a bound form reads them (empty for None)."""
    return {
        f"{prefix}-{name}": "" if value is None else str(value)
        for name, value in payload.dict().items()
    }


@router.get("/governance/rules", response={200: list[RuleOut], 403: ErrorOut})
def list_rules(request: HttpRequest) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    return Rule.objects.filter(org=membership.org)


@router.post(
    "/governance/rules",
    response={201: RuleOut, 400: InvalidOut, 403: ErrorOut},
    summary="Add a compliance rule (words, not patterns; a * may end a word)",
)
def add_rule(request: HttpRequest, payload: RuleIn) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    form = RuleForm(_data(payload, "rule"), org=membership.org, prefix="rule")
    if not form.is_valid():
        raise _form_errors(form)
    values = {name: form.cleaned_data[name] for name in RuleForm.Meta.fields}
    return Status(201, governance_actions.do_add_rule(membership, values))


@router.get("/governance/disclosures", response={200: list[DisclosureOut], 403: ErrorOut})
def list_disclosures(request: HttpRequest) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    return Disclosure.objects.filter(org=membership.org)


@router.post(
    "/governance/disclosures",
    response={201: DisclosureOut, 400: InvalidOut, 403: ErrorOut},
    summary="Set the disclosure of a network (empty: every network) and language",
)
def add_disclosure(request: HttpRequest, payload: DisclosureIn) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    form = DisclosureForm(_data(payload, "disclosure"), prefix="disclosure")
    if not form.is_valid():
        raise _form_errors(form)
    values = {name: form.cleaned_data[name] for name in DisclosureForm.Meta.fields}
    return Status(201, governance_actions.do_add_disclosure(membership, **values))


@router.get("/governance/review-scopes", response={200: list[ScopeOut], 403: ErrorOut})
def list_scopes(request: HttpRequest) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    return ReviewScope.objects.filter(org=membership.org)


@router.post(
    "/governance/review-scopes",
    response={201: ScopeOut, 400: InvalidOut, 403: ErrorOut},
    summary="Turn review on for a team, a campaign, a person or everyone (off by default)",
)
def add_scope(request: HttpRequest, payload: ScopeIn) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    form = ReviewScopeForm(_data(payload, "scope"), org=membership.org, prefix="scope")
    if not form.is_valid():
        raise _form_errors(form)
    values = {name: form.cleaned_data[name] for name in ReviewScopeForm.Meta.fields}
    return Status(201, governance_actions.do_add_review_scope(membership, values))


def _remove(request: HttpRequest, model: Any, item_id: int) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    target = get_object_or_404(model, org=membership.org, pk=item_id)
    governance_actions.do_remove(membership, target)
    return Status(204, None)


@router.delete(
    "/governance/rules/{rule_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove a compliance rule",
)
def remove_rule(request: HttpRequest, rule_id: Id) -> Any:
    return _remove(request, Rule, rule_id)


@router.delete(
    "/governance/disclosures/{disclosure_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove a disclosure",
)
def remove_disclosure(request: HttpRequest, disclosure_id: Id) -> Any:
    return _remove(request, Disclosure, disclosure_id)


@router.delete(
    "/governance/review-scopes/{reviewscope_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Turn review off for a scope",
)
def remove_scope(request: HttpRequest, reviewscope_id: Id) -> Any:
    return _remove(request, ReviewScope, reviewscope_id)


@router.get("/governance/retention", response={200: RetentionOut, 403: ErrorOut})
def get_retention(request: HttpRequest) -> Any:
    return settings_of(require(request, Role.ORG_ADMIN).org)


@router.put(
    "/governance/retention",
    response={200: RetentionOut, 400: InvalidOut, 403: ErrorOut},
    summary="How long share texts, raw clicks and audit entries are kept (null: for good)",
)
def put_retention(request: HttpRequest, payload: RetentionOut) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    form = RetentionForm(_data(payload, "retention"), prefix="retention")
    if not form.is_valid():
        raise _form_errors(form)
    governance_actions.do_change_retention(
        membership, {name: form.cleaned_data[name] for name in RetentionForm.Meta.fields}
    )
    return settings_of(membership.org)


# --- The reviewers' queue ------------------------------------------------------------------


class ReviewOut(Schema):
    id: int
    share: int = Field(..., alias="share_id")
    network: str = Field(..., alias="share.network")
    text: str = Field(..., alias="share.text")
    reason: str
    submitted_at: datetime
    decision: str
    decided_at: datetime | None
    note: str


class DecisionIn(Schema):
    decision: Literal["approved", "edited", "declined"]
    note: str = Field("", max_length=500, description="Needed to edit or decline.")
    text: str | None = Field(None, max_length=5000, description="The edited text (edited).")


@router.get(
    "/reviews",
    response={200: list[ReviewOut], 403: ErrorOut},
    summary="Posts waiting for review, oldest first (reviewers)",
)
def list_reviews(request: HttpRequest) -> Any:
    return list(pending_reviews(_reviewer(request))[:200])


@router.post(
    "/reviews/{review_id}/decision",
    response={200: ReviewOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Approve, approve with edits (text and note) or decline (note) a post",
)
def decide(request: HttpRequest, review_id: Id, payload: DecisionIn) -> Any:
    reviewer = membership_of(request)
    try:
        # Another organisation's review is 404 before anything is said about roles.
        review = get_review(reviewer, review_id)
        return do_decide(reviewer, review, payload.decision, note=payload.note, text=payload.text)
    except PermissionDenied as denied:
        raise HttpError(403, "Only reviewers may do this.") from denied
    except ShareRefused as refusal:
        raise HttpError(409, str(refusal)) from refusal


# --- Records (org admins) -------------------------------------------------------------------


def _period(request: HttpRequest, form_class: type[PeriodForm], prefix: str) -> Any:
    data = {f"{prefix}-{name}": value for name, value in request.GET.items()}
    data.setdefault(f"{prefix}-format", "json")
    form = form_class(data, prefix=prefix)
    if not form.is_valid():
        raise _form_errors(form)
    return form.cleaned_data


@router.get(
    "/governance/audit",
    response={200: list[dict[str, Any]], 400: InvalidOut, 403: ErrorOut},
    summary="The audit log, filtered: since, until (YYYY-MM-DD, included), actor, action",
)
def audit_log(
    request: HttpRequest,
    since: date | None = None,
    until: date | None = None,
    actor: str = "",
    action: str = "",
) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    filters = _period(request, AuditFilterForm, "audit")
    entries = audit_entries(
        membership.org,
        since=filters["since"],
        until=filters["until"],
        actor=filters["actor"],
        action=filters["action"],
    )
    return [audit_row(entry) for entry in entries[:10000]]


@router.get(
    "/governance/records",
    response={200: list[dict[str, Any]], 400: InvalidOut, 403: ErrorOut},
    summary="Every post published in a period, with its reviews (since, until included)",
)
def records(request: HttpRequest, since: date | None = None, until: date | None = None) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    filters = _period(request, PeriodForm, "records")
    return list(published_records(membership.org, since=filters["since"], until=filters["until"]))
