"""What a regulated organisation asks of every post: disclosures, compliance rules, who is
reviewed, and how long records are kept. All of it is off until someone sets it."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.content.models import Campaign
from chorus.governance.matching import validate_phrase
from chorus.integrations import registry
from chorus.orgs.models import Membership, Organization, Team

# A retention period: at least a day, at most thirty years; empty keeps things for good.
RETENTION_BOUNDS = [MinValueValidator(1), MaxValueValidator(10950)]


class GovernanceSettings(models.Model):
    """How long the organisation keeps share texts, raw clicks and audit entries.

    Empty means kept for good (the default). The nightly job `chorus.analytics.retention`
    blanks texts, deletes raw clicks (their daily rollups stay) and deletes audit entries
    older than the period.
    """

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="governance")
    share_text_days = models.PositiveIntegerField(
        _("keep share texts (days)"),
        null=True,
        blank=True,
        validators=RETENTION_BOUNDS,
        help_text=_("Texts of older published or cancelled shares are blanked. Empty: kept."),
    )
    click_days = models.PositiveIntegerField(
        _("keep raw clicks (days)"),
        null=True,
        blank=True,
        validators=RETENTION_BOUNDS,
        help_text=_("Older clicks are deleted; the daily counts stay. Empty: kept."),
    )
    audit_days = models.PositiveIntegerField(
        _("keep audit entries (days)"),
        null=True,
        blank=True,
        validators=RETENTION_BOUNDS,
        help_text=_("Older entries of the audit log are deleted. Empty: kept."),
    )

    class Meta:
        verbose_name = _("governance settings")

    def __str__(self) -> str:
        return f"{self.org} governance"


class Disclosure(models.Model):
    """A text every post must carry, e.g. "#employee" or "I work at Acme".

    Empty network: every network; the person's language picks among them (see
    `chorus.governance.rules.disclosure_for`).
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="disclosures")
    network = models.CharField(
        _("network"),
        max_length=20,
        blank=True,
        choices=registry.choices(),
        help_text=_("Empty: every network."),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    text = models.CharField(_("disclosure"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["network", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "network", "language"], name="disclosure_one_per_network_language"
            )
        ]
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")

    def __str__(self) -> str:
        return self.text


class Rule(models.Model):
    """Words or a phrase that a post may not contain, or that send it to review.

    A rule applies to the whole organisation, or only to one team's people, or only to one
    campaign's items. Matching ignores case and accents (`chorus.governance.matching`).
    """

    class Action(models.TextChoices):
        REFUSE = "refuse", _("Refuse the post")
        REVIEW = "review", _("Send the post to review")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    phrase = models.CharField(
        _("words"),
        max_length=200,
        validators=[validate_phrase],
        help_text=_('A word or phrase; a * may end a word ("guarantee*").'),
    )
    action = models.CharField(
        _("then"), max_length=10, choices=Action.choices, default=Action.REFUSE
    )
    reason = models.CharField(
        _("reason shown"),
        max_length=200,
        help_text=_('What the person reads, e.g. "Promises of returns are not allowed."'),
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("only for the team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("only for the campaign"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["action", "phrase"]
        verbose_name = _("compliance rule")
        verbose_name_plural = _("compliance rules")

    def __str__(self) -> str:
        return self.phrase


class ReviewScope(models.Model):
    """Whose posts are reviewed before they go out: off unless a scope exists.

    A scope names a team, a campaign or a person (none of them: everyone); `first_shares`
    limits it to each person's first shares (e.g. 3), empty meaning every share.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    membership = models.ForeignKey(
        Membership,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    first_shares = models.PositiveSmallIntegerField(
        _("only their first shares"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("E.g. 3: each person's first three shares. Empty: every share."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("review scope")
        verbose_name_plural = _("review scopes")

    def __str__(self) -> str:
        return f"review {self.pk}"
