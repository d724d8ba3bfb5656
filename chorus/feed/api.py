"""API: the person's own feed (only for programme members), "not for me", and the
ambassador profile the feed ranks by."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from pydantic import StrictInt

from chorus.api.common import ErrorOut, Id, Invalid, InvalidOut, membership_of, patched
from chorus.content.access import get_item
from chorus.feed.actions import do_not_for_me, do_save_profile
from chorus.feed.forms import ProfileForm
from chorus.feed.models import AmbassadorProfile
from chorus.feed.views import profile_of
from chorus.lib.networks import Network
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


class NotForMeOut(Schema):
    content: int


@router.post(
    "/feed/{contentitem_id}/not-for-me",
    response={200: NotForMeOut, 404: ErrorOut},
    summary="Not for me: the item leaves my feed and similar ones rank lower",
)
def not_for_me(request: HttpRequest, contentitem_id: Id) -> Any:
    membership = membership_of(request)
    item = get_item(membership, contentitem_id)
    do_not_for_me(membership, item)
    return {"content": item.pk}


# --- The ambassador profile ---------------------------------------------------------------


class AudienceOut(Schema):
    size: str = Field("", description="The audience's size there; empty: not said.")
    who: list[str] = Field([], description="Who follows me there.")


class ProfileOut(Schema):
    interests: list[int] = Field(..., description="Topic ids I want to see.")
    expertise: list[int] = Field(..., description="Topic ids I know well.")
    personas: list[int] = Field(..., description="Persona ids of my audience.")
    languages: list[str]
    site: str
    networks: dict[str, AudienceOut] = Field(..., description="The networks I post on.")
    posting_days: list[str]
    posting_hours: list[str]
    weekly_cadence: int
    digest: str

    @staticmethod
    def resolve_interests(obj: AmbassadorProfile) -> list[int]:
        return sorted(topic.pk for topic in obj.interests.all())

    @staticmethod
    def resolve_expertise(obj: AmbassadorProfile) -> list[int]:
        return sorted(topic.pk for topic in obj.expertise.all())

    @staticmethod
    def resolve_personas(obj: AmbassadorProfile) -> list[int]:
        return sorted(persona.pk for persona in obj.personas.all())

    @staticmethod
    def resolve_posting_days(obj: AmbassadorProfile) -> list[str]:
        return [str(day) for day in obj.posting_days]

    @staticmethod
    def resolve_posting_hours(obj: AmbassadorProfile) -> list[str]:
        return [str(hour) for hour in obj.posting_hours]


class AudienceIn(Schema):
    size: str = ""
    who: list[str] = []


class ProfilePatch(Schema):
    interests: list[Id] | None = None
    expertise: list[Id] | None = None
    personas: list[Id] | None = None
    languages: list[str] | None = Field(None, examples=[["en", "fr"]])
    site: str | None = None
    networks: dict[str, AudienceIn] | None = Field(
        None, description="Replaces the networks I post on (network → audience)."
    )
    posting_days: list[str] | None = None
    posting_hours: list[str] | None = None
    weekly_cadence: StrictInt | None = Field(None, ge=0, le=14)
    digest: str | None = None


@router.get("/me/profile", response=ProfileOut, summary="My ambassador profile")
def get_profile(request: HttpRequest) -> Any:
    return profile_of(membership_of(request))


@router.patch(
    "/me/profile",
    response={200: ProfileOut, 400: InvalidOut},
    summary="Change my ambassador profile (what the feed ranks by)",
)
def patch_profile(request: HttpRequest, payload: ProfilePatch) -> Any:
    membership = membership_of(request)
    profile = profile_of(membership)
    changes = payload.dict(exclude_unset=True)
    networks = changes.pop("networks", None)
    if networks is not None:
        unknown = sorted(set(networks) - set(Network.values))
        if unknown:
            raise Invalid({"networks": [f"Unknown network: {', '.join(unknown)}."]})
        for code in Network.values:
            chosen = networks.get(code)
            changes[f"net_{code}"] = chosen is not None
            changes[f"size_{code}"] = chosen["size"] if chosen else ""
            changes[f"who_{code}"] = chosen["who"] if chosen else []
    form = patched(ProfileForm, profile, changes, org=membership.org)
    do_save_profile(membership, form)
    return AmbassadorProfile.objects.get(pk=profile.pk)
