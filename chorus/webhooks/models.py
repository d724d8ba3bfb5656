"""Outbound webhooks: the endpoints an organisation registers, the outbox of messages for
each, and every delivery attempt.

A `Message` is the outbox row: it is written in the same transaction as the change it
reports (chorus.webhooks.events.emit), so a process that dies after the commit loses
nothing; the worker delivers it later (chorus.webhooks.delivery). Its body is frozen when
written, so a retry or a replay sends the very bytes the first attempt sent, under the same
`webhook-id`, and a receiver can deduplicate.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.lib.crypto import decrypt, encrypt
from chorus.orgs.models import Membership, Organization

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


class Endpoint(models.Model):
    """A URL of the organisation's that receives the events it subscribed to."""

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    # The signing secret (whsec_…), Fernet-encrypted: we must sign with it, so no hash.
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Since when every attempt failed (None while the endpoint answers); disables it in time.
    failing_since = models.DateTimeField(null=True, blank=True)
    # The worker delivering to it (one at a time, so messages go out in order).
    claimed_by = models.CharField(max_length=200, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        return decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = encrypt(value)

    def wants(self, event_type: str) -> bool:
        return self.is_active and event_type in self.events


class Message(models.Model):
    """One event for one endpoint: the outbox row, delivered in id order per endpoint."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="messages")
    # The member the event is about, if any: their id, e-mail or words are in the body, so an
    # erasure finds (and deletes) these messages (chorus/accounts/personal_data.py).
    subject = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    event_type = models.CharField(max_length=60)
    # Tells apart the events a periodic task may emit twice (the day of figures.daily).
    event_key = models.CharField(max_length=60, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # Retries stop at this time; set by the first attempt (and by a replay).
    retry_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # An admin asked to send it again; its next attempt is marked as a replay.
    replay_requested = models.BooleanField(default=False)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["endpoint", "status", "id"], name="webhook_msg_queue"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_msg_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class DeliveryAttempt(models.Model):
    """One delivery attempt, written before the request is sent."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="delivery_attempts")
    worker = models.CharField(max_length=200, blank=True)
    replay = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    # "" while running (or if the worker died), "delivered" or an error code.
    outcome = models.CharField(max_length=40, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.outcome or 'running'}"
