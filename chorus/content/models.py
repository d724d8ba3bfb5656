"""The content hub: topics, personas, campaigns, content items and their captions,
monitored sources with their curation inbox, and ambassadors' suggestions."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.lib.networks import LANGUAGE_CHOICES, Network
from chorus.lib.text_metrics import check_caption
from chorus.orgs.models import Membership, Organization, Team


class Topic(models.Model):
    class Subscription(models.TextChoices):
        OPEN = "open", _("Open: ambassadors subscribe")
        ASSIGNED = "assigned", _("Assigned by the programme")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    subscription = models.CharField(
        _("subscription"), max_length=10, choices=Subscription.choices, default=Subscription.OPEN
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="topic_unique_name")]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name


class Persona(models.Model):
    """An audience the programme wants to reach (e.g. CIOs in retail, engineering students)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="personas")
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="persona_unique_name")]
        verbose_name = _("persona")
        verbose_name_plural = _("personas")

    def __str__(self) -> str:
        return self.name


class Objective(models.TextChoices):
    AWARENESS = "awareness", _("Awareness")
    EMPLOYER_BRAND = "employer_brand", _("Employer brand")
    RECRUITING = "recruiting", _("Recruiting")
    SOCIAL_SELLING = "social_selling", _("Social selling")
    LEAD_GENERATION = "lead_generation", _("Lead generation")


class Kpi(models.TextChoices):
    REACH = "reach", _("Potential reach")
    CLICKS = "clicks", _("Human clicks")
    ENGAGEMENT = "engagement", _("Engagement")
    SHARES = "shares", _("Shares")
    ACTIVE_AMBASSADORS = "active_ambassadors", _("Active ambassadors")
    APPLICATIONS = "applications", _("Applications")
    LEADS = "leads", _("Leads")
    CONVERSION_VALUE = "conversion_value", _("Conversion value")
    EARNED_MEDIA_VALUE = "earned_media_value", _("Earned media value")


# The KPIs that make sense for each objective; analytics shows these for the campaign.
KPIS_BY_OBJECTIVE: dict[str, list[str]] = {
    Objective.AWARENESS: [Kpi.REACH, Kpi.SHARES, Kpi.ENGAGEMENT, Kpi.EARNED_MEDIA_VALUE],
    Objective.EMPLOYER_BRAND: [Kpi.REACH, Kpi.ENGAGEMENT, Kpi.ACTIVE_AMBASSADORS, Kpi.CLICKS],
    Objective.RECRUITING: [Kpi.CLICKS, Kpi.APPLICATIONS, Kpi.SHARES],
    Objective.SOCIAL_SELLING: [Kpi.ENGAGEMENT, Kpi.CLICKS, Kpi.LEADS],
    Objective.LEAD_GENERATION: [Kpi.CLICKS, Kpi.LEADS, Kpi.CONVERSION_VALUE],
}


class Campaign(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80)
    objective = models.CharField(_("objective"), max_length=20, choices=Objective.choices)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    target_teams = models.ManyToManyField(
        Team, verbose_name=_("target teams"), blank=True, related_name="campaigns"
    )
    target_personas = models.ManyToManyField(
        Persona, verbose_name=_("target personas"), blank=True, related_name="campaigns"
    )
    target_networks = models.JSONField(_("target networks"), default=list, blank=True)
    cta_url = models.URLField(_("call-to-action URL"), max_length=500, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=3, help_text=_("1 (low) to 5 (high).")
    )
    kpis = models.JSONField(_("KPIs"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "slug"], name="campaign_unique_slug"),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=5), name="campaign_priority_range"
            ),
        ]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name

    def is_running(self, today: datetime | None = None) -> bool:
        day = (today or timezone.now()).date()
        return (self.starts_on is None or self.starts_on <= day) and (
            self.ends_on is None or day <= self.ends_on
        )

    def get_kpis_display(self) -> list[str]:
        labels = dict(Kpi.choices)
        return [str(labels.get(kpi, kpi)) for kpi in self.kpis]


def image_path(instance: ContentItem, filename: str) -> str:
    """Store images under random names: /media/ URLs can't be guessed from ids or titles."""
    extension = filename.rsplit(".", 1)[-1].lower()[:5] if "." in filename else "img"
    return f"content/{secrets.token_urlsafe(16)}.{extension}"


class ContentItemQuerySet(models.QuerySet["ContentItem"]):
    def live(self, now: datetime | None = None) -> ContentItemQuerySet:
        """Published, past its publish time and not expired: what feeds may show."""
        now = now or timezone.now()
        return self.filter(
            Q(publish_at__isnull=True) | Q(publish_at__lte=now),
            Q(expire_at__isnull=True) | Q(expire_at__gt=now),
            status=ContentItem.Status.PUBLISHED,
        )

    def shareable(self, now: datetime | None = None) -> ContentItemQuerySet:
        return self.live(now).filter(internal_only=False)

    def visible_to(self, member: Membership) -> ContentItemQuerySet:
        """The items of the member's organisation they may see, on pages and through the
        API alike: every one for program managers, only the live ones for other members."""
        items = self.filter(org_id=member.org_id)
        return items if member.can_manage_programme else items.live()


class ContentItem(models.Model):
    class Kind(models.TextChoices):
        LINK = "link", _("Link or article")
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video link")
        TEXT = "text", _("Text only")
        JOB = "job", _("Job offer")
        EVENT = "event", _("Event")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Preview(models.TextChoices):
        NONE = "none", _("No link to preview")
        PENDING = "pending", _("Preview pending")
        DONE = "done", _("Preview filled")
        FAILED = "failed", _("Preview failed")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="content_items")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.LINK)
    title = models.CharField(_("title"), max_length=300)
    url = models.URLField(_("URL"), max_length=2000, blank=True)
    canonical_url = models.CharField(max_length=2000, blank=True, db_index=True)
    summary = models.TextField(_("summary"), blank=True)
    talking_points = models.TextField(
        _("talking points"), blank=True, help_text=_("Ideas ambassadors can make their own.")
    )
    engagement_tip = models.CharField(_("engagement tip"), max_length=500, blank=True)
    conversation_starter = models.CharField(
        _("conversation starter"),
        max_length=500,
        blank=True,
        help_text=_("A question that invites comments."),
    )
    image = models.ImageField(_("image"), upload_to=image_path, blank=True)
    image_url = models.URLField(_("image URL"), max_length=2000, blank=True)
    site_name = models.CharField(_("site name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES, blank=True)
    language_locked = models.BooleanField(
        default=False, help_text="Set when a person chose the language: detection leaves it alone."
    )
    topics = models.ManyToManyField(
        Topic, verbose_name=_("topics"), blank=True, related_name="items"
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    expire_at = models.DateTimeField(_("expire at"), null=True, blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    internal_only = models.BooleanField(
        _("internal only"), default=False, help_text=_("Readable by ambassadors, not shareable.")
    )
    preview_status = models.CharField(max_length=10, choices=Preview.choices, default=Preview.NONE)
    preview_error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    suggested_by = models.ForeignKey(
        Membership,
        verbose_name=_("suggested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggested_items",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContentItemQuerySet.as_manager()

    class Meta:
        ordering = ["-pinned", "-created_at", "-id"]
        indexes = [models.Index(fields=["org", "status", "-created_at"])]
        verbose_name = _("content item")
        verbose_name_plural = _("content items")

    def __str__(self) -> str:
        return self.title

    def is_live(self, now: datetime | None = None) -> bool:
        return self.live(self.status, self.publish_at, self.expire_at, now)

    @classmethod
    def live(
        cls,
        status: str,
        publish_at: datetime | None,
        expire_at: datetime | None,
        now: datetime | None = None,
    ) -> bool:
        """`is_live` from the three columns, without building an instance (the redirect's miss)."""
        now = now or timezone.now()
        return (
            status == cls.Status.PUBLISHED
            and (publish_at is None or publish_at <= now)
            and (expire_at is None or expire_at > now)
        )

    @property
    def picture(self) -> str:
        """The local copy of the item's image; remote images are never shown as they are."""
        return self.image.url if self.image else ""


def media_path(instance: ContentImage, filename: str) -> str:
    """Posted images live apart from card images, under random names as well."""
    extension = filename.rsplit(".", 1)[-1].lower()[:5] if "." in filename else "img"
    return f"content/media/{secrets.token_urlsafe(16)}.{extension}"


class ContentImage(models.Model):
    """An image posted natively with the item, in its order, with a description (alt
    text) in each language. `ContentItem.image` stays the card/preview image.

    The file is stored cleaned (`lib.images.clean_upload`: a real image, upright, without
    EXIF or location); publishing fits it to each network's limits. An image without a
    description cannot be posted: people who cannot see it must be told what it shows.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    file = models.ImageField(_("image"), upload_to=media_path)
    # As stored (set from the cleaned image, so pages never open the file to learn them).
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt_en = models.CharField(_("description (English)"), max_length=1500, blank=True)
    alt_fr = models.CharField(_("description (French)"), max_length=1500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("image to post")
        verbose_name_plural = _("images to post")

    def __str__(self) -> str:
        return self.alt_en or self.alt_fr or self.file.name

    def alt_for(self, language: str) -> str:
        """The description in `language`, else in the other language, else ""."""
        french, english = self.alt_fr.strip(), self.alt_en.strip()
        if (language or "").startswith("fr"):
            return french or english
        return english or french


class Caption(models.Model):
    """A suggested text for one network and language; ambassadors always edit freely."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="captions")
    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="captions")
    network = models.CharField(_("network"), max_length=10, choices=Network.choices)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["network", "language", "id"]
        verbose_name = _("caption")
        verbose_name_plural = _("captions")

    def __str__(self) -> str:
        return f"{self.get_network_display()} ({self.language})"

    def check_length(self):  # type: ignore[no-untyped-def]

        return check_caption(self.text, self.network)


class Source(models.Model):
    """An RSS, Atom or JSON feed the worker polls for the curation inbox."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("feed URL"), max_length=2000)
    default_topics = models.ManyToManyField(
        Topic, verbose_name=_("default topics"), blank=True, related_name="sources"
    )
    is_active = models.BooleanField(_("active"), default=True)
    auto_publish = models.BooleanField(
        _("trusted: publish automatically"),
        default=False,
        help_text=_("New entries become published items, up to the daily cap."),
    )
    daily_cap = models.PositiveSmallIntegerField(_("daily cap"), default=3)
    poll_minutes = models.PositiveIntegerField(_("poll every (minutes)"), default=60)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    feed_title = models.CharField(max_length=300, blank=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    failure_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.name


class CuratedEntry(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        PROMOTED = "promoted", _("Promoted")
        DISMISSED = "dismissed", _("Dismissed")
        AUTO_PUBLISHED = "auto", _("Published automatically")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="curated_entries")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="entries")
    guid = models.CharField(max_length=1000)
    url = models.URLField(max_length=2000)
    canonical_url = models.CharField(max_length=2000)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    image_url = models.URLField(max_length=2000, blank=True)
    language = models.CharField(max_length=8, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    content_item = models.ForeignKey(
        ContentItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "guid"]), models.Index(fields=["org", "status"])]
        constraints = [
            # The same article from two sources is one entry.
            models.UniqueConstraint(fields=["org", "canonical_url"], name="entry_unique_url")
        ]
        verbose_name = _("curated entry")
        verbose_name_plural = _("curated entries")

    def __str__(self) -> str:
        return self.title


class Suggestion(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="suggestions")
    suggested_by = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="suggestions"
    )
    url = models.URLField(_("link"), max_length=2000, blank=True)
    text = models.TextField(_("text"), blank=True)
    note = models.CharField(_("note for the programme team"), max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decline_reason = models.CharField(_("reason"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    content_item = models.ForeignKey(
        ContentItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(url="") | ~Q(text=""), name="suggestion_has_url_or_text"
            )
        ]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")

    def __str__(self) -> str:
        return self.url or self.text[:60]


class ImportJob(models.Model):
    """A CSV import run by the worker: the rows checked at upload, then progress and outcome.

    The upload is read and checked in the request (size, encoding, columns, cells); the rows
    wait here as JSON until the worker imports them, then are dropped to save room.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    rows = models.JSONField(default=list, blank=True)  # [[line number, {column: value}], ...]
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    refused = models.JSONField(default=list, blank=True)  # [[line number, reason], ...]
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.filename or f"import {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return 100 if not self.rows_total else min(100, self.rows_done * 100 // self.rows_total)
