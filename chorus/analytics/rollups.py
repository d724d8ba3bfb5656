"""Rebuilding the daily rollups from raw events, whole or a few days at a time.

The unit of work is an organisation's days: their `ShareDay`, `ConversionDay` and
`SegmentDay` rows are deleted and computed again from the shares, the clicks' daily rollup
(`LinkDay`, itself rebuilt by the click ingestion) and the conversions, and the months they
fall in get their `SegmentMonth` and `MemberMonth` rows again. Doing it again gives the
same rows, so a day may be redone at any time.

What changed is noted as `DirtyDay` rows:

- signal receivers (`chorus.analytics.receivers`) note the day of a published share, of a
  click rollup the ingestion updated, of a conversion, and every day of someone who left
  and asked to be anonymised;
- `note_days()` does it for callers that change rows in bulk;
- `refresh()` (the worker, every minute) also notes the days of shares whose engagement
  was measured since its last pass, then claims the noted days and rebuilds them.

`rebuild()` redoes a whole range (`chorus rebuild-rollups`). Days are UTC days, like LinkDay's.

Most of the work is set-based SQL (INSERT … SELECT), so a full rebuild of millions of rows
stays in the database; the SQL of the per-share part is written by the ORM, which knows each
database's date and JSON functions.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection, models, transaction
from django.db.models import Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from chorus.analytics.engagement import latest_snapshot_id, new_snapshot_days, share_engagement
from chorus.analytics.models import (
    ConversionDay,
    DirtyDay,
    Level,
    MemberMonth,
    PersonMonth,
    RollupState,
    SegmentDay,
    SegmentMonth,
    ShareDay,
)
from chorus.lib.networks import Network
from chorus.links.models import Conversion, LinkDay, TrackedLink
from chorus.orgs.models import Membership, Organization
from chorus.program.models import Participation
from chorus.sharing.models import CHANNEL_CHOICES, Share, SharingPolicy

logger = logging.getLogger(__name__)

# What a person's audience on a network is worth in potential reach: the middle of the
# range they chose in their profile (chorus.feed.models.AudienceSize); the open-ended
# "over 10,000" counts as 20,000.
AUDIENCE_MIDPOINTS = {"small": 250, "medium": 1250, "large": 6000, "huge": 20000}
# A share is original when at least this part of it is the person's own words (unless the
# organisation's sharing policy asks for another minimum) and no colleague posted nearly
# the same text (chorus.sharing.originality).
DEFAULT_MIN_OWN_WORDS = 30
# A bit per share channel, for the networks a person used in a month (PersonMonth.networks).
CHANNEL_BITS = {code: 1 << index for index, (code, _label) in enumerate(CHANNEL_CHOICES)}
# Days rebuilt in one transaction during a long rebuild.
CHUNK_DAYS = 31


def original_threshold(org_id: int) -> float:
    """The own-words part (0-1) a share needs to count as original in this organisation."""
    minimum = (
        SharingPolicy.objects.filter(org_id=org_id).values_list("min_own_words", flat=True).first()
    )
    return (DEFAULT_MIN_OWN_WORDS if minimum is None else minimum) / 100


def original_condition(threshold: float) -> Q:
    """Shares that count as original (for a Share queryset)."""
    return Q(originality__gte=threshold, near_duplicates=0)


def potential_reach_expression() -> models.Expression:
    """For a Share queryset: the audience midpoint of the person on the share's network."""
    whens = [
        When(
            Q(network=network, **{f"membership__profile__networks__{network}__size": size}),
            then=Value(midpoint),
        )
        for network in Network.values
        for size, midpoint in AUDIENCE_MIDPOINTS.items()
    ]
    return Case(*whens, default=Value(0), output_field=models.BigIntegerField())


# --- Noting what changed -------------------------------------------------------------------


def note_days(org_id: int, days: Iterable[date]) -> None:
    """Note days to rebuild, once the current transaction commits (at once outside one;
    never if it rolls back, since nothing changed then)."""
    chosen = set(days)
    if chosen:
        transaction.on_commit(lambda: _write_notes(org_id, chosen), robust=True)


def _write_notes(org_id: int, days: set[date]) -> None:
    # The organisation may be gone with everything in it (its deletion noted its items).
    if Organization.objects.filter(pk=org_id).exists():
        DirtyDay.objects.bulk_create(
            [DirtyDay(org_id=org_id, day=day) for day in days], ignore_conflicts=True
        )


def days_of_membership(membership_id: int) -> set[tuple[int, date]]:
    """(org, day) of everything attributed to a person: their shares, clicks and conversions."""
    found: set[tuple[int, date]] = set()
    for model, field in (
        (ShareDay, "membership_id"),
        (ConversionDay, "membership_id"),
        (LinkDay, "link__ambassador_id"),
    ):
        found |= set(
            model._default_manager.filter(**{field: membership_id})
            .values_list("org_id", "day")
            .distinct()
        )
    return found


# --- Rebuilding ----------------------------------------------------------------------------


@dataclass
class RebuildResult:
    days: int = 0
    share_rows: int = 0
    segment_rows: int = 0
    seconds: float = 0.0


def _ranges(days: Iterable[date], longest: int = CHUNK_DAYS) -> list[tuple[date, date]]:
    """Sorted days as inclusive (first, last) runs of consecutive days, at most `longest` long."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + timedelta(days=1) and (day - runs[-1][0]).days < longest:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime.combine(first, datetime.min.time(), UTC)
    return start, datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)


def _insert_select(model: type[models.Model], columns: list[str], queryset: models.QuerySet) -> int:  # type: ignore[type-arg]
    """INSERT INTO model's table (columns) SELECT the same-named columns of `queryset`."""
    sql, params = queryset.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    picked = ", ".join(f"q.{quote('r_' + column)}" for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT {picked} FROM ({sql}) q",  # noqa: S608
            params,
        )
        return int(cursor.rowcount or 0)


def _build_share_days(org_id: int, first: date, last: date) -> int:
    start, end = _bounds(first, last)
    engagement, impressions = share_engagement()
    original = original_condition(original_threshold(org_id))
    shares = (
        Share.objects.published_between(start, end)
        .filter(org_id=org_id)
        .annotate(
            share_reach=potential_reach_expression(),
            share_engagement=engagement,
            share_impressions=impressions,
        )
        .annotate(
            r_org_id=F("org_id"),
            r_day=TruncDate("published_at", tzinfo=UTC),
            r_membership_id=F("membership_id"),
            r_team_id=F("membership__team_id"),
            r_item_id=F("item_id"),
            r_campaign_id=F("item__campaign_id"),
            r_network=F("network"),
            r_method=F("method"),
        )
        .values(
            "r_org_id",
            "r_day",
            "r_membership_id",
            "r_team_id",
            "r_item_id",
            "r_campaign_id",
            "r_network",
            "r_method",
        )
        .annotate(
            r_shares=Count("id"),
            r_original_shares=Count("id", filter=original),
            r_originality_sum=Coalesce(Sum("originality"), Value(0.0)),
            r_originality_count=Count("originality"),
            r_potential_reach=Sum("share_reach"),
            r_engagement=Sum("share_engagement"),
            r_impressions=Sum("share_impressions"),
        )
        .order_by()
    )
    columns = [
        "org_id",
        "day",
        "membership_id",
        "team_id",
        "item_id",
        "campaign_id",
        "network",
        "method",
        "shares",
        "original_shares",
        "originality_sum",
        "originality_count",
        "potential_reach",
        "engagement",
        "impressions",
    ]
    return _insert_select(ShareDay, columns, shares)


def _build_conversion_days(org_id: int, first: date, last: date) -> int:
    start, end = _bounds(first, last)
    conversions = (
        Conversion.objects.filter(org_id=org_id, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(
            r_org_id=F("org_id"),
            r_day=TruncDate("occurred_at", tzinfo=UTC),
            r_membership_id=F("ambassador_id"),
            r_team_id=F("ambassador__team_id"),
            r_item_id=F("item_id"),
            r_campaign_id=F("campaign_id"),
            r_network=F("network"),
            r_kind=F("kind"),
        )
        .values(
            "r_org_id",
            "r_day",
            "r_membership_id",
            "r_team_id",
            "r_item_id",
            "r_campaign_id",
            "r_network",
            "r_kind",
        )
        .annotate(
            r_conversions=Count("id"),
            r_value=Coalesce(
                Sum("value"),
                Value(0),
                output_field=models.DecimalField(max_digits=14, decimal_places=2),
            ),
        )
        .order_by()
    )
    columns = [
        "org_id",
        "day",
        "membership_id",
        "team_id",
        "item_id",
        "campaign_id",
        "network",
        "kind",
        "conversions",
        "value",
    ]
    return _insert_select(ConversionDay, columns, conversions)


MEASURES = [
    "shares",
    "original_shares",
    "api_shares",
    "originality_sum",
    "originality_count",
    "potential_reach",
    "engagement",
    "impressions",
    "clicks",
    "bot_clicks",
    "unique_visitors",
    "conversions",
    "leads",
    "conversion_value",
]


def fine_facts_sql() -> str:
    """One row per fact of the three person-level sources, with every measure (0 where the
    source has none): shares, clicks (per link and day) and conversions.

    Columns: org_id, day, membership_id, team_id, campaign_id, network, item_id, then
    MEASURES. Takes the parameters (org, first day, last day) three times.
    """
    quote = connection.ops.quote_name
    share_day = quote(ShareDay._meta.db_table)
    conversion_day = quote(ConversionDay._meta.db_table)
    link_day = quote(LinkDay._meta.db_table)
    link = quote(TrackedLink._meta.db_table)
    membership = quote(Membership._meta.db_table)
    return f"""
        SELECT s.org_id, s.day, s.membership_id, s.team_id, s.campaign_id, s.network, s.item_id,
               s.shares, s.original_shares,
               CASE WHEN s.method = 'api' THEN s.shares ELSE 0 END AS api_shares,
               s.originality_sum, s.originality_count, s.potential_reach, s.engagement,
               s.impressions, 0 AS clicks, 0 AS bot_clicks, 0 AS unique_visitors,
               0 AS conversions, 0 AS leads, 0 AS conversion_value
        FROM {share_day} s WHERE s.org_id = %s AND s.day >= %s AND s.day <= %s
        UNION ALL
        SELECT d.org_id, d.day, l.ambassador_id, m.team_id, l.campaign_id, l.network, l.item_id,
               0, 0, 0, 0.0, 0, 0, 0, 0, d.clicks, d.bot_clicks, d.unique_visitors, 0, 0, 0
        FROM {link_day} d
        JOIN {link} l ON l.id = d.link_id
        LEFT JOIN {membership} m ON m.id = l.ambassador_id
        WHERE d.org_id = %s AND d.day >= %s AND d.day <= %s
        UNION ALL
        SELECT c.org_id, c.day, c.membership_id, c.team_id, c.campaign_id, c.network, c.item_id,
               0, 0, 0, 0.0, 0, 0, 0, 0, 0, 0, 0, c.conversions,
               CASE WHEN c.kind = 'lead' THEN c.conversions ELSE 0 END, c.value
        FROM {conversion_day} c WHERE c.org_id = %s AND c.day >= %s AND c.day <= %s
    """  # noqa: S608 - table names of ours; values are parameters


def _build_segment_days(org_id: int, first: date, last: date) -> int:
    quote = connection.ops.quote_name
    table = quote(SegmentDay._meta.db_table)
    dimensions = ["team_id", "campaign_id", "network", "item_id"]
    columns = ["org_id", "day", "level", *dimensions, *MEASURES]
    sums = ", ".join(f"SUM(f.{measure})" for measure in MEASURES)
    inserted = 0
    with connection.cursor() as cursor:
        # The finest level, from the facts.
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names of ours
            f"SELECT f.org_id, f.day, {Level.ITEM_TEAM_NETWORK}, "
            f"f.team_id, f.campaign_id, COALESCE(f.network, ''), f.item_id, {sums} "
            f"FROM ({fine_facts_sql()}) f "
            f"GROUP BY f.org_id, f.day, f.team_id, f.campaign_id, f.network, f.item_id",
            [org_id, first, last] * 3,
        )
        inserted += int(cursor.rowcount or 0)
        # Every other level adds up the finest one.
        bits = {"team_id": 1, "campaign_id": 2, "network": 4, "item_id": 8}
        for level in Level:
            if level == Level.ITEM_TEAM_NETWORK:
                continue
            kept = [dimension for dimension in dimensions if level & bits[dimension]]
            picked = [
                f"f.{dimension}"
                if dimension in kept
                else ("''" if dimension == "network" else "NULL")
                for dimension in dimensions
            ]
            group = "".join(f", f.{dimension}" for dimension in kept)
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names of ours
                f"SELECT f.org_id, f.day, {int(level)}, {', '.join(picked)}, {sums} "
                f"FROM {table} f WHERE f.org_id = %s AND f.level = %s "
                f"AND f.day >= %s AND f.day <= %s GROUP BY f.org_id, f.day{group}",
                [org_id, int(Level.ITEM_TEAM_NETWORK), first, last],
            )
            inserted += int(cursor.rowcount or 0)
    return inserted


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _months_between(first: date, later: date) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


def _build_segment_month(org_id: int, month: date) -> int:
    """SegmentMonth rows of one month: its SegmentDay rows added up."""
    quote = connection.ops.quote_name
    dimensions = ["level", "team_id", "campaign_id", "network", "item_id"]
    columns = ["org_id", "month", *dimensions, *MEASURES]
    sums = ", ".join(f"SUM(d.{measure})" for measure in MEASURES)
    kept = ", ".join(f"d.{dimension}" for dimension in dimensions)
    SegmentMonth.objects.filter(org_id=org_id, month=month).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(SegmentMonth._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 - names of ours
            f"SELECT d.org_id, %s, {kept}, {sums} FROM {quote(SegmentDay._meta.db_table)} d "
            f"WHERE d.org_id = %s AND d.day >= %s AND d.day < %s GROUP BY d.org_id, {kept}",
            [month, org_id, month, _next_month(month)],
        )
        return int(cursor.rowcount or 0)


def _network_bits() -> Case:
    """For a ShareDay queryset: the bit of the row's network (`CHANNEL_BITS`)."""
    return Case(
        *[When(network=code, then=Value(bit)) for code, bit in CHANNEL_BITS.items()],
        default=Value(0),
        output_field=models.IntegerField(),
    )


def _build_member_months(org_id: int, months: set[date]) -> int:
    """MemberMonth and PersonMonth rows of these months, from their ShareDay rows."""
    joined = {
        membership_id: opted_in_at.astimezone(UTC).date().replace(day=1)
        for membership_id, opted_in_at in Participation.objects.filter(
            org_id=org_id, opted_in_at__isnull=False
        ).values_list("membership_id", "opted_in_at")
        if opted_in_at is not None
    }
    quote = connection.ops.quote_name
    made = 0
    for month in sorted(months):
        MemberMonth.objects.filter(org_id=org_id, month=month).delete()
        PersonMonth.objects.filter(org_id=org_id, month=month).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(MemberMonth._meta.db_table)} "  # noqa: S608 - names of ours
                "(org_id, month, membership_id, network, team_id, campaign_id, shares) "
                "SELECT s.org_id, %s, s.membership_id, s.network, s.team_id, s.campaign_id, "
                f"SUM(s.shares) FROM {quote(ShareDay._meta.db_table)} s "
                "WHERE s.org_id = %s AND s.membership_id IS NOT NULL AND s.day >= %s "
                "AND s.day < %s "
                "GROUP BY s.org_id, s.membership_id, s.network, s.team_id, s.campaign_id",
                [month, org_id, month, _next_month(month)],
            )
            made += int(cursor.rowcount or 0)
        per_person = (
            ShareDay.objects.filter(
                org_id=org_id,
                membership__isnull=False,
                day__gte=month,
                day__lt=_next_month(month),
            )
            .values("membership_id", "team_id")
            .annotate(total=Sum("shares"), networks=Sum(_network_bits(), distinct=True))
            .order_by()
            .values_list("membership_id", "team_id", "total", "networks")
        )
        rows = []
        for membership_id, team_id, total, networks in per_person:
            cohort = joined.get(membership_id)
            rows.append(
                PersonMonth(
                    org_id=org_id,
                    month=month,
                    membership_id=membership_id,
                    team_id=team_id,
                    shares=total,
                    networks=networks or 0,
                    cohort_month=cohort,
                    months_since_joining=None if cohort is None else _months_between(cohort, month),
                )
            )
        PersonMonth.objects.bulk_create(rows, batch_size=5000)
    return made


def _lock(org_id: int) -> RollupState:
    """Take the organisation's rollup lock (its state row) for the current transaction."""
    state, _ = RollupState.objects.get_or_create(org_id=org_id)
    return RollupState.objects.select_for_update().get(pk=state.pk)


def rebuild_days(org_id: int, days: Iterable[date]) -> RebuildResult:
    """Rebuild an organisation's rollups for these days (and the months they fall in)."""
    started = time.perf_counter()
    result = RebuildResult()
    months: set[date] = set()
    for first, last in _ranges(days):
        with transaction.atomic():
            _lock(org_id)
            for model in (ShareDay, ConversionDay, SegmentDay):
                model._default_manager.filter(org_id=org_id, day__gte=first, day__lte=last).delete()
            result.share_rows += _build_share_days(org_id, first, last)
            _build_conversion_days(org_id, first, last)
            result.segment_rows += _build_segment_days(org_id, first, last)
        result.days += (last - first).days + 1
        months |= {_month_start(first + timedelta(days=n)) for n in range((last - first).days + 1)}
    if months:
        current = _month_start(timezone.now().astimezone(UTC).date())
        with transaction.atomic():
            state = _lock(org_id)
            # A month's SegmentMonth rows are made once it is over (close_months); a month
            # already closed gets them again here, after a late event; the current month
            # gets them up to today, so that the periods running to today read it whole.
            for month in months:
                if state.months_until is not None and month < min(current, state.months_until):
                    _build_segment_month(org_id, month)
            changes: dict[str, object] = {"refreshed_at": timezone.now()}
            if current in months:
                _build_segment_month(org_id, current)
                changes["month_to_date"] = current
            _build_member_months(org_id, months)
            RollupState.objects.filter(org_id=org_id).update(**changes)
    result.seconds = time.perf_counter() - started
    return result


def close_months(org_id: int) -> int:
    """Make the SegmentMonth rows of the months that ended since the last time (all of
    them the first time); returns how many months were made."""
    current = _month_start(timezone.now().astimezone(UTC).date())
    with transaction.atomic():
        state = _lock(org_id)
        if state.months_until is not None and state.months_until >= current:
            return 0
        first = state.months_until
        if first is None:
            first_day = SegmentDay.objects.filter(org_id=org_id).order_by("day").first()
            first = _month_start(first_day.day) if first_day else current
        month, made = first, 0
        while month < current:
            _build_segment_month(org_id, month)
            month, made = _next_month(month), made + 1
        RollupState.objects.filter(pk=state.pk).update(months_until=current)
        return made


def first_event_day(org_id: int) -> date | None:
    """The first day with a published share, a click or a conversion."""
    candidates = [
        LinkDay.objects.filter(org_id=org_id).order_by("day").values_list("day", flat=True).first()
    ]
    for moment in (
        Share.objects.published()
        .filter(org_id=org_id)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first(),
        Conversion.objects.filter(org_id=org_id)
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
        .first(),
    ):
        if moment is not None:
            candidates.append(moment.astimezone(UTC).date())
    found = [day for day in candidates if day is not None]
    return min(found) if found else None


def rebuild(
    org: Organization, since: date | None = None, until: date | None = None
) -> RebuildResult:
    """Rebuild the organisation's rollups from `since` (default: its first event) to `until`
    (default: today), and clear what was noted for those days."""
    today = timezone.now().astimezone(UTC).date()
    until = until or today
    first = since or first_event_day(org.pk) or today
    if first > until:
        return RebuildResult()
    days = [first + timedelta(days=n) for n in range((until - first).days + 1)]
    # Engagement measured from now on is noted by the worker; what exists is read below.
    measured_until = latest_snapshot_id(org.pk) if since is None else None
    if since is None:
        # Rows left from events that are gone (an item deleted with its shares).
        for model in (ShareDay, ConversionDay, SegmentDay):
            model._default_manager.filter(org=org, day__lt=first).delete()
        for monthly in (MemberMonth, SegmentMonth):
            monthly._default_manager.filter(org=org, month__lt=_month_start(first)).delete()
    DirtyDay.objects.filter(org=org, day__gte=first, day__lte=until).delete()
    if since is None:
        RollupState.objects.filter(org=org).update(months_until=None)
    else:
        RollupState.objects.filter(org=org, months_until__gt=_month_start(first)).update(
            months_until=_month_start(first)
        )
    result = rebuild_days(org.pk, days)
    close_months(org.pk)
    if measured_until is not None:
        RollupState.objects.filter(org=org, snapshot_watermark__lt=measured_until).update(
            snapshot_watermark=measured_until
        )
    return result


def refresh(limit: int = 400) -> int:
    """The worker's pass: note newly measured engagement, then rebuild the noted days.

    A day is claimed by deleting its note first (a conditional delete: two workers never
    both get it), so a change noted while it is rebuilt is noted again and redone next time.
    Returns how many days were rebuilt.
    """
    for org_id in RollupState.objects.values_list("org_id", flat=True):
        close_months(org_id)
    for state in RollupState.objects.all().only("org_id", "snapshot_watermark"):
        days, watermark = new_snapshot_days(state.org_id, state.snapshot_watermark)
        if watermark != state.snapshot_watermark:
            DirtyDay.objects.bulk_create(
                [DirtyDay(org_id=state.org_id, day=day) for day in days], ignore_conflicts=True
            )
            RollupState.objects.filter(pk=state.pk).update(snapshot_watermark=watermark)
    claimed: dict[int, set[date]] = defaultdict(set)
    for note_id, org_id, day in DirtyDay.objects.order_by("day").values_list("id", "org_id", "day")[
        :limit
    ]:
        if DirtyDay.objects.filter(pk=note_id).delete()[0]:
            claimed[org_id].add(day)
    rebuilt = 0
    for org_id, days in claimed.items():
        try:
            rebuilt += rebuild_days(org_id, days).days
        except Exception:
            # Noted again so that nothing is lost, and the other organisations go on.
            logger.exception("Rebuilding the rollups of organisation %s failed", org_id)
            DirtyDay.objects.bulk_create(
                [DirtyDay(org_id=org_id, day=day) for day in days], ignore_conflicts=True
            )
    return rebuilt
