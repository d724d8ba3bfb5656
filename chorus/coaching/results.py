"""The figures behind "my results" and a team's results, computed from the raw data.

Sources: published shares (`sharing.Share`), the daily link rollups (`links.LinkDay`: human
clicks and unique visitors), raw human clicks for the hours of the day (`links.Click`,
bots excluded), conversions attributed to the person (`links.Conversion`) and engagement
as last measured on the networks (`sharing.metrics`).

Weeks are counted back from today in UTC days, as the rollups are; hours of the day are
shown in the site's time zone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Avg, Count, Max, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from chorus.links.models import Click, Conversion, LinkDay
from chorus.orgs.models import Membership
from chorus.sharing.metrics import total_engagement
from chorus.sharing.models import Share

# The periods a person can choose, in weeks; the first page shows the default.
PERIOD_WEEKS = (4, 12, 26)
DEFAULT_WEEKS = 12


@dataclass(frozen=True)
class Period:
    """The last `weeks` weeks, today included, as whole UTC days."""

    weeks: int
    first_day: date

    @classmethod
    def last(cls, weeks: int, today: date | None = None) -> Period:
        today = today or timezone.now().astimezone(UTC).date()
        return cls(weeks, today - timedelta(days=weeks * 7 - 1))

    @classmethod
    def from_query(cls, value: str | None) -> Period:
        """The period asked for in the query string; anything unexpected gets the default."""
        weeks = int(value) if value and value.isascii() and value.isdigit() else DEFAULT_WEEKS
        return cls.last(weeks if weeks in PERIOD_WEEKS else DEFAULT_WEEKS)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, UTC)

    def week_of(self, day: date) -> int | None:
        index = (day - self.first_day).days // 7
        return index if 0 <= index < self.weeks else None

    def week_starts(self) -> list[date]:
        return [self.first_day + timedelta(days=7 * index) for index in range(self.weeks)]


def bar_width(value: float, maximum: float) -> int:
    """The width of a bar in percent, in 5% steps (CSS classes w-0 … w-100)."""
    if value <= 0 or maximum <= 0:
        return 0
    return max(5, min(100, round(value / maximum * 20) * 5))


def engagement_of(share_ids: Sequence[int]) -> int | None:
    """Reactions, comments, reposts and quotes on these shares, as last measured.

    None when none of them was measured: shares made through share intents, networks that
    give no counts, posts too recent (see chorus.sharing.metrics).
    """
    if not share_ids:
        return 0
    total = total_engagement(share_ids)
    return total.total if total.taken_at is not None else None


@dataclass
class Bar:
    """One bar of a chart: what it stands for, its value, its width class."""

    label: object
    value: float
    width: int = 0
    extra: dict[str, object] = field(default_factory=dict)


def with_widths(bars: list[Bar]) -> list[Bar]:
    """Scale the bars against the longest one."""
    maximum = max((bar.value for bar in bars), default=0)
    for bar in bars:
        bar.width = bar_width(bar.value, maximum)
    return bars


@dataclass
class ShareFigures:
    """One published share and the human clicks that came after it on its link."""

    pk: int
    network: str
    published_at: datetime
    originality: float | None
    link_id: int | None
    clicks: int = 0

    @property
    def local_hour(self) -> int:
        return timezone.localtime(self.published_at).hour


@dataclass
class NetworkFigures:
    network: str
    label: str
    shares: int
    clicks: int

    @property
    def clicks_per_share(self) -> float:
        return self.clicks / self.shares if self.shares else 0.0


@dataclass
class PersonalResults:
    """Everything "my results" shows, for one person and one period."""

    member: Membership
    period: Period
    shares: list[ShareFigures]
    clicks: int
    unique_visitors: int
    leads: int
    engagement: int | None
    # Per week of the period.
    weekly_shares: list[int]
    weekly_clicks: list[int]
    weekly_originality: list[float | None]
    # Human clicks by the hour of the day they happened (site time zone).
    click_hours: list[int]

    @property
    def share_count(self) -> int:
        return len(self.shares)

    @property
    def originality_average(self) -> float | None:
        values = [share.originality for share in self.shares if share.originality is not None]
        return sum(values) / len(values) if values else None

    def by_network(self) -> list[NetworkFigures]:
        labels = dict(Share._meta.get_field("network").flatchoices)  # type: ignore[union-attr]
        counts: Counter[str] = Counter()
        clicks: Counter[str] = Counter()
        for share in self.shares:
            counts[share.network] += 1
            clicks[share.network] += share.clicks
        return [
            NetworkFigures(network, str(labels.get(network, network)), count, clicks[network])
            for network, count in counts.most_common()
        ]

    def posting_hours(self) -> dict[int, tuple[int, int]]:
        """For each hour I posted at: (shares, human clicks those shares drew)."""
        result: dict[int, tuple[int, int]] = {}
        for share in self.shares:
            count, clicks = result.get(share.local_hour, (0, 0))
            result[share.local_hour] = (count + 1, clicks + share.clicks)
        return dict(sorted(result.items()))

    # --- Bars for the page ---

    def weekly_share_bars(self) -> list[Bar]:
        starts = self.period.week_starts()
        return with_widths([Bar(day, n) for day, n in zip(starts, self.weekly_shares, strict=True)])

    def weekly_click_bars(self) -> list[Bar]:
        starts = self.period.week_starts()
        return with_widths([Bar(day, n) for day, n in zip(starts, self.weekly_clicks, strict=True)])

    def originality_bars(self) -> list[Bar]:
        """Average own-words share per week; weeks without a measured post have no bar."""
        starts = self.period.week_starts()
        return [
            Bar(day, -1 if value is None else value, bar_width(value or 0, 1))
            for day, value in zip(starts, self.weekly_originality, strict=True)
        ]

    def click_hour_bars(self) -> list[Bar]:
        return with_widths([Bar(f"{hour}", count) for hour, count in enumerate(self.click_hours)])

    def posting_hour_bars(self) -> list[Bar]:
        bars = []
        for hour, (count, clicks) in self.posting_hours().items():
            bars.append(Bar(f"{hour}", clicks / count, extra={"shares": count, "clicks": clicks}))
        return with_widths(bars)


def _attribute_clicks(
    shares: list[ShareFigures], buckets: Iterable[tuple[int, datetime, int]]
) -> None:
    """Give each hour of clicks on a link to the latest share of that link published by then.

    A link is one person's, for one item and network; it is shared once, rarely twice.
    Clicks that came before any share of the period (e.g. a link pasted by hand) stay
    unattributed: they count in the totals, not for a particular post.
    """
    by_link: dict[int, list[ShareFigures]] = defaultdict(list)
    for share in sorted(shares, key=lambda share: share.published_at):
        if share.link_id is not None:
            by_link[share.link_id].append(share)
    for link_id, bucket, count in buckets:
        candidates = by_link.get(link_id)
        if not candidates:
            continue
        bucket_end = bucket + timedelta(hours=1)
        owner = None
        for share in candidates:
            if share.published_at < bucket_end:
                owner = share
        if owner is not None:
            owner.clicks += count


def personal_results(member: Membership, period: Period) -> PersonalResults:
    """The person's own figures over the period (a fixed number of queries)."""
    start = period.start
    shares = [
        ShareFigures(pk, network, published_at, originality, link_id)
        for pk, network, published_at, originality, link_id in Share.objects.filter(
            org_id=member.org_id,
            membership=member,
            status=Share.Status.PUBLISHED,
            published_at__gte=start,
        )
        .order_by("published_at", "id")
        .values_list("pk", "network", "published_at", "originality", "link_id")
        if published_at is not None  # published shares always have it; mypy can't know
    ]
    buckets = [
        (row["link_id"], row["bucket"], row["clicks"])
        for row in Click.objects.filter(
            org_id=member.org_id,
            link__ambassador=member,
            is_bot=False,
            occurred_at__gte=start,
        )
        # Hours of the site's time zone (some are offset by half an hour from UTC).
        .annotate(bucket=TruncHour("occurred_at"))
        .values("link_id", "bucket")
        .annotate(clicks=Count("id"))
        .order_by()
    ]
    _attribute_clicks(shares, buckets)
    click_hours = [0] * 24
    for _link_id, bucket, count in buckets:
        click_hours[bucket.hour] += count

    weekly_clicks = [0] * period.weeks
    clicks = unique_visitors = 0
    for row in (
        LinkDay.objects.filter(
            org_id=member.org_id, link__ambassador=member, day__gte=period.first_day
        )
        .values("day")
        .annotate(clicks=Sum("clicks"), visitors=Sum("unique_visitors"))
        .order_by()
    ):
        week = period.week_of(row["day"])
        if week is None:
            continue
        weekly_clicks[week] += row["clicks"]
        clicks += row["clicks"]
        unique_visitors += row["visitors"]

    weekly_shares = [0] * period.weeks
    originality_sums = [0.0] * period.weeks
    originality_counts = [0] * period.weeks
    for share in shares:
        week = period.week_of(share.published_at.astimezone(UTC).date())
        if week is None:
            continue
        weekly_shares[week] += 1
        if share.originality is not None:
            originality_sums[week] += share.originality
            originality_counts[week] += 1
    weekly_originality = [
        total / count if count else None
        for total, count in zip(originality_sums, originality_counts, strict=True)
    ]
    leads = Conversion.objects.filter(
        org_id=member.org_id, ambassador=member, occurred_at__gte=start
    ).count()
    return PersonalResults(
        member=member,
        period=period,
        shares=shares,
        clicks=clicks,
        unique_visitors=unique_visitors,
        leads=leads,
        engagement=engagement_of([share.pk for share in shares]),
        weekly_shares=weekly_shares,
        weekly_clicks=weekly_clicks,
        weekly_originality=weekly_originality,
        click_hours=click_hours,
    )


# --- A team ---------------------------------------------------------------------------------


@dataclass
class MemberFigures:
    shares: int = 0
    clicks: int = 0
    originality: float | None = None
    last_shared_at: datetime | None = None


@dataclass
class TeamResults:
    period: Period
    members: dict[int, MemberFigures]
    shares: int
    clicks: int
    originality: float | None

    @property
    def active_members(self) -> int:
        """People who shared at least once in the period."""
        return sum(1 for figures in self.members.values() if figures.shares)


def team_results(members: Sequence[Membership], period: Period) -> TeamResults:
    """Each member's figures and the team's totals over the period (three queries)."""
    if not members:
        return TeamResults(period, {}, 0, 0, None)
    org_id = members[0].org_id
    ids = [member.pk for member in members]
    figures = {pk: MemberFigures() for pk in ids}
    published = Share.objects.filter(
        org_id=org_id,
        membership_id__in=ids,
        status=Share.Status.PUBLISHED,
        published_at__gte=period.start,
    )
    for row in (
        published.values("membership_id")
        .annotate(
            shares=Count("id"),
            originality=Avg("originality"),
            last=Max("published_at"),
        )
        .order_by()
    ):
        entry = figures[row["membership_id"]]
        entry.shares = row["shares"]
        entry.originality = row["originality"]
        entry.last_shared_at = row["last"]
    for row in (
        LinkDay.objects.filter(
            org_id=org_id, link__ambassador_id__in=ids, day__gte=period.first_day
        )
        .values("link__ambassador_id")
        .annotate(clicks=Sum("clicks"))
        .order_by()
    ):
        figures[row["link__ambassador_id"]].clicks = row["clicks"] or 0
    totals = published.aggregate(originality=Avg("originality"))
    return TeamResults(
        period=period,
        members=figures,
        shares=sum(entry.shares for entry in figures.values()),
        clicks=sum(entry.clicks for entry in figures.values()),
        originality=totals["originality"],
    )
