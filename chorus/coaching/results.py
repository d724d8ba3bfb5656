"""What "my results" and a team's results show, from the figures of
`chorus.analytics.figures` (`person`, `people`): the period a person chooses, weekly series,
bars for the charts.

Weeks are counted back from today in UTC days, as the rollups are; hours of the day are
shown in the site's time zone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from chorus.analytics import figures
from chorus.analytics.figures import MemberFigures, ShareFigures
from chorus.orgs.models import Membership
from chorus.sharing.models import Share

__all__ = ["MemberFigures", "ShareFigures"]

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

    def scope(self, org_id: int, **filters: Any) -> figures.Scope:
        """The period's days (its last is today, UTC), for `chorus.analytics.figures`."""
        last_day = self.first_day + timedelta(days=self.weeks * 7 - 1)
        return figures.Scope(org_id=org_id, start=self.first_day, end=last_day, **filters)


def bar_width(value: float, maximum: float) -> int:
    """The width of a bar in percent, in 5% steps (CSS classes w-0 … w-100)."""
    if value <= 0 or maximum <= 0:
        return 0
    return max(5, min(100, round(value / maximum * 20) * 5))


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


def personal_results(member: Membership, period: Period) -> PersonalResults:
    """The person's own figures over the period, per week of it."""
    found = figures.person(period.scope(member.org_id, membership_id=member.pk))
    weekly_clicks = [0] * period.weeks
    for day, clicks in found.clicks_by_day.items():
        week = period.week_of(day)
        if week is not None:
            weekly_clicks[week] += clicks
    click_hours = [0] * 24
    for _link_id, bucket, count in found.click_hours:
        click_hours[bucket.hour] += count

    weekly_shares = [0] * period.weeks
    originality_sums = [0.0] * period.weeks
    originality_counts = [0] * period.weeks
    for share in found.shares:
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
    return PersonalResults(
        member=member,
        period=period,
        shares=found.shares,
        clicks=found.clicks,
        unique_visitors=found.unique_visitors,
        leads=found.conversions,
        engagement=found.engagement,
        weekly_shares=weekly_shares,
        weekly_clicks=weekly_clicks,
        weekly_originality=weekly_originality,
        click_hours=click_hours,
    )


# --- A team ---------------------------------------------------------------------------------


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
    """Each member's figures and the team's totals over the period."""
    if not members:
        return TeamResults(period, {}, 0, 0, None)
    found = figures.people(period.scope(members[0].org_id), [member.pk for member in members])
    return TeamResults(
        period=period,
        members=found.members,
        shares=found.shares,
        clicks=found.clicks,
        originality=found.originality,
    )
