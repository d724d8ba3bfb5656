"""Social connections, shares (drafts, scheduled, published) and the sharing policy."""

from __future__ import annotations

import datetime
import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.content.models import Caption, ContentImage, ContentItem
from chorus.integrations import registry
from chorus.lib.crypto import EncryptedJSONField
from chorus.lib.networks import Network
from chorus.links.models import TrackedLink
from chorus.orgs.models import Membership, Organization

# Where a share can go: the networks, plus messaging opened on the person's device.
# Every channel a share goes through (networks, messaging, e-mail), as registered.
CHANNEL_CHOICES = registry.choices()
# The widest window colleagues' shares of one item may be spread over: a day.
MAX_STAGGER_MINUTES = 1440


class SharingPolicy(models.Model):
    """The organisation's rules; people's own preferences can only be stricter.

    Quiet hours are local times in the organisation's time zone (see
    `chorus.sharing.scheduling.org_zone`); they may wrap midnight (21:00 to 07:00), and the
    same start and end mean no quiet hours. The bounds below are the ones the settings page
    and `PATCH /api/v1/policy` accept.
    """

    class Originality(models.TextChoices):
        WARN = "warn", _("Warn, the person decides")
        REQUIRE = "require", _("Require a minimum of own words")

    org = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="sharing_policy"
    )
    originality = models.CharField(
        _("originality rule"), max_length=10, choices=Originality.choices, default=Originality.WARN
    )
    min_own_words = models.PositiveSmallIntegerField(
        _("minimum own words (%)"),
        default=30,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Used when the rule requires it."),
    )
    max_per_day = models.PositiveSmallIntegerField(
        _("posts per day and network, at most"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    min_hours_between = models.PositiveSmallIntegerField(
        _("hours between two posts, at least"),
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(72)],
    )
    quiet_start = models.TimeField(
        _("quiet hours start"),
        default=datetime.time(21, 0),
        help_text=_("No post goes out from this time (the organisation's time zone)."),
    )
    quiet_end = models.TimeField(
        _("quiet hours end"),
        default=datetime.time(7, 0),
        help_text=_(
            "Posts go out again from this time. The same time as the start: no quiet hours."
        ),
    )
    stagger_minutes = models.PositiveSmallIntegerField(
        _("spread colleagues' shares of one item over (minutes)"),
        default=480,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_STAGGER_MINUTES)],
        help_text=_(
            "A good time for one person falls somewhere in this window after the first "
            "colleague's share of the same item. 0: as soon as the rules allow."
        ),
    )

    class Meta:
        verbose_name = _("sharing policy")

    def __str__(self) -> str:
        return f"{self.org} sharing policy"

    def wants_more_own_words(self, originality: float) -> bool:
        """True when the rule requires more own words than `originality` (0 to 1) has."""
        return (
            self.originality == self.Originality.REQUIRE and originality * 100 < self.min_own_words
        )


class MastodonApp(models.Model):
    """Chorus's OAuth app on one Mastodon server, registered once and reused."""

    instance = models.CharField(max_length=255, unique=True)
    secrets = EncryptedJSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.instance


class Connection(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Connected")
        EXPIRED = "expired", _("Needs reconnecting")
        REVOKED = "revoked", _("Disconnected")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="connections")
    network = models.CharField(max_length=20, choices=Network.choices)
    handle = models.CharField(max_length=255)
    remote_id = models.CharField(max_length=255, blank=True)
    credentials = EncryptedJSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    expires_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["network"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "network"],
                condition=~models.Q(status="revoked"),
                name="connection_one_per_network",
            )
        ]
        verbose_name = _("connection")
        verbose_name_plural = _("connections")

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.handle}"


class ShareQuerySet(models.QuerySet["Share"]):
    """Named filters for shares, so that "published" means the same everywhere."""

    def pending(self) -> ShareQuerySet:
        return self.filter(status__in=Share.PENDING)

    def published(self) -> ShareQuerySet:
        """Shares that went out: published by Chorus, or confirmed after a share intent."""
        return self.filter(status=Share.Status.PUBLISHED)

    def published_between(
        self, since: datetime.datetime, until: datetime.datetime | None = None
    ) -> ShareQuerySet:
        """Published shares whose `published_at` is from `since` (included) to `until`
        (excluded; no end when None)."""
        found = self.published().filter(published_at__gte=since)
        return found if until is None else found.filter(published_at__lt=until)


class Share(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHING = "publishing", _("Publishing")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        CHECK = "check", _("To check")
        REVIEW = "review", _("In review")

    class Method(models.TextChoices):
        API = "api", _("Published by Chorus")
        INTENT = "intent", _("Shared from my device")

    PENDING = (Status.SCHEDULED, Status.PUBLISHING)

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="shares")
    # Null once the person left and asked for their shares to be anonymised.
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="shares"
    )
    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="shares")
    caption = models.ForeignKey(
        Caption, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    network = models.CharField(_("network"), max_length=20, choices=CHANNEL_CHOICES)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.API)
    connection = models.ForeignKey(
        Connection, on_delete=models.SET_NULL, null=True, blank=True, related_name="shares"
    )
    link = models.ForeignKey(
        TrackedLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="shares"
    )
    text = models.TextField(_("text"))
    # The item's images the person chose to post with it (in the item's order).
    images = models.ManyToManyField(
        ContentImage, verbose_name=_("images"), blank=True, related_name="shares"
    )
    # The anti-parrot figures at the time of sharing, and a signature for later lookups.
    originality = models.FloatField(null=True, blank=True)
    near_duplicates = models.PositiveIntegerField(default=0)
    signature = models.BinaryField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    position = models.PositiveIntegerField(default=0)
    scheduled_for = models.DateTimeField(null=True, blank=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    remote_id = models.CharField(max_length=255, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)
    # Publishing bookkeeping: one key per share, attempts counted, a claim per worker.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # Engagement sync (chorus.sharing.metrics): when the counts are read next (empty until
    # the first read), how many reads in a row hit a retryable error, and whether the
    # schedule is over (30 days after publishing).
    metrics_next_at = models.DateTimeField(null=True, blank=True, db_index=True)
    metrics_failures = models.PositiveSmallIntegerField(default=0)
    metrics_done = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ShareQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="share_due"),
            models.Index(fields=["org", "item", "created_at"], name="share_item"),
            models.Index(fields=["membership", "status"], name="share_person"),
        ]
        verbose_name = _("share")
        verbose_name_plural = _("shares")

    def __str__(self) -> str:
        return f"{self.get_network_display()} share of {self.item_id}"

    @property
    def counts_as_shared(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Review(models.Model):
    """A share held for review (chorus.governance), and the reviewer's decision.

    A share goes to review when a compliance rule or a review scope asks for it; it is
    published only once approved. A share edited after a decision may come back, so a
    share can have several reviews, at most one pending.
    """

    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting")
        APPROVED = "approved", _("Approved")
        EDITED = "edited", _("Approved with edits")
        DECLINED = "declined", _("Declined")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="reviews")
    # Why it was sent: the rules' words and reasons, or the review scope.
    reason = models.CharField(_("why"), max_length=500)
    submitted_text = models.TextField(_("text submitted"))
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    reviewer = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # The note with an edit, or the reason for declining; the author reads it.
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["share"], condition=models.Q(decision="pending"), name="review_one_pending"
            )
        ]
        indexes = [models.Index(fields=["org", "decision"], name="review_queue")]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"review of {self.share_id}: {self.decision}"


class Attempt(models.Model):
    """One call to a network, recorded before it is made: if the worker dies or the call
    times out, the next one reconciles instead of posting again."""

    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="publish_attempts")
    worker = models.CharField(max_length=100)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.share_id} @ {self.started_at}: {self.outcome or 'running'}"


class EngagementSnapshot(models.Model):
    """A published post's counts on its network at one moment.

    The engagement sync (chorus.sharing.metrics) adds one per share at each step of its
    schedule, so a share's snapshots show how its reach grew; read the latest ones with
    `chorus.sharing.metrics.latest_engagement`.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="engagement_snapshots")
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)
    # Likes, favourites or LinkedIn reactions of every kind.
    reactions = models.PositiveIntegerField(_("reactions"), default=0)
    comments = models.PositiveIntegerField(_("comments"), default=0)
    # Boosts, reposts, retweets; quotes are reposts with words of their own.
    reposts = models.PositiveIntegerField(_("reposts"), default=0)
    quotes = models.PositiveIntegerField(_("quotes"), default=0)
    # Only X says how many times a post was seen.
    impressions = models.PositiveIntegerField(_("impressions"), null=True, blank=True)
    # The network's own figures, a few numbers (e.g. LinkedIn's reactions by kind).
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["taken_at", "id"]
        indexes = [models.Index(fields=["share", "taken_at"], name="engagement_share_time")]
        verbose_name = _("engagement snapshot")
        verbose_name_plural = _("engagement snapshots")

    def __str__(self) -> str:
        return f"{self.share_id} @ {self.taken_at}: {self.total} interactions"

    @property
    def total(self) -> int:
        """Reactions, comments, reposts and quotes together: what people did with the post."""
        return self.reactions + self.comments + self.reposts + self.quotes


class EngagementTask(models.Model):
    """A programme manager's request: engage with an existing post (the company's or a
    colleague's) on one network — like it, boost it, or reply with a suggested angle.

    It is offered to programme members who connected that network or follow it in their
    ambassador profile (`open_tasks`); each person does it once (`EngagementTaskDone`), through
    the API where the network allows it, else on the network's own page and marked done.
    """

    class Action(models.TextChoices):
        LIKE = "like", _("Like")
        BOOST = "boost", _("Boost or repost")
        REPLY = "reply", _("Reply or comment")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    network = models.CharField(_("network"), max_length=20, choices=Network.choices)
    post_url = models.URLField(_("address of the post"), max_length=500)
    action = models.CharField(_("what to do"), max_length=10, choices=Action.choices)
    angle = models.CharField(
        _("suggested angle"),
        max_length=500,
        blank=True,
        help_text=_("An idea for a reply in people's own words; never a text to copy."),
    )
    is_open = models.BooleanField(_("open"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "is_open", "network"], name="task_open")]
        verbose_name = _("engagement task")
        verbose_name_plural = _("engagement tasks")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.post_url}"


class EngagementTaskDone(models.Model):
    """One person's engagement on a task's post: done by Chorus through their connection
    (`API`), or on the network's page and marked done (`MARKED`). A reply keeps its text
    and the anti-parrot figures, measured like a share's."""

    class Method(models.TextChoices):
        API = "api", _("Done by Chorus")
        MARKED = "marked", _("Done on the network")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(EngagementTask, on_delete=models.CASCADE, related_name="engagements")
    # Null once the person left and asked for their contributions to be anonymised.
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="engagements"
    )
    action = models.CharField(max_length=10, choices=EngagementTask.Action.choices)
    method = models.CharField(max_length=10, choices=Method.choices)
    text = models.TextField(_("reply"), blank=True)
    originality = models.FloatField(null=True, blank=True)
    near_duplicates = models.PositiveIntegerField(default=0)
    remote_id = models.CharField(max_length=255, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "membership"],
                condition=models.Q(membership__isnull=False),
                name="engagement_once_per_person",
            )
        ]
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")

    def __str__(self) -> str:
        return f"{self.action} on task {self.task_id}"
