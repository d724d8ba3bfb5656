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


class Resource(models.Model):
    """A training resource managed by the programme, written in one or more languages.

    The one marked as the guide is the onboarding's "guide read" step."""

    class Kind(models.TextChoices):
        GUIDE = "guide", _("Guide")
        ARTICLE = "article", _("Article")
        VIDEO = "video", _("Video")
        LINK = "link", _("Link")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ARTICLE)
    is_guide = models.BooleanField(
        _("ambassador guide"),
        default=False,
        help_text=_("Reading it is a step of every ambassador's onboarding."),
    )
    url = models.URLField(_("address"), blank=True, help_text=_("For a video or a link."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_guide", "position", "id"]
        verbose_name = _("training resource")
        verbose_name_plural = _("training resources")

    def __str__(self) -> str:
        text = self.text_in("")
        return text.title if text else str(self.pk)

    def text_in(self, language: str) -> ResourceText | None:
        """The version in `language`, else any (prefetched texts are used when present)."""
        texts = list(self.texts.all())
        for text in texts:
            if text.language == language:
                return text
        return texts[0] if texts else None


class ResourceText(models.Model):
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)

    class Meta:
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "language"], name="resource_text_once")
        ]

    def __str__(self) -> str:
        return self.title


class ResourceRead(models.Model):
    """A person said they read a resource (the guide step of onboarding)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="reads")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "membership"], name="resource_read_once")
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} read {self.resource_id}"


class Workshop(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="workshops")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    location = models.CharField(_("place or video link"), max_length=300, blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("places"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")

    def __str__(self) -> str:
        return self.title


class WorkshopSignup(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="signups")
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="workshop_signups"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # None until the programme records attendance after the workshop.
    attended = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "membership"], name="workshop_signup_once")
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} → {self.workshop_id}"


class Question(models.Model):
    """A doubt sent to the programme team; a good answer can be published to the FAQ."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="questions")
    asked_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="questions"
    )
    text = models.TextField(_("your question"), max_length=2000)
    # The page it was asked from (a path on this site) and the item it is about, if any.
    context_path = models.CharField(max_length=300, blank=True)
    item = models.ForeignKey(
        "content.ContentItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(max_length=8, blank=True)
    asked_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # The FAQ shows an edited, anonymous wording of the question and answer.
    in_faq = models.BooleanField(_("published in the FAQ"), default=False)
    faq_question = models.CharField(_("question as shown in the FAQ"), max_length=300, blank=True)
    faq_answer = models.TextField(_("answer as shown in the FAQ"), blank=True)

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None
