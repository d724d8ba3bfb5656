"""What the organisation's governance asks of one post: its disclosure, the compliance
rules it breaks, and whether it goes to review first. Sharing asks this before any post
is saved or published; nothing here is on unless the organisation set it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from chorus.content.models import ContentItem
from chorus.governance.matching import compile_phrase, contains, words
from chorus.governance.models import Disclosure, GovernanceSettings, ReviewScope, Rule
from chorus.orgs.models import Membership, Organization


def settings_of(org: Organization) -> GovernanceSettings:
    """The organisation's retention settings, unsaved defaults (keep everything) if none."""
    return GovernanceSettings.objects.filter(org=org).first() or GovernanceSettings(org=org)


def person_language(membership: Membership) -> str:
    return membership.user.language or membership.org.default_language


def disclosure_for(membership: Membership, network: str) -> str:
    """The disclosure this person's post on `network` must carry, "" when none.

    In the person's language when there is one, else the organisation's language, else
    any; a disclosure for the network comes before one for every network.
    """
    found = list(
        Disclosure.objects.filter(org_id=membership.org_id, network__in=[network, ""]).values_list(
            "network", "language", "text"
        )
    )
    if not found:
        return ""
    preferred = [person_language(membership), membership.org.default_language]

    def rank(row: tuple[str, str, str]) -> tuple[int, int]:
        row_network, language, _text = row
        by_language = preferred.index(language) if language in preferred else len(preferred)
        return (by_language, 0 if row_network == network else 1)

    return min(found, key=rank)[2]


def with_disclosure(text: str, disclosure: str) -> str:
    """`text` with the disclosure added at the end when it does not carry it already."""
    if not disclosure or contains(text, disclosure):
        return text
    return f"{text.rstrip()}\n\n{disclosure}" if text.strip() else disclosure


def missing_disclosure_message(disclosure: str) -> str:
    return _(
        "Your organisation asks every post to carry “%(disclosure)s”: you may move it, "
        "not remove it."
    ) % {"disclosure": disclosure}


def rules_for(membership: Membership, item: ContentItem | None) -> list[Rule]:
    """The rules that apply: the organisation's, the person's team's, the item's campaign's."""
    scope = (
        Q(team__isnull=True) | Q(team_id=membership.team_id)
        if membership.team_id
        else Q(team__isnull=True)
    )
    campaign_id = item.campaign_id if item is not None else None
    campaign = (
        Q(campaign__isnull=True) | Q(campaign_id=campaign_id)
        if campaign_id
        else Q(campaign__isnull=True)
    )
    return list(Rule.objects.filter(scope, campaign, org_id=membership.org_id))


def review_scope_for(
    membership: Membership, item: ContentItem | None, shares_so_far: Callable[[], int]
) -> ReviewScope | None:
    """The review scope this post falls in, None when it needs no review (the default).

    `shares_so_far`: how many shares the person made before (published, scheduled or in
    review), for scopes limited to people's first shares; asked only for such a scope, so
    an organisation without review pays one query.
    """
    campaign_id = item.campaign_id if item is not None else None
    for scope in ReviewScope.objects.filter(org_id=membership.org_id):
        if scope.team_id is not None and scope.team_id != membership.team_id:
            continue
        if scope.campaign_id is not None and scope.campaign_id != campaign_id:
            continue
        if scope.membership_id is not None and scope.membership_id != membership.pk:
            continue
        if scope.first_shares is not None and shares_so_far() >= scope.first_shares:
            continue
        return scope
    return None


def scope_reason(scope: ReviewScope) -> str:
    if scope.first_shares is not None:
        return _("A person's first %(count)s shares are reviewed.") % {"count": scope.first_shares}
    return _("Posts of this team, campaign or person are reviewed.")


@dataclass(frozen=True)
class Verdict:
    """What governance says of a text: refused (with reasons), or to review (why)."""

    disclosure: str = ""
    missing_disclosure: bool = False
    refused: list[Rule] = field(default_factory=list)
    review_rules: list[Rule] = field(default_factory=list)
    scope: ReviewScope | None = None

    @property
    def allowed(self) -> bool:
        return not self.missing_disclosure and not self.refused

    @property
    def needs_review(self) -> bool:
        return bool(self.review_rules) or self.scope is not None

    @property
    def problems(self) -> list[str]:
        """Why the text cannot be posted, for the person."""
        found = [missing_disclosure_message(self.disclosure)] if self.missing_disclosure else []
        return found + [rule.reason for rule in self.refused]

    @property
    def review_reason(self) -> str:
        """Why the post goes to review: the rules' reasons, or the scope."""
        if self.review_rules:
            return "; ".join(f"“{rule.phrase}”: {rule.reason}" for rule in self.review_rules)
        return scope_reason(self.scope) if self.scope is not None else ""


def judge(
    membership: Membership,
    item: ContentItem | None,
    network: str,
    text: str,
    *,
    shares_so_far: Callable[[], int] = lambda: 0,
) -> Verdict:
    """Governance's verdict on `text`, posted by `membership` on `network`; `shares_so_far`
    counts the person's earlier shares (see `review_scope_for`)."""
    disclosure = disclosure_for(membership, network)
    post = words(text)
    refused: list[Rule] = []
    review: list[Rule] = []
    for rule in rules_for(membership, item):
        if compile_phrase(rule.phrase).found_in(post):
            (refused if rule.action == Rule.Action.REFUSE else review).append(rule)
    return Verdict(
        disclosure=disclosure,
        missing_disclosure=bool(disclosure) and not contains(text, disclosure),
        refused=refused,
        review_rules=review,
        scope=review_scope_for(membership, item, shares_so_far),
    )
