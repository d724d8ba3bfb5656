"""In-app notifications: an answer to a question, a nudge from a manager, a share that
needs attention. Only programme members receive them (see `chorus.notify.notify`)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.feed.models import DigestFrequency
from chorus.orgs.models import Membership, Organization


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    class Kind(models.TextChoices):
        ANSWER = "answer", _("Answer to your question")
        NUDGE = "nudge", _("Nudge")
        WORKSHOP = "workshop", _("Workshop")
        SHARE = "share", _("Share")
        CONNECTION = "connection", _("Connection")
        COACHING = "coaching", _("Coaching note")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Written in the recipient's language when it is created.
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["membership", "read_at"], name="notification_unread")]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.message


class DigestSend(models.Model):
    """A digest e-mail sent to a person (the next one waits for their frequency)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="digests")
    sent_at = models.DateTimeField(db_index=True)
    items = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"digest to {self.membership_id} at {self.sent_at}"


class DigestSettings(models.Model):
    """The organisation's digest defaults; each person may still choose their own frequency."""

    org = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="digest_settings"
    )
    default_frequency = models.CharField(
        _("digest frequency for newcomers"),
        max_length=10,
        choices=DigestFrequency.choices,
        default=DigestFrequency.WEEKLY,
        help_text=_("What a person's profile starts with; they can change it in their profile."),
    )
    items = models.PositiveSmallIntegerField(
        _("suggestions per digest"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )

    class Meta:
        verbose_name = _("digest settings")
        verbose_name_plural = _("digest settings")

    def __str__(self) -> str:
        return f"{self.org} digest settings"
