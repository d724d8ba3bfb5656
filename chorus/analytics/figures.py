"""The programme's figures: one place for the dashboard, its exports, "my results", the team
view, coaching, the digest and the programme's health checks.

A `Scope` says what to count: an organisation, a period of UTC days (both ends included)
and optional filters (team, campaign, network, one person)::

    from chorus.analytics import figures

    scope = figures.Scope(org_id=org.pk, start=date(2026, 3, 1), end=date(2026, 3, 31))
    figures.totals(scope).clicks                       # human clicks in March
    figures.over_time(scope, "week")                   # [(monday, Measures), …]
    figures.breakdown(scope.narrow(team_id=7), "network")   # [Row(key, label, measures), …]
    figures.breakdown(scope, "membership")             # per person (team view, coaching)
    figures.totals(scope.narrow(membership_id=42))     # one person's results
    figures.activity(scope).active                     # people who shared at least once
    figures.funnel(scope, regular_shares=4)            # invited → opted in → shared → regular
    figures.retention(scope)                           # cohorts by month of joining
    figures.campaign_kpis(scope, figures.settings_for(org.pk))
    figures.dashboard(scope)                           # all of the above, as the page shows it

The organisation-wide figures read the rollups (a few queries whatever the size of the
programme), never the raw events; `chorus.analytics.rollups` keeps them up to date. The
figures of one person or a few (`person`, `people`, `summary`: my results, the team view,
coaching, the digest) and the health checks' latest shares (`share_facts`,
`engagement_by_share`) read the raw events of those few, with the same meanings: they count
a share the moment it is published and keep the detail the rollups drop (the hour of each
click, the post that drew it)::

    figures.person(figures.Scope(org.pk, start, today, membership_id=42)).clicks
    figures.people(figures.Scope(org.pk, start, today), [42, 43]).members[42].shares

What each measure means (`Measures`):

- shares: published shares (by Chorus through a network's API, or confirmed after a share
  intent), on their day of publishing; original_shares: those with at least the
  organisation's minimum of own words and no near-duplicate colleague post;
- potential_reach: for each share, the middle of the audience size the person gave for
  that network in their profile (`rollups.AUDIENCE_MIDPOINTS`), added up;
- clicks: human clicks on tracked links (bots and link previews apart, in bot_clicks);
  unique_visitors: visitors counted once per link and day, added up;
- engagement: the latest reactions + comments + reposts + quotes of each share (see
  `chorus.analytics.engagement`), on the share's day of publishing;
- conversions: every conversion attributed to the programme, leads those of kind "lead",
  conversion_value their values added up (send them in one currency).

Clicks and conversions count for the link's (or conversion's) campaign and network, and
for the team of the person whose link it is; shares for the item's campaign and the
person's team. The organisation-wide functions read `SegmentDay`; with a person in the
scope they read the person-level rollups.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncHour
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.analytics.models import (
    LEVEL_BITS,
    AnalyticsSettings,
    MemberMonth,
    PersonMonth,
    RollupState,
    SegmentDay,
    SegmentMonth,
    ShareDay,
)
from chorus.analytics.rollups import MEASURES, fine_facts_sql
from chorus.content.models import KPIS_BY_OBJECTIVE, Campaign, Caption, ContentItem, Objective
from chorus.content.models import Kpi as Code
from chorus.lib import variant_test
from chorus.links.models import Click, Conversion, LinkDay
from chorus.orgs.models import Membership, Team
from chorus.program.models import Participation
from chorus.sharing.metrics import latest_engagement, total_engagement
from chorus.sharing.models import (
    CHANNEL_CHOICES,
    EngagementTask,
    EngagementTaskDone,
    Review,
    Share,
)

Dimension = Literal["day", "team", "campaign", "network", "item", "membership"]
Step = Literal["day", "week", "month"]
COLUMN = {
    "day": "day",
    "team": "team_id",
    "campaign": "campaign_id",
    "network": "network",
    "item": "item_id",
    "membership": "membership_id",
}
# The longest period a dashboard may ask for.
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Scope:
    """What to count: an organisation's days from `start` to `end` (UTC, both included),
    optionally one team, campaign, network (a share channel code) or person."""

    org_id: int
    start: date
    end: date
    team_id: int | None = None
    campaign_id: int | None = None
    network: str = ""
    membership_id: int | None = None
    # Up to which month the monthly rollups are complete, once looked up (date.min: not yet).
    months_until: date | None = field(default=date.min, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A scope ends on or after its start.")
        if (self.end - self.start).days >= MAX_DAYS:
            raise ValueError(f"A scope spans at most {MAX_DAYS} days.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def narrow(self, **changes: Any) -> Scope:
        """The same scope with some fields changed (e.g. `team_id=3`)."""
        return dataclasses.replace(self, **changes)

    @property
    def filters(self) -> dict[str, Any]:
        """The filters set, by dimension."""
        found: dict[str, Any] = {}
        if self.team_id is not None:
            found["team"] = self.team_id
        if self.campaign_id is not None:
            found["campaign"] = self.campaign_id
        if self.network:
            found["network"] = self.network
        if self.membership_id is not None:
            found["membership"] = self.membership_id
        return found

    @classmethod
    def last_days(
        cls, org_id: int, days: int = 30, today: date | None = None, **filters: Any
    ) -> Scope:
        """The last `days` days up to today (UTC) included."""
        today = today or timezone.now().astimezone(UTC).date()
        return cls(org_id=org_id, start=today - timedelta(days=days - 1), end=today, **filters)


@dataclass
class Measures:
    """Every additive measure of a scope (or of one row of a breakdown)."""

    shares: int = 0
    original_shares: int = 0
    api_shares: int = 0
    originality_sum: float = 0.0
    originality_count: int = 0
    potential_reach: int = 0
    engagement: int = 0
    impressions: int = 0
    clicks: int = 0
    bot_clicks: int = 0
    unique_visitors: int = 0
    conversions: int = 0
    leads: int = 0
    conversion_value: Decimal = Decimal("0.00")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Measures:
        values: dict[str, Any] = {}
        for name in MEASURES:
            value = row.get(name)
            if name == "conversion_value":
                values[name] = money(value)
            elif name == "originality_sum":
                values[name] = float(value or 0)
            else:
                values[name] = int(value or 0)
        return cls(**values)

    def __add__(self, other: Measures) -> Measures:
        return Measures(**{name: getattr(self, name) + getattr(other, name) for name in MEASURES})

    @property
    def intent_shares(self) -> int:
        """Shares the person posted from their device (share intents)."""
        return self.shares - self.api_shares

    @property
    def original_rate(self) -> float | None:
        """Original shares among shares (0-1), None without shares."""
        return self.original_shares / self.shares if self.shares else None

    @property
    def average_originality(self) -> float | None:
        """The mean own-words part (0-1) of the shares that were checked."""
        return self.originality_sum / self.originality_count if self.originality_count else None

    @property
    def clicks_per_share(self) -> float | None:
        return self.clicks / self.shares if self.shares else None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in MEASURES}


def money(value: Any) -> Decimal:
    """An amount as a Decimal with two places (databases give floats or Decimals)."""
    if value is None:
        return Decimal("0.00")
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    elif value.as_tuple().exponent == -2:
        return value
    return value.quantize(Decimal("0.01"))


# --- Reading the rollups ---------------------------------------------------------------------


def _level(dimensions: Iterable[str]) -> int:
    dimensions = set(dimensions) - {"day"}
    if "item" in dimensions:
        # Item levels keep the campaign, and the network with it; with a team, the finest.
        dimensions.add("campaign")
        if "team" in dimensions:
            dimensions.add("network")
    return sum(LEVEL_BITS[dimension] for dimension in dimensions)


def utc_today() -> date:
    return timezone.now().astimezone(UTC).date()


def split_period(
    scope: Scope, months_until: date | None = date.max, today: date | None = None
) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """The scope's days as (first, last) runs outside whole calendar months, and the whole
    months as (first month, month after the last), or None when it has no whole month.
    Only months before `months_until` count as whole (None: none does). With `today`, a
    scope that runs to today or later takes the month of today whole from its first day:
    the monthly rows of the month so far hold every day there is."""
    if months_until is None:
        return [(scope.start, scope.end)], None
    first_month = (
        scope.start if scope.start.day == 1 else _add_months(scope.start.replace(day=1), 1)
    )
    end = scope.end
    if today is not None and scope.end >= today:
        end = max(end, _add_months(today.replace(day=1), 1) - timedelta(days=1))
    # Months before `after` end in the scope.
    after = min((end + timedelta(days=1)).replace(day=1), months_until)
    if first_month >= after:
        return [(scope.start, scope.end)], None
    days = []
    if scope.start < first_month:
        days.append((scope.start, first_month - timedelta(days=1)))
    if after <= scope.end:
        days.append((after, scope.end))
    return days, (first_month, after)


def monthly_rollups_until(org_id: int) -> date | None:
    """SegmentMonth holds the organisation's months before this one (None: no month yet),
    the current month included when its rows are kept up to today."""
    state = (
        RollupState.objects.filter(org_id=org_id)
        .values_list("months_until", "month_to_date")
        .first()
    )
    if state is None:
        return None
    until, month_to_date = state
    current = utc_today().replace(day=1)
    if until is not None and until == current and month_to_date == current:
        return _add_months(current, 1)
    return until


def _in_days(runs: list[tuple[date, date]], field: str = "day") -> Q:
    """Rows on the days of these (first, last) runs (none without runs)."""
    if not runs:
        return Q(pk__in=[])
    found = Q()
    for first, last in runs:
        found |= Q(**{f"{field}__gte": first, f"{field}__lte": last})
    return found


def _add_rows(target: dict[tuple[Any, ...], dict[str, Any]], keys: list[str], rows: Any) -> None:
    for row in rows:
        key = tuple(row[name] for name in keys)
        if key not in target:
            target[key] = dict(row)
            continue
        found = target[key]
        for name in MEASURES:
            found[name] = (found[name] or 0) + (row[name] or 0)


def _segment_rows(
    scope: Scope, group_by: list[str], limit: int | None = None
) -> list[dict[str, Any]]:
    """Rows of the rollups at the level that keeps the scope's filters and `group_by`: whole
    calendar months from SegmentMonth, the other days from SegmentDay. With a `limit`, only
    that many rows with the most shares (then clicks) are read (and a few more, for the
    rows of nothing that the caller leaves out)."""
    level = _level([*group_by, *scope.filters])
    conditions: dict[str, Any] = {"org_id": scope.org_id, "level": level}
    if scope.team_id is not None:
        conditions["team_id"] = scope.team_id
    if scope.campaign_id is not None:
        conditions["campaign_id"] = scope.campaign_id
    if scope.network:
        conditions["network"] = scope.network
    sums = {name: Sum(name) for name in MEASURES}
    keys = [COLUMN[name] for name in group_by]
    if "day" in group_by or scope.days < 28:
        runs, months = [(scope.start, scope.end)], None
    else:
        until = scope.months_until
        if until == date.min:
            until = monthly_rollups_until(scope.org_id)
        runs, months = split_period(scope, until, today=utc_today())
    queries: list[Any] = [SegmentDay.objects.filter(_in_days(runs), **conditions)] if runs else []
    if months is not None:
        queries.append(
            SegmentMonth.objects.filter(month__gte=months[0], month__lt=months[1], **conditions)
        )
    if keys and (len(queries) > 1 or limit is not None):
        return _merged_rows(
            [rows.values(*keys).annotate(**sums).order_by() for rows in queries], keys, limit
        )
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for rows in queries:
        if keys:
            _add_rows(found, keys, _plain_rows(rows.values(*keys).annotate(**sums).order_by()))
        else:
            _add_rows(found, keys, [rows.aggregate(**sums)])
    return list(found.values())


def _merged_rows(queries: list[Any], keys: list[str], limit: int | None) -> list[dict[str, Any]]:
    """The rows of these values() queries (same keys, MEASURES summed) added up by the
    database, the most shares then clicks first when there is a `limit`."""
    quote = connection.ops.quote_name
    parts: list[str] = []
    params: list[Any] = []
    for query in queries:
        sql, part_params = query.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) p{len(parts)}")  # noqa: S608 - the ORM's SQL
        params.extend(part_params)
    columns = ", ".join(f"u.{quote(key)}" for key in keys)
    sums = ", ".join(f"SUM(u.{quote(name)})" for name in MEASURES)
    sql = (
        f"SELECT {columns}, {sums} FROM ({' UNION ALL '.join(parts)}) u "  # noqa: S608 - names of ours
        f"GROUP BY {columns}"
    )
    if limit is not None:
        sql += f" ORDER BY SUM(u.shares) DESC, SUM(u.clicks) DESC, {columns} LIMIT %s"
        params.append(limit + 5)
    names = [*keys, *MEASURES]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _plain_rows(query: Any) -> list[dict[str, Any]]:
    """A values() query's rows as dicts, read without the ORM's per-value converters (a
    breakdown by content has thousands of rows; `Measures.from_row` does the converting)."""
    sql, params = query.query.sql_with_params()
    names = [*query.query.values_select, *query.query.annotation_select]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _fine_rows(scope: Scope, group_by: list[str]) -> list[dict[str, Any]]:
    """The same rows from the person-level rollups (any dimension, persons included)."""
    columns = [COLUMN[name] for name in group_by]
    conditions: list[str] = []
    params: list[Any] = []
    for name, value in scope.filters.items():
        conditions.append(f"f.{COLUMN[name]} = %s")
        params.append(value)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    select = ", ".join([*(f"f.{column}" for column in columns), *(f"SUM(f.{m})" for m in MEASURES)])
    group = f"GROUP BY {', '.join(f'f.{column}' for column in columns)}" if columns else ""
    # Only column names of ours and placeholders go into the text; values are parameters.
    sql = f"SELECT {select} FROM ({fine_facts_sql()}) f {where} {group}"  # noqa: S608
    with connection.cursor() as cursor:
        arguments: list[Any] = [scope.org_id, scope.start, scope.end] * 3
        cursor.execute(sql, arguments + params)
        names = [*columns, *MEASURES]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _rows(scope: Scope, group_by: list[str], limit: int | None = None) -> list[dict[str, Any]]:
    if scope.membership_id is not None or "membership" in group_by:
        return _fine_rows(scope, group_by)
    return _segment_rows(scope, group_by, limit)


def totals(scope: Scope) -> Measures:
    """Every measure of the scope, added up."""
    rows = _rows(scope, [])
    return Measures.from_row(rows[0]) if rows else Measures()


def as_date(value: Any) -> date:
    """A day as a date (SQLite gives text from raw SQL)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def period_start(day: date, step: Step) -> date:
    """The first day of the day's week (Monday) or month; the day itself for "day"."""
    if step == "week":
        return day - timedelta(days=day.weekday())
    if step == "month":
        return day.replace(day=1)
    return day


def over_time(scope: Scope, step: Step = "day") -> list[tuple[date, Measures]]:
    """The measures per day, week (from Monday) or month of the scope, without gaps; a
    week or month cut by the scope's ends counts only its days inside."""
    per_day = {as_date(row["day"]): Measures.from_row(row) for row in _rows(scope, ["day"])}
    series: dict[date, Measures] = {}
    day = scope.start
    while day <= scope.end:
        key = period_start(day, step)
        series[key] = series.get(key, Measures()) + per_day.get(day, Measures())
        day += timedelta(days=1)
    return list(series.items())


@dataclass
class Row:
    """One line of a breakdown: the dimension's value (an id, a network code or None for
    "none"), what to call it, and its measures; `active` is filled where it applies."""

    key: Any
    label: str
    measures: Measures
    active: int | None = None


def breakdown(scope: Scope, by: Dimension, limit: int | None = None) -> list[Row]:
    """The measures per network, team, campaign, item or person, most shares first."""
    key = COLUMN[by]
    rows_read = _rows(scope, [by], limit)
    found = [row for row in rows_read if any(row[name] for name in MEASURES)]
    found.sort(key=lambda row: (-(row["shares"] or 0), -(row["clicks"] or 0), str(row[key])))
    if limit is not None:
        found = found[:limit]
    rows = [Row(key=row[key], label="", measures=Measures.from_row(row)) for row in found]
    labels = labels_for(scope.org_id, by, [row.key for row in rows])
    for row in rows:
        row.label = labels.get(row.key, str(row.key))
    return rows


def labels_for(org_id: int, by: str, keys: list[Any]) -> dict[Any, str]:
    """What to call each value of a dimension (names and titles are the organisation's own)."""
    ids = [key for key in keys if key is not None]
    labels: dict[Any, str]
    if by == "network":
        names = {code: str(name) for code, name in CHANNEL_CHOICES}
        return {key: names.get(key, key or _("No network")) for key in keys}
    if by == "team":
        labels = dict(Team.objects.filter(org_id=org_id, pk__in=ids).values_list("pk", "name"))
        labels[None] = _("No team")
    elif by == "campaign":
        labels = dict(Campaign.objects.filter(org_id=org_id, pk__in=ids).values_list("pk", "name"))
        labels[None] = _("No campaign")
    elif by == "item":
        labels = dict(
            ContentItem.objects.filter(org_id=org_id, pk__in=ids).values_list("pk", "title")
        )
        labels[None] = _("Links to other pages")
    elif by == "membership":
        labels = {
            member.pk: member.user.display_name
            for member in Membership.objects.filter(org_id=org_id, pk__in=ids).select_related(
                "user"
            )
        }
        labels[None] = _("Anonymised")
    else:
        labels = {}
    return labels


# --- People: active, regular, funnel, retention ----------------------------------------------


def _share_days(scope: Scope, runs: list[tuple[date, date]] | None = None) -> Any:
    """The scope's ShareDay rows of known people (only the days of `runs` when given)."""
    rows = ShareDay.objects.filter(
        _in_days([(scope.start, scope.end)] if runs is None else runs),
        org_id=scope.org_id,
        membership__isnull=False,
    )
    if scope.team_id is not None:
        rows = rows.filter(team_id=scope.team_id)
    if scope.campaign_id is not None:
        rows = rows.filter(campaign_id=scope.campaign_id)
    if scope.network:
        rows = rows.filter(network=scope.network)
    if scope.membership_id is not None:
        rows = rows.filter(membership_id=scope.membership_id)
    return rows


@dataclass
class Activity:
    """Who shared in a scope: each person's shares, and the people per team and network."""

    shares: dict[int, int]
    people_by_team: dict[Any, set[int]]
    people_by_network: dict[str, set[int]]

    @property
    def active(self) -> int:
        return len(self.shares)

    def active_by(self, by: Literal["team", "network"]) -> dict[Any, int]:
        groups = self.people_by_team if by == "team" else self.people_by_network
        return {key: len(people) for key, people in groups.items()}


def activity(scope: Scope) -> Activity:
    """Who shared in the scope (anonymised shares left out), read from the person-level
    rollups: whole months from PersonMonth (MemberMonth when a network or a campaign is
    chosen), the other days from ShareDay; each source gives a row per person and team with
    their shares and a flag per network they shared on."""
    from chorus.analytics.rollups import CHANNEL_BITS

    shares: dict[int, int] = defaultdict(int)
    by_team: dict[Any, set[int]] = defaultdict(set)
    by_network: dict[str, set[int]] = defaultdict(set)
    runs, months = split_period(scope, today=utc_today())
    codes = list(CHANNEL_BITS)
    sources: list[tuple[Any, bool]] = []  # (rows, whether they have bits for the networks)
    if runs:
        sources.append((_share_days(scope, runs), False))
    if months is not None and (scope.campaign_id is not None or scope.network):
        sources.append((_member_months(scope, months), False))
    elif months is not None:
        monthly = PersonMonth.objects.filter(
            org_id=scope.org_id, month__gte=months[0], month__lt=months[1]
        )
        if scope.team_id is not None:
            monthly = monthly.filter(team_id=scope.team_id)
        if scope.membership_id is not None:
            monthly = monthly.filter(membership_id=scope.membership_id)
        sources.append((monthly, True))
    for rows, has_bits in sources:
        flags = {}
        for index, code in enumerate(codes):
            used: Any = (
                GreaterThan(F("networks").bitand(CHANNEL_BITS[code]), 0)
                if has_bits
                else Q(network=code)
            )
            flags[f"n{index}"] = Max(
                Case(When(used, then=Value(1)), default=Value(0), output_field=IntegerField())
            )
        query = (
            rows.values("membership_id", "team_id")
            .annotate(total=Sum("shares"), **flags)
            .order_by()
        )
        # Thousands of plain rows: read without the ORM's per-value converters.
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for person, team, total, *used_networks in cursor.fetchall():
                shares[person] += int(total)
                by_team[team].add(person)
                for code, used_network in zip(codes, used_networks, strict=True):
                    if used_network:
                        by_network[code].add(person)
    return Activity(dict(shares), dict(by_team), dict(by_network))


def _member_months(scope: Scope, months: tuple[date, date]) -> Any:
    """The scope's MemberMonth rows of these whole months (first, month after the last)."""
    monthly = MemberMonth.objects.filter(
        org_id=scope.org_id, month__gte=months[0], month__lt=months[1]
    )
    if scope.team_id is not None:
        monthly = monthly.filter(team_id=scope.team_id)
    if scope.campaign_id is not None:
        monthly = monthly.filter(campaign_id=scope.campaign_id)
    if scope.network:
        monthly = monthly.filter(network=scope.network)
    if scope.membership_id is not None:
        monthly = monthly.filter(membership_id=scope.membership_id)
    return monthly


def _person_sources(scope: Scope) -> list[Any]:
    """The scope's person-level rows: ShareDay for the days outside whole calendar months,
    MemberMonth for the whole months (both filtered as the scope says)."""
    runs, months = split_period(scope, today=utc_today())
    sources: list[Any] = [_share_days(scope, runs)] if runs else []
    if months is not None:
        sources.append(_member_months(scope, months))
    return sources


def shares_per_person(scope: Scope) -> dict[int, int]:
    """Published shares of each person who shared in the scope (anonymised shares left out)."""
    return activity(scope).shares


def active_ambassadors(scope: Scope) -> int:
    """People who shared at least once in the scope."""
    return activity(scope).active


def active_by(
    scope: Scope,
    by: Literal["team", "campaign", "network"],
    campaigns: list[int] | None = None,
) -> dict[Any, int]:
    """People who shared at least once in the scope, per team, campaign or network (only
    these `campaigns`, when given: the fewer, the faster)."""
    if by in ("team", "network"):
        return activity(scope).active_by(by)  # type: ignore[arg-type]
    # Distinct (campaign, person) pairs of each source, counted once in the database.
    parts: list[str] = []
    params: list[Any] = []
    for source in _person_sources(scope):
        if campaigns is not None:
            source = source.filter(campaign_id__in=campaigns)
        query = source.values_list("campaign_id", "membership_id").distinct().order_by()
        sql, part_params = query.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) p{len(parts)}")  # noqa: S608 - the ORM's SQL
        params.extend(part_params)
    if not parts:
        return {}
    union = " UNION ".join(parts)
    # The SQL is Django's for each part; only their union is put together here.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.campaign_id, COUNT(*) FROM ({union}) u GROUP BY u.campaign_id",  # noqa: S608
            params,
        )
        return dict(cursor.fetchall())


@dataclass
class Funnel:
    """People at each stage, each stage among the previous one: invited to the programme by
    the end of the period, opted in, shared at least once by then, and shared at least
    `regular_shares` times within the period."""

    invited: int
    opted_in: int
    shared: int
    regular: int
    regular_shares: int

    def stages(self) -> list[tuple[str, str, int]]:
        return [
            ("invited", _("Invited"), self.invited),
            ("opted_in", _("Opted in"), self.opted_in),
            ("shared", _("Shared at least once"), self.shared),
            ("regular", _("Regular"), self.regular),
        ]


def _end_moment(scope: Scope) -> datetime:
    return datetime.combine(scope.end + timedelta(days=1), datetime.min.time(), UTC)


def _participations(scope: Scope) -> Any:
    rows = Participation.objects.filter(org_id=scope.org_id, invited_at__lt=_end_moment(scope))
    if scope.team_id is not None:
        rows = rows.filter(membership__team_id=scope.team_id)
    if scope.membership_id is not None:
        rows = rows.filter(membership_id=scope.membership_id)
    return rows


def programme_people(org_id: int) -> list[int]:
    """Membership ids of the people in the programme now: active members (of an active
    account) whose participation is active (opted in, not left)."""
    return list(
        Participation.objects.filter(
            org_id=org_id,
            status=Participation.Status.ACTIVE,
            membership__is_active=True,
            membership__user__is_active=True,
        ).values_list("membership_id", flat=True)
    )


def ever_shared(scope: Scope, among: Any = None) -> int:
    """How many people (of the scope's team; of `among`, a queryset of membership ids, when
    given) shared at least once by the end of the scope."""
    month = scope.end.replace(day=1)
    if scope.end >= utc_today():
        # The month so far is in PersonMonth too.
        month = _add_months(month, 1)
    earlier = PersonMonth.objects.filter(
        org_id=scope.org_id, month__lt=month, membership_id=OuterRef("pk")
    )
    recent = ShareDay.objects.filter(
        org_id=scope.org_id, day__gte=month, day__lte=scope.end, membership_id=OuterRef("pk")
    )
    people = Membership.objects.filter(org_id=scope.org_id)
    if among is not None:
        people = people.filter(pk__in=among)
    if scope.team_id is not None:
        people = people.filter(team_id=scope.team_id)
    found = Q(Exists(earlier))
    if month <= scope.end:
        found |= Q(Exists(recent))
    return people.filter(found).count()


def funnel(scope: Scope, regular_shares: int, shares: dict[int, int] | None = None) -> Funnel:
    """The programme funnel (the team filter applies; campaign and network do not, except to
    what counts as a regular ambassador's shares). `shares`: `activity(scope).shares`, when
    the caller has it already."""
    end = _end_moment(scope)
    # Whether each person had opted in by the end, said by the database (no dates to read).
    people = list(
        _participations(scope)
        .annotate(
            opted=Case(
                When(opted_in_at__lt=end, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .values_list("membership_id", "opted")
    )
    invited = {membership_id for membership_id, _opted in people}
    opted_in = {membership_id for membership_id, opted in people if opted}
    opted = _participations(scope).filter(opted_in_at__lt=end).values("membership_id")
    shared = ever_shared(scope, among=opted)
    counts = shares if shares is not None else shares_per_person(scope)
    # Whoever shared in the period had shared by its end.
    regular = {person for person in opted_in if counts.get(person, 0) >= regular_shares}
    return Funnel(len(invited), len(opted_in), shared, len(regular), regular_shares)


@dataclass
class Cohort:
    """People who opted in during one month, and the part of them who shared in each month
    after (0: the month they joined); None for months still to come."""

    month: date
    size: int
    active: list[int | None] = field(default_factory=list)

    @property
    def rates(self) -> list[float | None]:
        return [None if n is None or not self.size else n / self.size for n in self.active]


@dataclass
class Retention:
    cohorts: list[Cohort]
    months: int

    @property
    def average(self) -> list[float | None]:
        """For each month since joining, the share of people active, over the cohorts that
        reached that month (weighted by their size)."""
        result: list[float | None] = []
        for index in range(self.months):
            reached = [c for c in self.cohorts if c.size and c.active[index] is not None]
            people = sum(c.size for c in reached)
            active = sum(c.active[index] or 0 for c in reached)
            result.append(active / people if people else None)
        return result


def _add_months(month: date, count: int) -> date:
    total = month.year * 12 + month.month - 1 + count
    return date(total // 12, total % 12 + 1, 1)


def retention(scope: Scope, months: int = 12) -> Retention:
    """Month-by-month activity of the people who joined in the `months` months up to the end
    of the scope (the team filter applies; the others do not)."""
    last_cohort = scope.end.replace(day=1)
    first_cohort = _add_months(last_cohort, -(months - 1))
    # People who opted in each month, counted by the database.
    bounds = []
    for index in range(months):
        month = _add_months(first_cohort, index)
        start = datetime.combine(month, datetime.min.time(), UTC)
        end = min(
            datetime.combine(_add_months(month, 1), datetime.min.time(), UTC), _end_moment(scope)
        )
        bounds.append((month, Q(opted_in_at__gte=start, opted_in_at__lt=end)))
    counted = _participations(scope).aggregate(
        **{f"m{index}": Count("pk", filter=found) for index, (_m, found) in enumerate(bounds)}
    )
    sizes = {month: counted[f"m{index}"] or 0 for index, (month, _f) in enumerate(bounds)}
    monthly = PersonMonth.objects.filter(
        org_id=scope.org_id,
        cohort_month__gte=first_cohort,
        month__lte=last_cohort,
        months_since_joining__gte=0,
        months_since_joining__lt=months,
    )
    if scope.team_id is not None:
        monthly = monthly.filter(membership__team_id=scope.team_id)
    if scope.membership_id is not None:
        monthly = monthly.filter(membership_id=scope.membership_id)
    counts = {
        (as_date(row["cohort_month"]), row["months_since_joining"]): row["n"]
        for row in monthly.values("cohort_month", "months_since_joining")
        .annotate(n=Count("membership_id", distinct=True))
        .order_by()
    }
    cohorts = []
    for index in range(months):
        month = _add_months(first_cohort, index)
        if not sizes.get(month):
            continue
        reached = _months_between(month, last_cohort)
        cohorts.append(
            Cohort(
                month=month,
                size=sizes[month],
                active=[
                    counts.get((month, since), 0) if since <= reached else None
                    for since in range(months)
                ],
            )
        )
    return Retention(cohorts=cohorts, months=months)


def _months_between(first: date, later: date) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


# --- Value and campaigns ---------------------------------------------------------------------


def settings_for(org_id: int) -> AnalyticsSettings:
    """The organisation's analytics settings (created with the defaults the first time)."""
    return AnalyticsSettings.objects.get_or_create(org_id=org_id)[0]


@dataclass
class EarnedMedia:
    """What the results would have cost in paid social, at the organisation's rates."""

    clicks: Decimal
    engagement: Decimal
    impressions: Decimal
    currency: str

    @property
    def total(self) -> Decimal:
        return self.clicks + self.engagement + self.impressions


def earned_media_value(measures: Measures, settings: AnalyticsSettings) -> EarnedMedia:
    """Clicks times the value of a click, plus interactions times the value of an
    interaction, plus potential reach / 1,000 times the value of 1,000 impressions (the
    potential reach stands for impressions)."""
    cent = Decimal("0.01")
    return EarnedMedia(
        clicks=(measures.clicks * settings.value_per_click).quantize(cent),
        engagement=(measures.engagement * settings.value_per_engagement).quantize(cent),
        impressions=(
            Decimal(measures.potential_reach) * settings.value_per_thousand_impressions / 1000
        ).quantize(cent),
        currency=settings.currency,
    )


@dataclass
class Kpi:
    code: str
    label: str
    value: int | Decimal | None
    money: bool = False


@dataclass
class CampaignResult:
    campaign_id: int
    name: str
    objective: str
    objective_label: str
    measures: Measures
    active: int | None  # None unless one of its KPIs needs it
    kpis: list[Kpi]


def kpi_value(
    code: str, measures: Measures, active: int, settings: AnalyticsSettings
) -> tuple[int | Decimal | None, bool]:
    """The value of one KPI (chorus.content.models.Kpi) and whether it is money."""
    if code == Code.ENGAGEMENT:
        return measures.engagement, False
    if code == Code.CONVERSION_VALUE:
        return measures.conversion_value, True
    if code == Code.EARNED_MEDIA_VALUE:
        return earned_media_value(measures, settings).total, True
    values: dict[str, int] = {
        Code.REACH: measures.potential_reach,
        Code.CLICKS: measures.clicks,
        Code.SHARES: measures.shares,
        Code.ACTIVE_AMBASSADORS: active,
        # A recruiting campaign's conversions are its applications (the careers site reports
        # them as conversions of any kind).
        Code.APPLICATIONS: measures.conversions,
        Code.LEADS: measures.leads,
    }
    return values.get(code), False


def campaign_kpis(
    scope: Scope, settings: AnalyticsSettings, rows: list[Row] | None = None
) -> list[CampaignResult]:
    """Each campaign with results in the scope, or running during it, with the KPIs of its
    objective (those chosen for the campaign, else the objective's defaults). `rows`: the
    scope's breakdown by campaign, when the caller has it already."""
    if rows is None:
        rows = breakdown(scope, "campaign")
    measured = {row.key: row.measures for row in rows if row.key}
    campaigns = Campaign.objects.filter(org_id=scope.org_id)
    if scope.campaign_id is not None:
        campaigns = campaigns.filter(pk=scope.campaign_id)
    else:
        running = Q(starts_on__isnull=True) | Q(starts_on__lte=scope.end)
        running &= Q(ends_on__isnull=True) | Q(ends_on__gte=scope.start)
        campaigns = campaigns.filter(running | Q(pk__in=list(measured)))
    labels = dict(Code.choices)
    objectives = dict(Objective.choices)
    campaigns_list = list(campaigns.order_by("name"))

    def codes_of(campaign: Campaign) -> list[str]:
        return list(campaign.kpis) or [str(code) for code in KPIS_BY_OBJECTIVE[campaign.objective]]

    # Counting people per campaign reads the person-level rollup: only when a KPI needs it.
    counted = [c.pk for c in campaigns_list if Code.ACTIVE_AMBASSADORS in codes_of(c)]
    active = active_by(scope, "campaign", counted) if counted else {}
    results = []
    for campaign in campaigns_list:
        measures = measured.get(campaign.pk, Measures())
        codes = codes_of(campaign)
        kpis = []
        for code in codes:
            value, money = kpi_value(code, measures, active.get(campaign.pk, 0), settings)
            kpis.append(Kpi(code, str(labels.get(code, code)), value, money))
        results.append(
            CampaignResult(
                campaign_id=campaign.pk,
                name=campaign.name,
                objective=campaign.objective,
                objective_label=str(objectives.get(campaign.objective, campaign.objective)),
                measures=measures,
                active=active.get(campaign.pk, 0) if campaign.pk in counted else None,
                kpis=kpis,
            )
        )
    return results


# --- Everything at once ----------------------------------------------------------------------


@dataclass
class Dashboard:
    scope: Scope
    settings: AnalyticsSettings
    step: Step
    totals: Measures
    earned_media: EarnedMedia
    active: int
    series: list[tuple[date, Measures]]
    networks: list[Row]
    teams: list[Row]
    campaigns: list[Row]
    content: list[Row]
    funnel: Funnel
    retention: Retention
    campaign_kpis: list[CampaignResult]


def step_for(scope: Scope) -> Step:
    """Days for up to three months, weeks for up to a year, months beyond."""
    if scope.days <= 92:
        return "day"
    return "week" if scope.days <= 366 else "month"


def dashboard(scope: Scope, settings: AnalyticsSettings | None = None, top: int = 10) -> Dashboard:
    """Every figure of the programme dashboard for the scope."""
    settings = settings or settings_for(scope.org_id)
    scope = scope.narrow(months_until=monthly_rollups_until(scope.org_id))
    measures = totals(scope)
    people = activity(scope)
    teams = breakdown(scope, "team")
    active_per_team = people.active_by("team")
    for row in teams:
        row.active = active_per_team.get(row.key, 0)
    networks = breakdown(scope, "network")
    active_per_network = people.active_by("network")
    for row in networks:
        row.active = active_per_network.get(row.key, 0)
    campaigns = breakdown(scope, "campaign")
    step = step_for(scope)
    return Dashboard(
        scope=scope,
        settings=settings,
        step=step,
        totals=measures,
        earned_media=earned_media_value(measures, settings),
        active=people.active,
        series=over_time(scope, step),
        networks=networks,
        teams=teams,
        campaigns=campaigns,
        content=breakdown(scope, "item", limit=top),
        funnel=funnel(scope, settings.regular_shares, people.shares),
        retention=retention(scope),
        campaign_kpis=campaign_kpis(scope, settings, campaigns),
    )


# --- Person-level detail for exports ----------------------------------------------------------


def activity_rows(scope: Scope) -> Iterator[tuple[Any, ...]]:
    """Every (day, person, team, campaign, item, network) of the scope with its measures,
    day by day: the finest detail the rollups keep, for the activity export. Each row is
    the six keys then the MEASURES in their order, as the database gives them."""
    group = ["day", "membership", "team", "campaign", "item", "network"]
    columns = [COLUMN[name] for name in group]
    conditions: list[str] = []
    params: list[Any] = []
    for name, value in scope.filters.items():
        conditions.append(f"f.{COLUMN[name]} = %s")
        params.append(value)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    select = ", ".join([*(f"f.{c}" for c in columns), *(f"SUM(f.{m})" for m in MEASURES)])
    sql = (
        f"SELECT {select} FROM ({fine_facts_sql()}) f {where} "  # noqa: S608 - names of ours
        f"GROUP BY {', '.join(f'f.{c}' for c in columns)} ORDER BY f.day"
    )
    with connection.chunked_cursor() as cursor:
        arguments: list[Any] = [scope.org_id, scope.start, scope.end] * 3
        cursor.execute(sql, arguments + params)
        while True:
            batch = cursor.fetchmany(5000)
            if not batch:
                break
            yield from batch


# --- A person or a few people, live: my results, the team view, coaching, digests -----------
#
# These read the raw events of the few people they are about (a handful of indexed queries):
# a share counts the moment it is published, before the worker rolls its day up, and the
# detail the rollups do not keep is there (the hour of each click, the post that drew it).
# The measures mean what they mean above: published shares on `published_at`, human clicks
# and unique visitors from the links' daily rollup (`LinkDay`), engagement as last measured.


def day_start(day: date) -> datetime:
    """Midnight (UTC) at the start of a day."""
    return datetime.combine(day, datetime.min.time(), UTC)


def _person_shares(scope: Scope, since: datetime | None = None) -> Any:
    """Published shares of the scope's person (or of everyone of the organisation), from
    `since` (the start of the scope by default) to the end of the scope."""
    found = Share.objects.published_between(
        since or day_start(scope.start), _end_moment(scope)
    ).filter(org_id=scope.org_id)
    if scope.membership_id is not None:
        found = found.filter(membership_id=scope.membership_id)
    return found


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
class PersonFigures:
    """One person's figures over a scope, as "my results" shows them.

    `shares`: their published shares, oldest first, each with the clicks it drew;
    `clicks_by_day` and `visitors_by_day`: human clicks and unique visitors on their links
    per UTC day; `click_hours`: (link, hour of the site's time zone, human clicks);
    `conversions`: conversions attributed to them; `engagement`: the latest interactions
    on their shares added up (None when none was measured)."""

    shares: list[ShareFigures]
    clicks_by_day: dict[date, int]
    visitors_by_day: dict[date, int]
    click_hours: list[tuple[int, datetime, int]]
    conversions: int
    engagement: int | None

    @property
    def clicks(self) -> int:
        return sum(self.clicks_by_day.values())

    @property
    def unique_visitors(self) -> int:
        return sum(self.visitors_by_day.values())


def attribute_clicks(
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


def engagement_total(share_ids: list[int]) -> int | None:
    """Reactions, comments, reposts and quotes on these shares, as last measured.

    None when none of them was measured: shares made through share intents, networks that
    give no counts, posts too recent (see chorus.sharing.metrics)."""
    if not share_ids:
        return 0
    total = total_engagement(share_ids)
    return total.total if total.taken_at is not None else None


def link_days(scope: Scope) -> list[tuple[date, int, int]]:
    """(day, human clicks, unique visitors) on the links of the scope's person, per day."""
    rows = LinkDay.objects.filter(org_id=scope.org_id, day__gte=scope.start, day__lte=scope.end)
    if scope.membership_id is not None:
        rows = rows.filter(link__ambassador_id=scope.membership_id)
    return [
        (as_date(row["day"]), row["clicks"] or 0, row["visitors"] or 0)
        for row in rows.values("day")
        .annotate(clicks=Sum("clicks"), visitors=Sum("unique_visitors"))
        .order_by()
    ]


def person(scope: Scope) -> PersonFigures:
    """The figures of the scope's person (`membership_id`), in a fixed number of queries."""
    if scope.membership_id is None:
        raise ValueError("A person's figures need a scope with a person.")
    start = day_start(scope.start)
    shares = [
        ShareFigures(pk, network, published_at, originality, link_id)
        for pk, network, published_at, originality, link_id in _person_shares(scope)
        .order_by("published_at", "id")
        .values_list("pk", "network", "published_at", "originality", "link_id")
        if published_at is not None  # published shares always have it; mypy can't know
    ]
    buckets = [
        (row["link_id"], row["bucket"], row["clicks"])
        for row in Click.objects.filter(
            org_id=scope.org_id,
            link__ambassador_id=scope.membership_id,
            is_bot=False,
            occurred_at__gte=start,
            occurred_at__lt=_end_moment(scope),
        )
        # Hours of the site's time zone (some are offset by half an hour from UTC).
        .annotate(bucket=TruncHour("occurred_at"))
        .values("link_id", "bucket")
        .annotate(clicks=Count("id"))
        .order_by()
    ]
    attribute_clicks(shares, buckets)
    clicks: dict[date, int] = defaultdict(int)
    visitors: dict[date, int] = defaultdict(int)
    for day, day_clicks, day_visitors in link_days(scope):
        clicks[day] += day_clicks
        visitors[day] += day_visitors
    conversions = Conversion.objects.filter(
        org_id=scope.org_id,
        ambassador_id=scope.membership_id,
        occurred_at__gte=start,
        occurred_at__lt=_end_moment(scope),
    ).count()
    return PersonFigures(
        shares=shares,
        clicks_by_day=dict(clicks),
        visitors_by_day=dict(visitors),
        click_hours=buckets,
        conversions=conversions,
        engagement=engagement_total([share.pk for share in shares]),
    )


@dataclass
class MemberFigures:
    """One person's line in the team view."""

    shares: int = 0
    clicks: int = 0
    originality: float | None = None
    last_shared_at: datetime | None = None


@dataclass
class PeopleFigures:
    """Each person's figures over a scope, and the mean originality of all their shares."""

    members: dict[int, MemberFigures]
    originality: float | None

    @property
    def shares(self) -> int:
        return sum(entry.shares for entry in self.members.values())

    @property
    def clicks(self) -> int:
        return sum(entry.clicks for entry in self.members.values())

    @property
    def active(self) -> int:
        """People who shared at least once in the scope."""
        return sum(1 for entry in self.members.values() if entry.shares)


def people(scope: Scope, membership_ids: list[int]) -> PeopleFigures:
    """The figures of these people over the scope (three queries whatever their number)."""
    found = {pk: MemberFigures() for pk in membership_ids}
    if not membership_ids:
        return PeopleFigures(found, None)
    published = _person_shares(scope).filter(membership_id__in=membership_ids)
    for row in (
        published.values("membership_id")
        .annotate(shares=Count("id"), originality=Avg("originality"), last=Max("published_at"))
        .order_by()
    ):
        entry = found[row["membership_id"]]
        entry.shares = row["shares"]
        entry.originality = row["originality"]
        entry.last_shared_at = row["last"]
    for row in (
        LinkDay.objects.filter(
            org_id=scope.org_id,
            link__ambassador_id__in=membership_ids,
            day__gte=scope.start,
            day__lte=scope.end,
        )
        .values("link__ambassador_id")
        .annotate(clicks=Sum("clicks"))
        .order_by()
    ):
        found[row["link__ambassador_id"]].clicks = row["clicks"] or 0
    originality = published.aggregate(originality=Avg("originality"))["originality"]
    return PeopleFigures(found, originality)


@dataclass
class Summary:
    """A person's shares since a moment and the clicks and visitors of those days."""

    shares: int
    clicks: int
    visitors: int


def shares_since(scope: Scope, since: datetime) -> int:
    """How many shares the scope's person published from `since` to the end of the scope."""
    return int(_person_shares(scope, since).count())


def summary(scope: Scope, since: datetime) -> Summary:
    """The scope's person's published shares from `since` to the end of the scope, and the
    human clicks and unique visitors on their links over the scope's days (the digest)."""
    days = link_days(scope)
    return Summary(
        shares=shares_since(scope, since),
        clicks=sum(clicks for _day, clicks, _visitors in days),
        visitors=sum(visitors for _day, _clicks, visitors in days),
    )


# --- The latest shares of an organisation, to the minute: the programme's health checks -------


@dataclass(frozen=True)
class ShareFact:
    """The few fields of a published share the health checks read. `at` is `published_at`
    (its creation time when a share intent left it empty)."""

    id: int
    membership_id: int | None
    item_id: int
    at: datetime
    originality: float | None
    near_duplicates: int
    link_id: int | None


def share_facts(org_id: int, since: datetime, until: datetime) -> list[ShareFact]:
    """The organisation's published shares from `since` to `until` (both included), oldest
    first."""
    rows = (
        Share.objects.published()
        .filter(org_id=org_id)
        .annotate(at=Coalesce("published_at", "created_at"))
        .filter(at__gte=since, at__lte=until)
        .order_by("at", "id")
        .values_list(
            "id", "membership_id", "item_id", "at", "originality", "near_duplicates", "link_id"
        )
    )
    return [ShareFact(*row) for row in rows]


def has_shared(person: str = "membership_id") -> Exists:
    """For a queryset whose `person` field is a membership id: whether that person ever
    published a share."""
    return Exists(Share.objects.published().filter(membership_id=OuterRef(person)))


def engagement_by_share(shares: list[ShareFact]) -> dict[int, int]:
    """Engagement each share drew, by share id, for the shares that can be measured.

    Engagement is what readers did because of the post:
    - interactions on the network (reactions, comments, reposts, quotes), from the share's
      latest engagement snapshot (chorus.sharing.metrics), when its network was read;
    - human clicks on the share's tracked link (`clicks_by_share`).
    A share with neither a snapshot nor a tracked link cannot be measured and is left out.
    This is the one place to extend when new engagement signals are recorded.
    """
    engagement = clicks_by_share(shares)
    for share_id, total in interactions_by_share(shares).items():
        engagement[share_id] = engagement.get(share_id, 0) + total
    return engagement


def interactions_by_share(shares: list[ShareFact]) -> dict[int, int]:
    """Interactions on the network (latest engagement snapshot), for the shares measured."""
    if not shares:
        return {}
    return {
        share_id: counts.total
        for share_id, counts in latest_engagement([share.id for share in shares]).items()
    }


def clicks_by_share(shares: list[ShareFact]) -> dict[int, int]:
    """Human clicks on each share's tracked link (LinkDay.clicks, bots excluded), from the
    (UTC) day it was published; when a link was shared more than once, each day's clicks go
    to the latest share of it published by then. Shares without a link are left out."""
    clicks_of: dict[int, int] = {}
    by_link: dict[int, list[ShareFact]] = defaultdict(list)
    for share in shares:
        if share.link_id is not None:
            by_link[share.link_id].append(share)
            clicks_of[share.id] = 0
    if by_link:
        first_day = min(share.at.astimezone(UTC).date() for share in shares)
        days = LinkDay.objects.filter(link_id__in=by_link, day__gte=first_day).values_list(
            "link_id", "day", "clicks"
        )
        for link_id, day, clicks in days:
            published = [s for s in by_link[link_id] if s.at.astimezone(UTC).date() <= day]
            if published:
                clicks_of[published[-1].id] += clicks
    return clicks_of


# --- Caption variants -----------------------------------------------------------------------


@dataclass(frozen=True)
class VariantFigures:
    """One caption variant's results on an item (published shares that started from it)."""

    caption: Caption
    shares: int
    # Average share of the person's own words in those posts (0 to 1).
    own_words: float | None
    clicks_per_share: float | None
    interactions_per_share: float | None
    probability_best: float | None


@dataclass(frozen=True)
class VariantGroup:
    """The variants of one network and language, compared on human clicks per share."""

    network: str
    language: str
    variants: list[VariantFigures]
    comparison: variant_test.Comparison

    @property
    def leader_position(self) -> int | None:
        """The leader's place among the variants (1 for the first), as the page numbers them."""
        leader = self.comparison.leader
        return next((i for i, v in enumerate(self.variants, 1) if v.caption.pk == leader), None)


def variant_figures(item: ContentItem) -> list[VariantGroup]:
    """Each network and language's caption variants of the item, measured and compared
    (chorus.lib.variant_test: a winner only with enough shares and a clear probability)."""
    captions = list(item.captions.order_by("network", "language", "id"))
    rows = (
        Share.objects.published()
        .filter(item=item, caption__in=captions)
        .annotate(at=Coalesce("published_at", "created_at"))
        .order_by("at", "id")
        .values_list(
            "id",
            "membership_id",
            "item_id",
            "at",
            "originality",
            "near_duplicates",
            "link_id",
            "caption_id",
        )
    )
    facts_of: dict[int, list[ShareFact]] = defaultdict(list)
    for *fields, caption_id in rows:
        facts_of[caption_id].append(ShareFact(*fields))
    every = [fact for facts in facts_of.values() for fact in facts]
    clicks = clicks_by_share(every)
    interactions = interactions_by_share(every)
    groups: dict[tuple[str, str], list[Caption]] = defaultdict(list)
    for caption in captions:
        groups[(caption.network, caption.language)].append(caption)
    result = []
    for (network, language), members in groups.items():
        samples = {
            caption.pk: [
                float(clicks[fact.id]) for fact in facts_of[caption.pk] if fact.id in clicks
            ]
            for caption in members
        }
        comparison = variant_test.compare(samples)
        chance = {arm.key: arm.probability_best for arm in comparison.arms}
        variants = []
        for caption in members:
            facts = facts_of[caption.pk]
            measured = [interactions[f.id] for f in facts if f.id in interactions]
            originality = [f.originality for f in facts if f.originality is not None]
            variants.append(
                VariantFigures(
                    caption=caption,
                    shares=len(facts),
                    own_words=sum(originality) / len(originality) if originality else None,
                    clicks_per_share=variant_test.mean(samples[caption.pk]),
                    interactions_per_share=sum(measured) / len(measured) if measured else None,
                    probability_best=chance.get(caption.pk),
                )
            )
        result.append(VariantGroup(network, language, variants, comparison))
    return result


# --- Engagement tasks ------------------------------------------------------------------

# A reply counts as in the person's own words from this share of own words on, with no
# colleague's reply near-identical to it: the default of the points rules for shares.
OWN_WORDS_REPLY = 0.3


@dataclass(frozen=True)
class EngagementTaskFigures:
    """What programme members did with engagement tasks over a period."""

    done: int  # engagements of every kind
    replies: int
    own_word_replies: int  # replies in the person's own words (OWN_WORDS_REPLY)
    taps: int  # likes and boosts
    by_chorus: int  # done through the person's connection rather than marked done

    @property
    def own_word_share(self) -> float | None:
        """Own-word replies among all engagements: conversation rather than taps."""
        return self.own_word_replies / self.done if self.done else None


def engagement_task_figures(
    org_id: int, since: datetime, until: datetime, *, own_words: float = OWN_WORDS_REPLY
) -> EngagementTaskFigures:
    """Engagement tasks done from `since` (included) to `until` (excluded), one query."""
    reply = EngagementTask.Action.REPLY
    own = Q(action=reply, originality__gte=own_words, near_duplicates=0)
    counts = EngagementTaskDone.objects.filter(
        org_id=org_id, created_at__gte=since, created_at__lt=until
    ).aggregate(
        done=Count("id"),
        replies=Count("id", filter=Q(action=reply)),
        own_word_replies=Count("id", filter=own),
        by_chorus=Count("id", filter=Q(method=EngagementTaskDone.Method.API)),
    )
    return EngagementTaskFigures(
        done=counts["done"],
        replies=counts["replies"],
        own_word_replies=counts["own_word_replies"],
        taps=counts["done"] - counts["replies"],
        by_chorus=counts["by_chorus"],
    )


@dataclass(frozen=True)
class ReviewFigures:
    """Optional review (chorus.sharing.review) over a period.

    - submitted: shares sent to review in the period;
    - decided / declined: those decided, and declined, so far;
    - decision_hours: the median time from submission to decision, in hours; still pending
      reviews count with the time they have waited so far (a queue nobody reads shows);
      None when nothing was submitted;
    - declined_share: declined / decided, None before any decision.
    """

    submitted: int
    decided: int
    declined: int
    decision_hours: float | None
    declined_share: float | None


def review_figures(org_id: int, since: datetime, until: datetime) -> ReviewFigures:
    """The organisation's reviews submitted from `since` to `until` (both included)."""
    rows = list(
        Review.objects.filter(org_id=org_id, submitted_at__gte=since, submitted_at__lte=until)
        .exclude(decision=Review.Decision.PENDING, share__status=Share.Status.CANCELLED)
        .values_list("submitted_at", "decided_at", "decision")
    )
    delays = [
        ((decided or until) - submitted).total_seconds() / 3600 for submitted, decided, _d in rows
    ]
    decided = [decision for _s, at, decision in rows if at is not None]
    declined = sum(1 for decision in decided if decision == Review.Decision.DECLINED)
    return ReviewFigures(
        submitted=len(rows),
        decided=len(decided),
        declined=declined,
        decision_hours=statistics.median(delays) if delays else None,
        declined_share=declined / len(decided) if decided else None,
    )
