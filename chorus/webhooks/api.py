"""API of webhooks: register, list, change and delete endpoints (org admins only), see an
endpoint's messages and replay one. Input is validated by the same form as the page."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from chorus.api.common import ErrorOut, Id, Invalid, InvalidOut, Pages, require
from chorus.orgs.models import Role
from chorus.webhooks.access import get_endpoint, get_message
from chorus.webhooks.actions import (
    do_change_endpoint,
    do_create_endpoint,
    do_delete_endpoint,
    do_replay,
)
from chorus.webhooks.forms import EndpointForm
from chorus.webhooks.models import Endpoint, Message

router = Router(tags=["webhooks"])


class EndpointIn(Schema):
    url: str
    events: list[str]
    description: str = ""


class EndpointPatch(Schema):
    url: str | None = None
    events: list[str] | None = None
    description: str | None = None
    is_active: bool | None = None


class EndpointOut(Schema):
    id: int
    url: str
    events: list[str]
    description: str
    is_active: bool
    disabled_reason: str
    failing_since: datetime | None
    created_at: datetime


class EndpointCreatedOut(EndpointOut):
    secret: str


class MessageOut(Schema):
    id: int
    message_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    delivered_at: datetime | None
    created_at: datetime


def _validated(values: dict[str, Any]) -> dict[str, Any]:
    form = EndpointForm(values)
    if not form.is_valid():
        raise Invalid({field: [str(e) for e in errors] for field, errors in form.errors.items()})
    return dict(form.cleaned_data)


@router.get(
    "/webhooks",
    response={200: list[EndpointOut], 403: ErrorOut},
    summary="Webhook endpoints (org admins)",
)
@paginate(Pages)
def list_endpoints(request: HttpRequest) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    return Endpoint.objects.filter(org=membership.org).order_by("id")


@router.post(
    "/webhooks",
    response={201: EndpointCreatedOut, 400: InvalidOut, 403: ErrorOut},
    summary="Register a webhook endpoint; the signing secret is given only in this answer",
)
def create_endpoint(request: HttpRequest, payload: EndpointIn) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    data = _validated(payload.dict())
    endpoint, secret = do_create_endpoint(membership, **data)
    return Status(201, {**EndpointOut.from_orm(endpoint).dict(), "secret": secret})


@router.get(
    "/webhooks/{endpoint_id}",
    response={200: EndpointOut, 403: ErrorOut, 404: ErrorOut},
    summary="One webhook endpoint",
)
def get_webhook(request: HttpRequest, endpoint_id: Id) -> Any:
    return get_endpoint(require(request, Role.ORG_ADMIN), endpoint_id)


@router.patch(
    "/webhooks/{endpoint_id}",
    response={200: EndpointOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change a webhook endpoint (address, events, description, enabled)",
)
def update_endpoint(request: HttpRequest, endpoint_id: Id, payload: EndpointPatch) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    endpoint = get_endpoint(membership, endpoint_id)
    changes = payload.dict(exclude_unset=True)
    is_active = changes.pop("is_active", None)
    current = {"url": endpoint.url, "events": endpoint.events, "description": endpoint.description}
    values = _validated({**current, **{k: v for k, v in changes.items() if v is not None}})
    if is_active is not None:
        values["is_active"] = is_active
    do_change_endpoint(membership, endpoint, values)
    return Endpoint.objects.get(pk=endpoint.pk)


@router.delete(
    "/webhooks/{endpoint_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Delete a webhook endpoint and its messages",
)
def delete_endpoint(request: HttpRequest, endpoint_id: Id) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    do_delete_endpoint(membership, get_endpoint(membership, endpoint_id))
    return Status(204, None)


@router.get(
    "/webhooks/{endpoint_id}/messages",
    response={200: list[MessageOut], 403: ErrorOut, 404: ErrorOut},
    summary="An endpoint's messages, newest first",
)
@paginate(Pages)
def list_messages(request: HttpRequest, endpoint_id: Id) -> Any:
    endpoint = get_endpoint(require(request, Role.ORG_ADMIN), endpoint_id)
    return Message.objects.filter(endpoint=endpoint).order_by("-id")


@router.post(
    "/webhooks/{endpoint_id}/messages/{message_id}/replay",
    response={202: MessageOut, 403: ErrorOut, 404: ErrorOut},
    summary="Send a message again (the worker sends it within a minute)",
)
def replay_message(request: HttpRequest, endpoint_id: Id, message_id: Id) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    endpoint = get_endpoint(membership, endpoint_id)
    return Status(202, do_replay(membership, get_message(membership, endpoint, message_id)))
