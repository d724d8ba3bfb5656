"""Ambassador profiles (what the feed ranks for) and "not for me" feedback."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.content.models import ContentItem, Persona, Topic
from chorus.orgs.models import Membership, Organization
from chorus.sharing.scheduling import Habits


class AudienceSize(models.TextChoices):
    SMALL = "small", _("Under 500")
    MEDIUM = "medium", _("500 to 2,000")
    LARGE = "large", _("2,000 to 10,000")
    HUGE = "huge", _("Over 10,000")


class AudienceKind(models.TextChoices):
    CLIENTS = "clients", _("Clients and prospects")
    PEERS = "peers", _("Peers in my field")
    CANDIDATES = "candidates", _("Candidates")
    PARTNERS = "partners", _("Partners")
    STUDENTS = "students", _("Students")
    FRIENDS = "friends", _("Friends and family")


class DigestFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    NEVER = "never", _("Never")


class AmbassadorProfile(models.Model):
    """What an ambassador cares about, where they post, to whom, and how often (not the
    account's /profile/ page, which edits the account: name, language, API tokens).
    Its tables keep the names they had when the model was called `Profile`."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="profiles")
    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="profile")
    interests = models.ManyToManyField(
        Topic,
        verbose_name=_("topics of interest"),
        blank=True,
        related_name="interested",
        db_table="feed_profile_interests",
    )
    expertise = models.ManyToManyField(
        Topic,
        verbose_name=_("topics of expertise"),
        blank=True,
        related_name="experts",
        db_table="feed_profile_expertise",
    )
    personas = models.ManyToManyField(
        Persona,
        verbose_name=_("audiences I reach"),
        blank=True,
        related_name="profiles",
        db_table="feed_profile_personas",
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    site = models.CharField(_("site or office"), max_length=80, blank=True)
    # {"linkedin": {"size": "medium", "who": ["clients", "peers"]}, …}
    networks = models.JSONField(_("networks"), default=dict, blank=True)
    posting_days = models.JSONField(_("preferred posting days"), default=list, blank=True)
    posting_hours = models.JSONField(_("preferred posting hours"), default=list, blank=True)
    weekly_cadence = models.PositiveSmallIntegerField(
        _("posts per week I aim for"), default=2, help_text=_("A gentle target, not a quota.")
    )
    digest = models.CharField(
        _("digest e-mail"),
        max_length=10,
        choices=DigestFrequency.choices,
        default=DigestFrequency.WEEKLY,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "feed_profile"
        verbose_name = _("ambassador profile")
        verbose_name_plural = _("ambassador profiles")

    def __str__(self) -> str:
        return f"{self.membership}"

    @property
    def is_complete(self) -> bool:
        """The onboarding step: languages, at least one network and one topic."""
        return bool(self.languages and self.networks and self.interests.exists())


class Feedback(models.Model):
    """ "Not for me" on a feed card: the item leaves the person's feed and similar ones sink."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="feedback")
    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="feedback")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "item"], name="feedback_once")]

    def __str__(self) -> str:
        return f"{self.membership_id} ✗ {self.item_id}"


def posting_habits(membership: Membership) -> Habits | None:
    """The person's posting habits from their ambassador profile (None without one), for
    `chorus.sharing.scheduling`."""
    found = (
        AmbassadorProfile.objects.filter(membership=membership)
        .values("posting_hours", "posting_days", "weekly_cadence")
        .first()
    )
    return Habits(**found) if found is not None else None
