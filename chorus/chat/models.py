"""What an organisation connected (a Slack workspace), where it announces (channels), how
each person wants their digest, and the outbox of chat messages.

A `ChatMessage` is written in the transaction of the change it announces (or of the click,
or of the digest run), with a `dedupe_key` unique across the table, so one announcement is
queued once per channel however often the change is saved; the worker sends it
(`chorus.chat.delivery`), retrying with backoff, and never sends a message it marked sent.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.lib.crypto import EncryptedJSONField
from chorus.orgs.models import Membership, Organization


class ChatWorkspace(models.Model):
    """A workspace an admin connected with OAuth (Slack): one per organisation and tool."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="chat_workspaces")
    tool = models.CharField(max_length=20)
    external_id = models.CharField(max_length=60)  # Slack's team id
    name = models.CharField(max_length=200)
    # The bot token and what came with it, encrypted at rest.
    credentials = EncryptedJSONField(default=dict)
    connected_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    connected_at = models.DateTimeField(auto_now_add=True)
    # The tool refused the token (revoked, app removed) since then: the admin connects again.
    refused_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "tool"], name="chat_workspace_one_per_tool"),
        ]

    def __str__(self) -> str:
        return f"{self.tool}: {self.name}"


class ChatChannel(models.Model):
    """Where an organisation's announcements go: a Slack channel of its workspace, or a
    Teams channel reached through its webhook URL (a secret, so the target is encrypted)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="chat_channels")
    tool = models.CharField(max_length=20)
    workspace = models.ForeignKey(
        ChatWorkspace, on_delete=models.CASCADE, null=True, blank=True, related_name="channels"
    )
    name = models.CharField(_("name"), max_length=200)
    # {"channel": "<Slack id>"} or {"url": "<Teams webhook>"}, encrypted at rest.
    target = EncryptedJSONField(default=dict)
    # Slack's channel id, kept in clear too so the same channel is not picked twice.
    external_id = models.CharField(max_length=60, blank=True)
    announce_content = models.BooleanField(_("new content"), default=True)
    announce_campaigns = models.BooleanField(_("new campaigns"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tool", "name", "id"]

    def __str__(self) -> str:
        return self.name


class ChatPreference(models.Model):
    """How a person wants their digest: by e-mail (no row), or through a chat tool."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="chat_preference"
    )
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    digest_tool = models.CharField(max_length=20, blank=True)  # "": e-mail
    # The person's own target (a Teams Workflows URL), encrypted at rest.
    target = EncryptedJSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.digest_tool or 'email'}"


class ChatMessage(models.Model):
    """One message to send through a chat tool: the outbox row."""

    class Kind(models.TextChoices):
        ANNOUNCEMENT = "announcement", _("Announcement")
        DIGEST = "digest", _("Digest")
        REPLY = "reply", _("Answer to a click")
        TEST = "test", _("Test message")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    tool = models.CharField(max_length=20)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.ForeignKey(
        ChatChannel, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    # The person a digest or an answer is for (erasure deletes their messages).
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # One announcement, digest or click is queued once: "content:12:channel:3", ...
    dedupe_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker sending it; past this time another may take it (the first one died).
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    remote_id = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="chat_msg_due")]

    def __str__(self) -> str:
        return self.dedupe_key
