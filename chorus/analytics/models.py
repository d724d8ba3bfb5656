"""Analytics: the organisation's valuation settings and the daily rollups dashboards read.

Raw events (shares, clicks, conversions, engagement snapshots) stay in their apps; the
worker rolls them up per UTC day (the days of `chorus.links.models.LinkDay`) into:

- `ShareDay`: shares per (day, person, content item, network, method), with the team and
  campaign they count for, how many were original and their potential reach;
- `ConversionDay`: conversions per (day, person, item, campaign, network, kind);
- `SegmentDay`: every measure (shares, clicks, conversions, engagement, reach) per day at
  several levels of detail, so that a dashboard reads a few hundred rows whatever the
  filters (see `Level`);
- `SegmentMonth`: SegmentDay added up per calendar month, for long periods (the current
  month up to today too);
- `MemberMonth`: shares per person, network, campaign and calendar month, for long
  periods with a network or campaign chosen;
- `PersonMonth`: shares per person and calendar month with the networks used and the month
  they joined, for the funnel, the retention table and long periods.

`chorus.analytics.rollups` rebuilds them; `chorus.analytics.figures` reads them. Their
rows are derived from events: their foreign keys are not checked by the database (checking
hundreds of thousands of keys at each commit made a rebuild twice as slow); Django's
on_delete still applies when a team, campaign, item or person goes.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.content.models import Campaign, ContentItem
from chorus.orgs.models import Membership, Organization, Team


def derived_key(to: type[models.Model], *, required: bool = False) -> models.ForeignKey:  # type: ignore[type-arg]
    """A foreign key of a rollup row, unchecked by the database (the rows are derived from
    events; see above). `required`: the row goes with what it points to (an organisation,
    a person); else the key is emptied."""
    if required:
        return models.ForeignKey(
            to, on_delete=models.CASCADE, related_name="+", db_constraint=False
        )
    return models.ForeignKey(
        to,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )


class AnalyticsSettings(models.Model):
    """How the organisation values its results (earned media value) and who counts as regular.

    The defaults are placeholders in the range of paid-social prices; a programme sets its own
    from what it pays for a click, an interaction and a thousand impressions in ads.
    """

    org = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="analytics_settings"
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="EUR",
        help_text=_("Three letters (EUR, USD, GBP…); conversion values are shown in it too."),
    )
    value_per_click = models.DecimalField(
        _("value of a click"),
        max_digits=9,
        decimal_places=2,
        default=Decimal("1.50"),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("What a click from a paid social ad costs you."),
    )
    value_per_engagement = models.DecimalField(
        _("value of an interaction"),
        max_digits=9,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("A reaction, comment or repost on an ambassador's post."),
    )
    value_per_thousand_impressions = models.DecimalField(
        _("value of 1,000 impressions"),
        max_digits=9,
        decimal_places=2,
        default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_(
            "Impressions are estimated by the potential reach (audience sizes) of the shares."
        ),
    )
    regular_shares = models.PositiveSmallIntegerField(
        _("shares that make a regular ambassador"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Within the period shown: the last stage of the funnel."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("analytics settings")
        verbose_name_plural = _("analytics settings")

    def __str__(self) -> str:
        return f"{self.org} analytics settings"


class ShareDay(models.Model):
    """Published shares of one day, per person, item, network and method."""

    org = derived_key(Organization, required=True)
    day = models.DateField()
    # Empty when the person left and asked to be anonymised (the team then goes too).
    membership = derived_key(Membership)
    # The person's team and the item's campaign when the day was rolled up.
    team = derived_key(Team)
    item = derived_key(ContentItem)
    campaign = derived_key(Campaign)
    network = models.CharField(max_length=20)
    method = models.CharField(max_length=10)
    shares = models.PositiveIntegerField(default=0)
    original_shares = models.PositiveIntegerField(default=0)
    # Originality (0-1) added up over the shares that have it, and how many have it.
    originality_sum = models.FloatField(default=0)
    originality_count = models.PositiveIntegerField(default=0)
    potential_reach = models.BigIntegerField(default=0)
    engagement = models.BigIntegerField(default=0)
    impressions = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["org", "day"], name="shareday_org_day"),
            models.Index(fields=["membership", "day"], name="shareday_person_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.membership_id} {self.item_id} {self.network}: {self.shares}"


class ConversionDay(models.Model):
    """Conversions of one day per attributed person, item, campaign, network and kind."""

    org = derived_key(Organization, required=True)
    day = models.DateField()
    membership = derived_key(Membership)
    team = derived_key(Team)
    item = derived_key(ContentItem)
    campaign = derived_key(Campaign)
    network = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=10)
    conversions = models.PositiveIntegerField(default=0)
    value = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))

    class Meta:
        indexes = [models.Index(fields=["org", "day"], name="conversionday_org_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: {self.conversions}"


class Level(models.IntegerChoices):
    """Which dimensions a `SegmentDay` row keeps; the others are added up ("all").

    A bit per dimension. Every combination of team, campaign and network exists, and the
    item with its campaign, alone, with its network, or with team and network: a query with
    filters and a breakdown reads the smallest level that keeps what it filters and groups
    by (content per team reads the finest level; that filter makes it a small part).
    """

    TOTAL = 0
    TEAM = 1
    CAMPAIGN = 2
    TEAM_CAMPAIGN = 3
    NETWORK = 4
    TEAM_NETWORK = 5
    CAMPAIGN_NETWORK = 6
    TEAM_CAMPAIGN_NETWORK = 7
    ITEM = 10  # item + campaign
    ITEM_NETWORK = 14  # item + campaign + network
    ITEM_TEAM_NETWORK = 15  # the finest: every other level is added up from it


LEVEL_BITS = {"team": 1, "campaign": 2, "network": 4, "item": 8}


class Segment(models.Model):
    """What `SegmentDay` and `SegmentMonth` rows share: the level and its dimensions, and
    every measure (`chorus.analytics.rollups.MEASURES`, read by `figures.Measures`)."""

    org = derived_key(Organization, required=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    team = derived_key(Team)
    campaign = derived_key(Campaign)
    network = models.CharField(max_length=20, blank=True)
    item = derived_key(ContentItem)
    shares = models.PositiveIntegerField(default=0)
    original_shares = models.PositiveIntegerField(default=0)
    api_shares = models.PositiveIntegerField(default=0)
    originality_sum = models.FloatField(default=0)
    originality_count = models.PositiveIntegerField(default=0)
    potential_reach = models.BigIntegerField(default=0)
    engagement = models.BigIntegerField(default=0)
    impressions = models.BigIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    bot_clicks = models.PositiveIntegerField(default=0)
    unique_visitors = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)
    leads = models.PositiveIntegerField(default=0)
    conversion_value = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))

    class Meta:
        abstract = True


def segment_indexes(table: str, period: str) -> list[models.Index]:
    """The indexes of a table of segments by `period` (day or month): by level, and content
    per network (and team), read a network at a time."""
    return [
        models.Index(fields=["org", "level", period], name=f"{table}_level_{period}"),
        models.Index(
            fields=["org", "network", period],
            name=f"{table}_finest_network",
            condition=models.Q(level=Level.ITEM_TEAM_NETWORK),
        ),
        models.Index(
            fields=["org", "network", period],
            name=f"{table}_item_network",
            condition=models.Q(level=Level.ITEM_NETWORK),
        ),
    ]


class SegmentDay(Segment):
    """Every measure of one day at one level of detail (see `Level`).

    A dimension that the level adds up is empty (NULL, or "" for the network); one that it
    keeps is empty only for what has none (people without a team, content without a
    campaign), so "no team" and "all teams" are never confused: the level tells them apart.
    """

    day = models.DateField()

    class Meta:
        indexes = segment_indexes("segmentday", "day")

    def __str__(self) -> str:
        return f"{self.day} level {self.level}: {self.shares} shares, {self.clicks} clicks"


class SegmentMonth(Segment):
    """`SegmentDay` added up per calendar month: long periods read their whole months here
    and only their first and last days from SegmentDay."""

    month = models.DateField(help_text="The first day of the month.")

    class Meta:
        indexes = segment_indexes("segmentmonth", "month")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} level {self.level}: {self.shares} shares"


class MemberMonth(models.Model):
    """One person's shares on one network for one campaign in one calendar month (their
    team as rolled up): who shared during the whole months of a long period, when a
    network or campaign is chosen, and the people per campaign."""

    org = derived_key(Organization, required=True)
    month = models.DateField(help_text="The first day of the month.")
    membership = derived_key(Membership, required=True)
    network = models.CharField(max_length=20, default="")
    team = derived_key(Team)
    # The item's campaign (empty for content without one).
    campaign = derived_key(Campaign)
    shares = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["org", "month"], name="membermonth_org_month"),
            models.Index(fields=["org", "network", "month"], name="membermonth_network"),
            # People per campaign read the index alone.
            models.Index(
                fields=["org", "campaign", "month", "membership"],
                name="membermonth_campaign_people",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.membership_id}: {self.shares}"


class PersonMonth(models.Model):
    """One person's shares in one calendar month (with the team they counted for), the
    networks they shared on (a bit each, `rollups.CHANNEL_BITS`), and the month they opted
    in: the funnel, the retention table and the people active over long periods, in one
    row per person and month."""

    org = derived_key(Organization, required=True)
    month = models.DateField(help_text="The first day of the month.")
    membership = derived_key(Membership, required=True)
    team = derived_key(Team)
    shares = models.PositiveIntegerField(default=0)
    networks = models.PositiveIntegerField(default=0)
    # The month of the opt-in and how many months later this one is (0: the month itself);
    # empty for someone with no opt-in date.
    cohort_month = models.DateField(null=True, blank=True)
    months_since_joining = models.SmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["org", "month"], name="personmonth_org_month"),
            models.Index(fields=["org", "cohort_month"], name="personmonth_cohort"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.membership_id}: {self.shares}"


class DirtyDay(models.Model):
    """A day whose rollups must be rebuilt: noted when its events change, claimed by a worker."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    noted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "day"], name="dirtyday_once")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.day}"


class RollupState(models.Model):
    """Per organisation: when its rollups were last brought up to date, how far the
    engagement snapshots were read (their ids only grow), and up to which month the monthly
    rollups are complete. Its row is also the organisation's rebuild lock."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    refreshed_at = models.DateTimeField(null=True, blank=True)
    snapshot_watermark = models.BigIntegerField(default=0)
    # SegmentMonth rows are complete for the months before this one (a month gets them once
    # it is over: the current month is read from the daily rows).
    months_until = models.DateField(null=True, blank=True)
    # The month whose SegmentMonth rows hold its days so far (rebuilt with them): while it
    # is the current month, a period that runs to today reads it whole.
    month_to_date = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.org_id} rollups at {self.refreshed_at}"
