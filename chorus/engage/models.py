"""Points that reward quality, leaderboards people may leave, badges and timed challenges.

The ledger (`PointsEntry`) is derived data: the worker rebuilds it from shares, clicks,
suggestions, onboarding, questions and workshops under the organisation's `PointsRules`
(see chorus/engage/points.py and docs/points.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.content.models import Campaign, Topic
from chorus.orgs.models import Membership, Organization

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise


class Kind(models.TextChoices):
    """What points are for; each kind has its own daily cap."""

    SHARE = "share", _("Shares")
    CLICKS = "clicks", _("Human clicks")
    ENGAGEMENT = "engagement", _("Conversations")
    SUGGESTION = "suggestion", _("Accepted suggestions")
    ONBOARDING = "onboarding", _("Getting started")
    HELPING = "helping", _("Helping colleagues")


def _points(label: StrOrPromise, default: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[MaxValueValidator(1000)]
    )


class PointsRules(models.Model):
    """How many points each thing earns in one organisation, and the daily caps per kind.

    Defaults are chosen so that writing in one's own voice, and what it brings, is worth
    far more than reposting the suggested text (docs/points.md)."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="points_rules")
    original_share = _points(_("an original share (100 % own words)"), 10)
    min_originality = models.PositiveSmallIntegerField(
        _("own words for a share to count as original (%)"),
        default=30,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "Below this, or when colleagues posted a near-identical text, a share counts as "
            "copy-paste."
        ),
    )
    copy_share = _points(_("a copy-paste share"), 1)
    human_click = _points(_("each person who clicked one of your links (per link and day)"), 1)
    comment = _points(_("each comment or quote of a share"), 3)
    reaction = _points(_("each reaction or repost of a share"), 1)
    suggestion = _points(_("an accepted suggestion"), 5)
    onboarding_step = _points(_("each onboarding step completed"), 5)
    faq_question = _points(_("a question of yours published in the FAQ"), 5)
    workshop = _points(_("attending a workshop"), 5)
    share_cap = _points(_("shares, per day at most"), 20)
    clicks_cap = _points(_("human clicks, per day at most"), 20)
    engagement_cap = _points(_("conversations, per day at most"), 20)
    suggestion_cap = _points(_("accepted suggestions, per day at most"), 15)
    onboarding_cap = _points(_("getting started, per day at most"), 25)
    helping_cap = _points(_("helping colleagues, per day at most"), 15)
    leaderboard_size = models.PositiveSmallIntegerField(
        _("people shown on a leaderboard"),
        default=10,
        validators=[MinValueValidator(3), MaxValueValidator(50)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("points rules")
        verbose_name_plural = _("points rules")

    def __str__(self) -> str:
        return f"{self.org} points rules"

    def cap(self, kind: str) -> int:
        """Points one person can earn for `kind` on one day."""
        return int(getattr(self, f"{kind}_cap"))

    @property
    def min_originality_ratio(self) -> float:
        return self.min_originality / 100


class PointsEntry(models.Model):
    """Points a person earned for one thing (a share, a link's clicks on a day, …).

    Unique per (person, kind, source): counting again updates the row, never adds one."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="points_entries"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # What earned the points: a model name and its id ("share", "42"), a link's daily rollup
    # ("linkday"), or an onboarding step ("onboarding", "profile").
    source_type = models.CharField(max_length=20)
    source_id = models.CharField(max_length=40)
    day = models.DateField(db_index=True)
    points = models.PositiveIntegerField(default=0)
    # Before the daily cap: the difference is what the cap held back.
    points_before_cap = models.PositiveIntegerField(default=0)
    # Figures that explain the points (originality, visitors, …), shown to the person.
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "kind", "source_type", "source_id"],
                name="points_entry_once",
            )
        ]
        indexes = [models.Index(fields=["org", "day"], name="points_org_day")]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")

    def __str__(self) -> str:
        return f"{self.membership_id} {self.kind} {self.source_type}:{self.source_id} {self.points}"

    @property
    def capped(self) -> bool:
        return self.points < self.points_before_cap


class LeaderboardPreference(models.Model):
    """A person's choice to appear on leaderboards (everyone appears until they hide)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="leaderboard_preference"
    )
    visible = models.BooleanField(_("show me on leaderboards"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("leaderboard preference")
        verbose_name_plural = _("leaderboard preferences")

    def __str__(self) -> str:
        return f"{self.membership_id} {'visible' if self.visible else 'hidden'}"


class BadgeAward(models.Model):
    """A badge a person earned; earned once, kept (badges are defined in engage/badges.py)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="badges")
    badge = models.CharField(max_length=30)
    awarded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["awarded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["membership", "badge"], name="badge_once")]
        verbose_name = _("badge")
        verbose_name_plural = _("badges")

    def __str__(self) -> str:
        return f"{self.membership_id} {self.badge}"


class Challenge(models.Model):
    """A timed goal set by the programme, e.g. three original shares about a topic in May."""

    class Metric(models.TextChoices):
        ORIGINAL_SHARES = "original_shares", _("Original shares")
        HUMAN_CLICKS = "human_clicks", _("Human clicks")
        POINTS = "points", _("Points")
        SUGGESTIONS = "suggestions", _("Accepted suggestions")

    # Metrics that are about content, so a topic or campaign can narrow them.
    CONTENT_METRICS = (Metric.ORIGINAL_SHARES, Metric.HUMAN_CLICKS)

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="challenges")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    metric = models.CharField(
        _("what counts"), max_length=20, choices=Metric.choices, default=Metric.ORIGINAL_SHARES
    )
    target = models.PositiveIntegerField(
        _("target"),
        validators=[MinValueValidator(1), MaxValueValidator(100000)],
        help_text=_("Everyone who reaches it by the end wins."),
    )
    topic = models.ForeignKey(
        Topic,
        verbose_name=_("only about this topic"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("only for this campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), help_text=_("Included."))
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once by the worker the day after the end, with the results frozen.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="challenge_ends_after_start",
            )
        ]
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class ChallengeResult(models.Model):
    """Where one person ended a closed challenge; `reached_at` is set for the winners."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="results")
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="challenge_results"
    )
    progress = models.PositiveIntegerField(default=0)
    reached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["reached_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["challenge", "membership"], name="challenge_result_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.challenge_id} {self.membership_id} {self.progress}"

    @property
    def won(self) -> bool:
        return self.reached_at is not None
