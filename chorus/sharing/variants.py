"""Which caption variant the composer offers a person: spread, never the same to teammates.

An item may have several captions for one network and language. Offering everyone the first
one is how a tool itself creates the parrot effect, so each person is offered the variant
least used among the colleagues whose audiences overlap theirs:

1. fewest shares by **teammates** (the people whose followers overlap most), so no two
   teammates get the same variant while another is unused;
2. then fewest by the person's wider **circles** (same site, same audience personas: the
   allocation the feed knows, given by the providers registered with `register_circles`);
3. then fewest in the whole organisation;
4. then a rotation by the person's place in their team, so teammates who open the composer
   at the same moment, before anyone shared, still get different variants.

"Show me another" asks for the next variant in that order (`turn`). A share keeps the caption
it started from (`Share.caption`), which is how variants are counted here and measured in
`chorus.analytics.figures.variant_figures`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from chorus.content.models import Caption, ContentItem
from chorus.orgs.models import Membership
from chorus.sharing.models import Share

# A provider returns the ids of the person's colleagues in circles wider than the team
# (same site, shared audience personas), the person excluded.
CircleProvider = Callable[[Membership], set[int]]
_circle_providers: list[CircleProvider] = []


def register_circles(provider: CircleProvider) -> None:
    """Add a source of overlapping colleagues (the feed registers sites and personas)."""
    if provider not in _circle_providers:
        _circle_providers.append(provider)


def candidates(item: ContentItem, network: str, language: str) -> list[Caption]:
    """The item's captions that fit best: this network and language, else this network,
    else this language, else any."""
    captions = list(Caption.objects.filter(item=item).order_by("id"))
    for wanted in (
        lambda c: c.network == network and c.language == language,
        lambda c: c.network == network,
        lambda c: c.language == language,
    ):
        found = [caption for caption in captions if wanted(caption)]
        if found:
            return found
    return captions


def teammates(membership: Membership) -> list[int]:
    """Ids of the people in the person's team (the person included), in a stable order."""
    if membership.team_id is None:
        return [membership.pk]
    return list(
        Membership.objects.filter(team_id=membership.team_id, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def ranked(membership: Membership, item: ContentItem, captions: list[Caption]) -> list[Caption]:
    """The captions in the order they should be offered to this person."""
    if len(captions) < 2:
        return captions
    team = teammates(membership)
    circles: set[int] = set()
    for provider in _circle_providers:
        circles |= provider(membership)
    uses = (
        Share.objects.filter(item=item, caption__in=captions)
        .exclude(status=Share.Status.CANCELLED)
        .exclude(membership=membership)
        .values_list("caption_id", "membership_id")
    )
    by_team: Counter[int] = Counter()
    by_circle: Counter[int] = Counter()
    by_org: Counter[int] = Counter()
    team_set = set(team)
    for caption_id, member_id in uses:
        by_org[caption_id] += 1
        if member_id in team_set:
            by_team[caption_id] += 1
        if member_id in circles:
            by_circle[caption_id] += 1
    place = team.index(membership.pk) if membership.pk in team_set else membership.pk
    count = len(captions)

    def key(indexed: tuple[int, Caption]) -> tuple[int, int, int, int]:
        index, caption = indexed
        return (
            by_team[caption.pk],
            by_circle[caption.pk],
            by_org[caption.pk],
            (index - place) % count,
        )

    return [caption for _, caption in sorted(enumerate(captions), key=key)]


def offer(
    membership: Membership, item: ContentItem, network: str, language: str, turn: int = 0
) -> tuple[Caption | None, int]:
    """The caption to offer, and how many variants there are; `turn` cycles ("another")."""
    order = ranked(membership, item, candidates(item, network, language))
    if not order:
        return None, 0
    return order[turn % len(order)], len(order)
