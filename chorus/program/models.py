"""The ambassador programme: cohorts (a pilot, then waves), invitations, explicit opt-in
with the consent text recorded, and leaving at any time."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.orgs.models import Membership, Organization

# The consent text's version: bump it when the text in program/consent.py changes.
CONSENT_VERSION = "2026-11"


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Cohort(models.Model):
    class Kind(models.TextChoices):
        PILOT = "pilot", _("Pilot")
        WAVE = "wave", _("Wave")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WAVE)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="cohort_unique_name")]
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")

    def __str__(self) -> str:
        return self.name


class ParticipationQuerySet(models.QuerySet["Participation"]):
    def active(self) -> ParticipationQuerySet:
        return self.filter(status=Participation.Status.ACTIVE)


class Participation(models.Model):
    """A member's place in the programme. Only ACTIVE people get suggestions, shares and
    notifications."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACTIVE = "active", _("Opted in")
        DECLINED = "declined", _("Declined")
        LEFT = "left", _("Left")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="participations")
    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="participation"
    )
    cohort = models.ForeignKey(
        Cohort,
        verbose_name=_("cohort"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participations",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    token = models.CharField(max_length=40, unique=True, default=new_token)
    invited_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    # Consent: the exact text and its version, the language it was shown in, and when.
    consent_version = models.CharField(max_length=20, blank=True)
    consent_text = models.TextField(blank=True)
    consent_language = models.CharField(max_length=8, blank=True)
    opted_in_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    anonymised = models.BooleanField(default=False)

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["-invited_at"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")

    def __str__(self) -> str:
        return f"{self.membership} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


def is_participant(membership: Membership) -> bool:
    """True only for people who opted in and have not left."""
    return Participation.objects.filter(
        membership=membership, status=Participation.Status.ACTIVE
    ).exists()
