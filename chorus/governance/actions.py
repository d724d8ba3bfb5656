"""Governance actions: disclosures, compliance rules, review scopes, retention, reviewers.
Each is one transaction, audited; views and the API call these."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from chorus.governance.models import Disclosure, ReviewScope, Rule
from chorus.governance.rules import settings_of
from chorus.orgs.actions import audit, do_change_settings
from chorus.orgs.models import Membership

RETENTION_FIELDS = ("share_text_days", "click_days", "audit_days")


@transaction.atomic
def do_add_disclosure(actor: Membership, network: str, language: str, text: str) -> Disclosure:
    """Add or replace the disclosure for (network, language); audited "disclosure.set"."""
    disclosure, _created = Disclosure.objects.update_or_create(
        org=actor.org, network=network, language=language, defaults={"text": text.strip()}
    )
    audit(actor.org, actor.user, "disclosure.set", disclosure, {"text": [None, disclosure.text]})
    return disclosure


@transaction.atomic
def do_add_rule(actor: Membership, values: dict[str, Any]) -> Rule:
    """Add a compliance rule from validated values (RuleForm); audited "rule.add"."""
    rule = Rule.objects.create(org=actor.org, **values)
    audit(
        actor.org,
        actor.user,
        "rule.add",
        rule,
        {"phrase": [None, rule.phrase], "action": [None, rule.action]},
    )
    return rule


@transaction.atomic
def do_add_review_scope(actor: Membership, values: dict[str, Any]) -> ReviewScope:
    """Turn review on for a scope (ReviewScopeForm); audited "review_scope.add"."""
    scope = ReviewScope.objects.create(org=actor.org, **values)
    audit(
        actor.org,
        actor.user,
        "review_scope.add",
        scope,
        {"first_shares": [None, scope.first_shares]},
    )
    return scope


@transaction.atomic
def do_remove(actor: Membership, target: Disclosure | Rule | ReviewScope) -> None:
    """Remove a disclosure, a rule or a review scope; audited "<kind>.remove"."""
    audit(actor.org, actor.user, f"{target._meta.model_name}.remove", target)
    target.delete()


def do_change_retention(actor: Membership, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Change how long texts, clicks and audit entries are kept; audited "retention.change"."""
    return do_change_settings(actor, settings_of(actor.org), values, "retention.change")


@transaction.atomic
def do_set_reviewer(actor: Membership, member: Membership, is_reviewer: bool) -> None:
    """Make a member a reviewer, or no longer one; audited "member.reviewer"."""
    if member.is_reviewer == is_reviewer:
        return
    Membership.objects.filter(pk=member.pk).update(is_reviewer=is_reviewer)
    audit(
        actor.org,
        actor.user,
        "member.reviewer",
        member,
        {"is_reviewer": [not is_reviewer, is_reviewer]},
    )
    member.is_reviewer = is_reviewer
