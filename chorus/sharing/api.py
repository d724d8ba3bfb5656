"""API for connections, shares and the originality check."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from chorus.api.common import ErrorOut, Id, Invalid, InvalidOut, membership_of
from chorus.content.access import get_item
from chorus.program.models import is_participant
from chorus.sharing import actions
from chorus.sharing.checks import run
from chorus.sharing.models import CHANNEL_CHOICES, Connection, Share

router = Router(tags=["sharing"])
CHANNELS = [value for value, _label in CHANNEL_CHOICES]


class CheckIn(Schema):
    content: Id = Field(..., description="The content item id.")
    network: str = Field(..., json_schema_extra={"enum": CHANNELS})
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
    network: str = Field(..., json_schema_extra={"enum": CHANNELS})
    text: str = Field(..., max_length=5000)
    when: Literal["now", "good", "at"] = Field(
        "now", description="now, good (a good time for me) or at (then give `at`)."
    )
    at: datetime | None = None


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


def _participant(request: HttpRequest) -> Any:
    membership = membership_of(request)
    if not is_participant(membership):
        raise HttpError(403, "Join the ambassador programme to share.")
    return membership


def _network(network: str) -> str:
    if network not in CHANNELS:
        message = f"Unknown network: {network}. One of: {', '.join(CHANNELS)}."
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
def list_shares(request: HttpRequest, status: str = "") -> Any:
    shares = Share.objects.filter(membership=membership_of(request))
    if status:
        shares = shares.filter(status=status)
    return shares[:200]


@router.post(
    "/shares",
    response={201: ShareOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
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
        raise HttpError(409, str(refusal)) from refusal
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
