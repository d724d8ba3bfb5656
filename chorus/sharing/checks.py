"""The composer's originality check against the item's captions and colleagues' shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from chorus.content.models import Caption, ContentItem
from chorus.lib.text_metrics import check_caption
from chorus.orgs.models import Membership
from chorus.sharing import originality
from chorus.sharing.models import Share

RECENT = timedelta(days=90)


@dataclass(frozen=True)
class Result:
    originality: float
    identical_share: float
    near_duplicates: int
    length: int
    limit: int
    fits: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "originality": round(self.originality, 3),
            "identical_share": self.identical_share,
            "near_duplicates": self.near_duplicates,
            "length": self.length,
            "limit": self.limit,
            "fits": self.fits,
        }


def suggestions(item: ContentItem) -> list[str]:
    return list(Caption.objects.filter(item=item).values_list("text", flat=True))


def colleagues_index(
    item: ContentItem, membership: Membership | None
) -> originality.NearDuplicateIndex[int]:
    """The organisation's recent shares of this item by others, from stored signatures."""
    shares = Share.objects.filter(
        org_id=item.org_id,
        item=item,
        signature__isnull=False,
        created_at__gte=timezone.now() - RECENT,
    ).exclude(status__in=[Share.Status.CANCELLED, Share.Status.DRAFT])
    if membership is not None:
        shares = shares.exclude(membership=membership)
    return originality.NearDuplicateIndex.from_signatures(
        (pk, bytes(signature))
        for pk, signature in shares.values_list("pk", "signature")
        if signature is not None
    )


def mastodon_limit(membership: Membership) -> int | None:
    """The person's Mastodon server's own limit, learnt when they connected."""
    from chorus.sharing.models import Connection

    connection = Connection.objects.filter(
        membership=membership, network="mastodon", status=Connection.Status.ACTIVE
    ).first()
    value = connection.credentials.get("max_characters") if connection else None
    return int(value) if isinstance(value, int) and value > 0 else None


def run(
    item: ContentItem,
    network: str,
    text: str,
    membership: Membership | None,
    links: tuple[str, ...] = (),
    limit: int | None = None,
) -> Result:
    links = (*links, item.url) if item.url else links
    found = originality.check(text, suggestions(item), colleagues_index(item, membership), links)
    length_network = network if network in ("linkedin", "x", "mastodon", "bluesky") else "facebook"
    if limit is None and membership is not None and network == "mastodon":
        limit = mastodon_limit(membership)
    length = check_caption(text, length_network, limit=limit)
    return Result(
        originality=found.originality,
        identical_share=found.identical_share,
        near_duplicates=found.near_duplicates,
        length=length.length,
        limit=length.limit,
        fits=length.fits,
    )
