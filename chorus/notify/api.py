"""API: my notifications, and the organisation's digest defaults."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from pydantic import StrictInt

from chorus.api.common import ErrorOut, Id, InvalidOut, Pages, membership_of, patched, require
from chorus.notify.actions import (
    digest_settings,
    do_change_digest_settings,
    do_mark_read,
    do_read_all,
)
from chorus.notify.forms import DigestSettingsForm
from chorus.notify.models import Notification
from chorus.orgs.models import Role

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    message: str
    url: str = Field(..., description="The page it points to, a path on this site.")
    created_at: datetime
    read_at: datetime | None


class ReadAllOut(Schema):
    marked: int = Field(..., description="How many were unread.")


@router.get(
    "/notifications", response=list[NotificationOut], summary="My notifications, newest first"
)
@paginate(Pages)
def list_notifications(request: HttpRequest, unread: bool = False) -> Any:
    notifications = Notification.objects.filter(membership=membership_of(request))
    if unread:
        notifications = notifications.unread()
    return notifications.order_by("-created_at", "-id")


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, 404: ErrorOut},
    summary="Mark a notification as read",
)
def read_notification(request: HttpRequest, notification_id: Id) -> Any:
    membership = membership_of(request)
    notification = get_object_or_404(Notification, membership=membership, pk=notification_id)
    return do_mark_read(membership, notification)


@router.post(
    "/notifications/read", response=ReadAllOut, summary="Mark all my notifications as read"
)
def read_all(request: HttpRequest) -> Any:
    return {"marked": do_read_all(membership_of(request))}


class DigestSettingsOut(Schema):
    default_frequency: str = Field(..., description="Newcomers' digest frequency.")
    items: int = Field(..., description="Suggestions a digest carries.")


class DigestSettingsPatch(Schema):
    default_frequency: str | None = Field(None, examples=["weekly"])
    items: StrictInt | None = None


@router.get(
    "/digest/settings",
    response={200: DigestSettingsOut, 403: ErrorOut},
    tags=["settings"],
    summary="The digest's defaults (program managers)",
)
def get_digest_settings(request: HttpRequest) -> Any:
    return digest_settings(require(request, Role.PROGRAM_MANAGER).org)


@router.patch(
    "/digest/settings",
    response={200: DigestSettingsOut, 400: InvalidOut, 403: ErrorOut},
    tags=["settings"],
    summary="Change the digest's defaults (program managers)",
)
def patch_digest_settings(request: HttpRequest, payload: DigestSettingsPatch) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    form = patched(
        DigestSettingsForm, digest_settings(membership.org), payload.dict(exclude_unset=True)
    )
    do_change_digest_settings(
        membership, {name: form.cleaned_data[name] for name in DigestSettingsForm.Meta.fields}
    )
    return digest_settings(membership.org)
