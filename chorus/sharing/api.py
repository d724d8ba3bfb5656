"""API for connections, shares, the originality check and the organisation's sharing policy."""

import json
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import StrictBool

from chorus.api.common import DateTime, ErrorOut, Id, membership_of, require
from chorus.content.access import get_item
from chorus.content.api import Invalid, InvalidOut
from chorus.integrations import registry
from chorus.orgs.models import Membership, Role
from chorus.program.models import is_participant
from chorus.sharing import actions
from chorus.sharing.forms import ConfirmForm, SharingPolicyForm
from chorus.sharing.models import MAX_STAGGER_MINUTES, Connection, Share
from chorus.sharing.scheduling import org_zone, policy_of
from chorus.sharing.share_check import run

router = Router(tags=["sharing"])
# The networks of the schema (the registry's built-in ones); `_network` asks the registry.
CHANNELS = registry.keys()


class CheckIn(Schema):
    content: Id = Field(..., description="The content item id.")
    network: str = Field(..., json_schema_extra={"enum": [*CHANNELS]})
    text: str = Field(..., max_length=5000)


class CheckOut(Schema):
    originality: float = Field(..., description="Own words share, 0 to 1.")
    identical_share: float
    near_duplicates: int = Field(..., description="Colleagues' near-identical posts of this item.")
    length: int
    limit: int
    fits: bool


class ConnectionOut(Schema):
    id: int
    network: str
    handle: str
    status: str
    expires_at: datetime | None


class ShareIn(Schema):
    content: Id
    network: str = Field(..., json_schema_extra={"enum": [*CHANNELS]})
    text: str = Field(..., max_length=5000)
    when: Literal["now", "good", "at"] = Field(
        "now", description="now, good (a good time for me) or at (then give `at`)."
    )
    at: DateTime | None = None


class ShareOut(Schema):
    id: int
    content: int
    network: str
    method: str
    status: str
    text: str
    scheduled_for: datetime | None
    published_at: datetime | None
    remote_url: str
    originality: float | None
    near_duplicates: int
    error: str

    @staticmethod
    def resolve_content(obj: Share) -> int:
        return obj.item_id


class RefusedOut(Schema):
    detail: str
    next_allowed: datetime | None = Field(
        None,
        description=(
            "When the sharing policy would allow this share (ISO 8601), if the policy is what"
            " refused it: send it again with `when: at` and this time to schedule it then."
        ),
    )


def _participant(request: HttpRequest) -> Any:
    membership = membership_of(request)
    if not is_participant(membership):
        raise HttpError(403, "Join the ambassador programme to share.")
    return membership


def _network(network: str) -> str:
    if registry.find(network) is None:
        message = f"Unknown network: {network}. One of: {', '.join(registry.keys())}."
        raise Invalid({"network": [message]}, message)
    return network


@router.post(
    "/shares/check",
    response={200: CheckOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Originality and length of a text before sharing it",
)
def check(request: HttpRequest, payload: CheckIn) -> Any:
    membership = membership_of(request)
    item = get_item(membership, payload.content)
    return run(item, _network(payload.network), payload.text, membership).as_dict()


@router.get("/connections", response=list[ConnectionOut], summary="My connected networks")
def list_connections(request: HttpRequest) -> Any:
    return Connection.objects.filter(membership=membership_of(request)).exclude(
        status=Connection.Status.REVOKED
    )


@router.delete(
    "/connections/{connection_id}",
    response={204: None, 404: ErrorOut},
    summary="Disconnect a network (the token is revoked where the network allows it)",
)
def delete_connection(request: HttpRequest, connection_id: Id) -> Any:
    membership = membership_of(request)
    connection = get_object_or_404(
        Connection.objects.exclude(status=Connection.Status.REVOKED),
        membership=membership,
        pk=connection_id,
    )
    actions.do_disconnect(membership, connection)
    return Status(204, None)


@router.get("/shares", response=list[ShareOut], summary="My shares, newest first")
def list_shares(request: HttpRequest, status: Share.Status | None = None) -> Any:
    shares = Share.objects.filter(membership=membership_of(request))
    if status:
        shares = shares.filter(status=status)
    return shares[:200]


@router.post(
    "/shares",
    response={201: ShareOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut, 409: RefusedOut},
    summary="Share a content item now, at a time, or at a good time",
)
def create_share(request: HttpRequest, payload: ShareIn) -> Any:
    membership = _participant(request)
    item = get_item(membership, payload.content)
    try:
        share = actions.do_compose(
            membership,
            item,
            _network(payload.network),
            payload.text,
            when=payload.when,
            at=payload.at,
            request=request,
        )
    except actions.ShareRefused as refusal:
        return Status(409, {"detail": str(refusal), "next_allowed": refusal.next_allowed})
    share.refresh_from_db()
    return Status(201, share)


@router.post(
    "/shares/{share_id}/cancel",
    response={200: ShareOut, 404: ErrorOut, 409: ErrorOut},
    summary="Cancel a scheduled share",
)
def cancel_share(request: HttpRequest, share_id: Id) -> Any:
    membership = membership_of(request)
    share = get_object_or_404(Share, membership=membership, pk=share_id)
    try:
        return actions.do_cancel(membership, share)
    except actions.ShareRefused as refusal:
        raise HttpError(409, str(refusal)) from refusal


# --- The organisation's sharing policy -----------------------------------------------------

# API name → model field. The API names say what they mean to a caller; the bounds are the
# model's (SharingPolicy), checked by the same form as the settings page.
POLICY_FIELDS = {
    "originality": "originality",
    "min_own_words": "min_own_words",
    "posts_per_day": "max_per_day",
    "min_gap_hours": "min_hours_between",
    "quiet_start": "quiet_start",
    "quiet_end": "quiet_end",
    "stagger_minutes": "stagger_minutes",
}
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class PolicyOut(Schema):
    originality: str = Field(..., description="warn: the person decides; require: a minimum.")
    min_own_words: int = Field(..., description="Own words required (%), when required.")
    posts_per_day: int = Field(..., description="Posts per day and network, at most.")
    min_gap_hours: int = Field(..., description="Hours between two of a person's posts.")
    quiet_start: str = Field(..., description="Quiet hours start, HH:MM, organisation's time.")
    quiet_end: str = Field(..., description="Quiet hours end, HH:MM; equal to start: none.")
    stagger_minutes: int = Field(..., description="Window colleagues' shares are spread over.")
    time_zone: str = Field(..., description="The organisation's time zone (read only).")


def _bounded(description: str, minimum: int, maximum: int) -> Any:
    return Field(
        None,
        description=f"{description} From {minimum} to {maximum}.",
        json_schema_extra={"type": "integer", "minimum": minimum, "maximum": maximum},
    )


def _hhmm(description: str) -> Any:
    return Field(
        None,
        description=f"{description} HH:MM, 24-hour, in the organisation's time zone.",
        json_schema_extra={"type": "string", "pattern": HHMM, "example": "21:00"},
    )


class PolicyPatch(Schema):
    """The fields to change; those left out stay as they are. Typed loosely on purpose:
    every value is checked by the settings page's form, so that a bad one gets 400 with
    the field's name, and nothing is changed unless every given field is valid."""

    originality: Any = Field(
        None,
        description="warn (the person decides) or require (a minimum of own words).",
        json_schema_extra={"type": "string", "enum": ["warn", "require"]},
    )
    min_own_words: Any = _bounded("Own words required (%), when the rule requires it.", 0, 100)
    posts_per_day: Any = _bounded("Posts per day and network, at most.", 1, 20)
    min_gap_hours: Any = _bounded("Hours between two of a person's posts, at least.", 0, 72)
    quiet_start: Any = _hhmm("Quiet hours start.")
    quiet_end: Any = _hhmm("Quiet hours end (may be before the start: wraps midnight).")
    stagger_minutes: Any = _bounded(
        "Colleagues' shares of one item spread over this window, in minutes.",
        0,
        MAX_STAGGER_MINUTES,
    )


def _policy_out(membership: Membership) -> PolicyOut:
    policy = policy_of(membership.org_id)
    return PolicyOut(
        originality=policy.originality,
        min_own_words=policy.min_own_words,
        posts_per_day=policy.max_per_day,
        min_gap_hours=policy.min_hours_between,
        quiet_start=policy.quiet_start.strftime("%H:%M"),
        quiet_end=policy.quiet_end.strftime("%H:%M"),
        stagger_minutes=policy.stagger_minutes,
        time_zone=str(org_zone(membership.org)),
    )


@router.get(
    "/policy",
    response={200: PolicyOut, 403: ErrorOut},
    tags=["settings"],
    summary="The organisation's sharing policy (org admins and program managers)",
)
def get_policy(request: HttpRequest) -> Any:
    return _policy_out(require(request, Role.PROGRAM_MANAGER))


@router.patch(
    "/policy",
    response={200: PolicyOut, 400: InvalidOut, 403: ErrorOut},
    tags=["settings"],
    summary="Change the sharing policy (org admins and program managers)",
    description=(
        "Send only the fields to change. Every given field is checked first: one bad value "
        "answers 400 with its field named in `errors`, and nothing is changed. Composing and "
        "POST /shares keep the new rules at once. Audited with the previous values."
    ),
)
def patch_policy(request: HttpRequest, payload: PolicyPatch) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    # The body as sent (ninja has parsed it already): which fields were given, and whether
    # one is unknown, are read from it rather than from the loosely typed schema.
    given = json.loads(request.body)
    unknown = sorted(name for name in given if name not in POLICY_FIELDS)
    if unknown:
        raise Invalid({name: ["Unknown field."] for name in unknown})
    policy = policy_of(membership.org_id)
    data: dict[str, Any] = {}
    for model_name in POLICY_FIELDS.values():
        value = getattr(policy, model_name)
        data[model_name] = value.strftime("%H:%M") if hasattr(value, "strftime") else value
    for api_name, value in given.items():
        # The form reads text, as from a browser: 5 → "5", 2.5 → "2.5" (refused), true →
        # "true" (refused), null → "" (required).
        text = value if isinstance(value, str) else "" if value is None else json.dumps(value)
        data[POLICY_FIELDS[api_name]] = text
    form = SharingPolicyForm(data, instance=policy)
    if not form.is_valid():
        names = {model_name: api_name for api_name, model_name in POLICY_FIELDS.items()}
        raise Invalid(
            {
                names.get(field, field): [str(error) for error in errors]
                for field, errors in form.errors.items()
            }
        )
    values = {
        POLICY_FIELDS[api_name]: form.cleaned_data[POLICY_FIELDS[api_name]] for api_name in given
    }
    actions.do_change_policy(membership, values)
    return _policy_out(membership)


# --- Changing my shares: edit, reorder, confirm an intent share, settle an unknown outcome --


class ShareEditIn(Schema):
    text: str = Field(..., max_length=5000)


class MoveIn(Schema):
    direction: Literal["earlier", "later"] = Field(
        ..., description="Swap slots with my scheduled share just before or after it."
    )


class PostedIn(Schema):
    post_url: str = Field("", max_length=500, description="The post's address, if known.")


class SettleIn(Schema):
    published: StrictBool = Field(
        ..., description="true: I see it on my profile; false: it did not go out (sent again)."
    )


def _my_share(request: HttpRequest, share_id: int) -> tuple[Membership, Share]:
    membership = membership_of(request)
    return membership, get_object_or_404(Share, membership=membership, pk=share_id)


def _refused(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except actions.ShareRefused as refusal:
        raise HttpError(409, str(refusal)) from refusal


@router.patch(
    "/shares/{share_id}",
    response={200: ShareOut, 400: InvalidOut, 404: ErrorOut, 409: ErrorOut},
    summary="Change the text of a scheduled, draft or failed share",
)
def edit_share(request: HttpRequest, share_id: Id, payload: ShareEditIn) -> Any:
    membership, share = _my_share(request, share_id)
    return _refused(actions.do_edit, membership, share, payload.text, request=request)


@router.post(
    "/shares/{share_id}/move",
    response={200: list[ShareOut], 400: InvalidOut, 404: ErrorOut, 409: ErrorOut},
    summary="Move a scheduled share earlier or later in my queue",
    description="Answers my scheduled shares in their new order.",
)
def move_share(request: HttpRequest, share_id: Id, payload: MoveIn) -> Any:
    membership, share = _my_share(request, share_id)
    _refused(actions.do_swap, membership, share, -1 if payload.direction == "earlier" else 1)
    return Share.objects.filter(membership=membership, status=Share.Status.SCHEDULED).order_by(
        "scheduled_for", "id"
    )[:200]


@router.post(
    "/shares/{share_id}/posted",
    response={200: ShareOut, 400: InvalidOut, 404: ErrorOut, 409: ErrorOut},
    summary="I posted this share intent from my device: it counts from now",
)
def confirm_posted(request: HttpRequest, share_id: Id, payload: PostedIn) -> Any:
    membership, share = _my_share(request, share_id)
    form = ConfirmForm({"post_url": payload.post_url})
    if not form.is_valid():
        raise Invalid({k: [str(e) for e in v] for k, v in form.errors.items()})
    return _refused(actions.do_confirm_intent, membership, share, form.cleaned_data["post_url"])


@router.post(
    "/shares/{share_id}/settle",
    response={200: ShareOut, 400: InvalidOut, 404: ErrorOut, 409: ErrorOut},
    summary="Say whether a share whose outcome was unknown went out",
)
def settle_share(request: HttpRequest, share_id: Id, payload: SettleIn) -> Any:
    membership, share = _my_share(request, share_id)
    return _refused(actions.do_resolve_check, membership, share, published=payload.published)
