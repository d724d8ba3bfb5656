"""The ambassador programme: cohorts (a pilot, then waves), invitations, explicit opt-in
with the consent text recorded, and leaving at any time."""

from __future__ import annotations

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.orgs.models import Membership, Organization

# The consent text's version: bump it when the text in orgs/consent.py changes.
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


# Percent thresholds are whole numbers from 0 to 100.
PERCENT = [MaxValueValidator(100)]


class HealthThresholds(models.Model):
    """Where each programme-health check turns from ok to watch, and from watch to act.

    One row per organisation, made when a program manager first saves it; until then the
    defaults apply. The defaults are published rules of thumb where one exists
    (../shared/reference/market.md, cited in the help texts) and Chorus's own otherwise.
    Percentages are whole numbers (30 means 30 %).
    """

    org = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="health_thresholds"
    )
    window_days = models.PositiveSmallIntegerField(
        _("period measured (days)"),
        default=30,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text=_("Every check looks at this many days before today."),
    )
    # 1. Everyone enrolled at once.
    rollout_max_percent = models.PositiveSmallIntegerField(
        _("people invited within the period, at most (percentage of members)"),
        default=30,
        help_text=_(
            "About 3 employees in 10 are ready to advocate (PostBeyond, 2018): a pilot of "
            "volunteers first, then waves."
        ),
        validators=PERCENT,
    )
    activation_days = models.PositiveSmallIntegerField(
        _("days before a wave is judged"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
        help_text=_("Chorus default: two weeks to share for the first time."),
    )
    activation_watch_percent = models.PositiveSmallIntegerField(
        _("activation of the last wave: watch below (%)"),
        default=60,
        help_text=_("Share of the wave's volunteers who shared at least once. Chorus default."),
        validators=PERCENT,
    )
    activation_act_percent = models.PositiveSmallIntegerField(
        _("activation of the last wave: act below (%)"),
        default=30,
        help_text=_("Chorus default."),
        validators=PERCENT,
    )
    # 2. The parrot effect.
    parrot_watch_percent = models.PositiveSmallIntegerField(
        _("parrot index: watch from (%)"),
        default=10,
        help_text=_(
            "Shares near-identical to a colleague's or mostly the suggested text. Word-for-word "
            "identical posts are the first complaint about advocacy tools. Chorus default."
        ),
        validators=PERCENT,
    )
    parrot_act_percent = models.PositiveSmallIntegerField(
        _("parrot index: act from (%)"),
        default=25,
        help_text=_("Chorus default."),
        validators=PERCENT,
    )
    burst_colleagues = models.PositiveSmallIntegerField(
        _("burst: colleagues posting the same item"),
        default=3,
        validators=[MinValueValidator(2)],
        help_text=_(
            "Colleagues' posts of one item should be spread out, as DSMN8's scheduler does. "
            "Chorus default."
        ),
    )
    burst_minutes = models.PositiveSmallIntegerField(
        _("burst: within (minutes)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
        help_text=_("Chorus default."),
    )
    # 3. A tool without a strategy.
    strategy_watch_percent = models.PositiveSmallIntegerField(
        _("without objective, KPIs or topics: watch from (%)"),
        default=10,
        help_text=_("Of the current campaigns and of the period's new content. Chorus default."),
        validators=PERCENT,
    )
    strategy_act_percent = models.PositiveSmallIntegerField(
        _("without objective, KPIs or topics: act from (%)"),
        default=50,
        help_text=_("Chorus default."),
        validators=PERCENT,
    )
    # 4. A strategy without a tool.
    adoption_watch_percent = models.PositiveSmallIntegerField(
        _("people who shared in the period: watch below (%)"),
        default=50,
        help_text=_(
            "Share of the people in the programme who shared at least once in the period, "
            "the measure Haiilo reports. Chorus default."
        ),
        validators=PERCENT,
    )
    adoption_act_percent = models.PositiveSmallIntegerField(
        _("people who shared in the period: act below (%)"),
        default=25,
        help_text=_("Chorus default."),
        validators=PERCENT,
    )
    content_per_100_weekly = models.FloatField(
        _("new content a week per 100 people, at least"),
        default=3.5,
        validators=[MinValueValidator(0)],
        help_text=_("About 3.5 new items per 100 active users per week (DSMN8)."),
    )
    # 5. Relaying instead of engaging.
    silent_watch_percent = models.PositiveSmallIntegerField(
        _("shares that drew no engagement: watch from (%)"),
        default=50,
        help_text=_("No click or interaction at all, two days after posting. Chorus default."),
        validators=PERCENT,
    )
    silent_act_percent = models.PositiveSmallIntegerField(
        _("shares that drew no engagement: act from (%)"),
        default=75,
        help_text=_("Chorus default."),
        validators=PERCENT,
    )
    # 6. Quantity over quality.
    weekly_target = models.PositiveSmallIntegerField(
        _("weekly target (shares)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_(
            "For people who set none in their profile. At least 3 LinkedIn shares a week per "
            "person is a common target (GaggleAMP)."
        ),
    )
    over_cadence_factor = models.FloatField(
        _("above the cadence: more than this many times one's weekly target"),
        default=2.0,
        validators=[MinValueValidator(1)],
        help_text=_("Chorus default."),
    )
    far_below_percent = models.PositiveSmallIntegerField(
        _("far below the target: under this share of it (%)"),
        default=25,
        help_text=_("Chorus default."),
        validators=PERCENT,
    )
    over_cadence_act_percent = models.PositiveSmallIntegerField(
        _("people above the cadence: act from (percentage of the programme)"),
        default=20,
        help_text=_("Chorus default."),
        validators=PERCENT,
    )
    far_below_watch_percent = models.PositiveSmallIntegerField(
        _("people far below the target: watch from (percentage of the programme)"),
        default=50,
        help_text=_("Chorus default."),
        validators=PERCENT,
    )
    quality_drop_points = models.PositiveSmallIntegerField(
        _("drop in own words: watch from (points)"),
        default=10,
        help_text=_(
            "Average share of people's own words, this period against the one before. "
            "Chorus default."
        ),
        validators=PERCENT,
    )
    # 7. Over-controlling people's voice.
    unedited_watch_percent = models.PositiveSmallIntegerField(
        _("suggested texts posted unedited: watch from (%)"),
        default=30,
        help_text=_("Chorus default."),
        validators=PERCENT,
    )
    unedited_act_percent = models.PositiveSmallIntegerField(
        _("suggested texts posted unedited: act from (%)"),
        default=60,
        help_text=_("Chorus default."),
        validators=PERCENT,
    )
    approval_watch_hours = models.PositiveSmallIntegerField(
        _("decision on a suggestion: watch after (hours)"),
        default=48,
        help_text=_(
            "Posting needs no approval in Chorus; the closest step is the programme team's "
            "decision on ambassadors' suggestions. Chorus default."
        ),
    )
    approval_act_hours = models.PositiveSmallIntegerField(
        _("decision on a suggestion: act after (hours)"),
        default=168,
        help_text=_("Chorus default."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("programme health thresholds")
        verbose_name_plural = _("programme health thresholds")

    def __str__(self) -> str:
        return f"{self.org} health thresholds"

    @classmethod
    def for_org(cls, org: Organization) -> HealthThresholds:
        """The organisation's thresholds, or the defaults (unsaved) when it has none yet."""
        return cls.objects.filter(org=org).first() or cls(org=org)
