"""API: the person's own feed (only for programme members)."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from chorus.api.common import ErrorOut, membership_of
from chorus.program.models import is_participant

router = Router(tags=["feed"])


class FeedCardOut(Schema):
    content: int
    title: str
    url: str
    score: float
    reasons: list[str]


@router.get(
    "/feed",
    response={200: list[FeedCardOut], 403: ErrorOut},
    summary="My ranked suggestions, with the reasons for each",
)
def my_feed(
    request: HttpRequest, limit: int = Query(20, ge=1, le=50, description="How many, 1 to 50.")
) -> Any:
    from chorus.feed.live import feed_for

    membership = membership_of(request)
    if not is_participant(membership):
        raise HttpError(403, "Join the ambassador programme to get suggestions.")
    return [
        {
            "content": card.item.pk,
            "title": card.item.title,
            "url": card.item.url,
            "score": round(card.suggestion.score, 4),
            "reasons": card.reasons,
        }
        for card in feed_for(membership, k=limit)
    ]
