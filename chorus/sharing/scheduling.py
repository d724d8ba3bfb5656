"""When a share goes out: the organisation's policy and the person's preferences, and
colleagues' shares of one item spread over a window instead of a burst.

Rules for a person (a slot that breaks one is refused with the reason):
- not in quiet hours (policy, HH:MM in the organisation's time zone; 21:00 to 07:00 wraps
  midnight, the same start and end mean none);
- at most `max_per_day` posts per network and local day (policy);
- at least `min_hours_between` hours between two of the person's posts (policy);
- at most `weekly_cadence` posts in any 7 days (the person's own pace, from the profile).

A "good time" is the first slot, from ten minutes from now, in the person's preferred days
and hours (working hours when they chose none) that keeps every rule above and where fewer
than `PER_BUCKET` colleagues already have the same item in that ten-minute bucket; the
minute inside the bucket is jittered so that even two shares never land together.

The stagger window (policy, `stagger_minutes`) spreads colleagues' shares of one item: it
opens at the first colleague's share of the item still inside it (or now, for the first
person), and a person's good time is searched from a point drawn in that window (seeded by
person and item, so the same person asking twice gets the same answer). The first sharer
goes as soon as the rules allow; the next ones land anywhere in the window, not together.
"""

from __future__ import annotations

import random
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.content.models import ContentItem
from chorus.orgs.models import Membership, Organization
from chorus.sharing.models import Share, SharingPolicy

BUCKET = timedelta(minutes=10)
PER_BUCKET = 2  # colleagues' shares of one item per ten minutes, at most
HORIZON = timedelta(days=21)
# The profile's named posting hours, as local [start, end) hours.
SLOTS = {"morning": (7, 10), "midday": (11, 14), "afternoon": (14, 17), "evening": (17, 21)}
WORKING_HOURS = (8, 19)
# Shares that count against the cadence: going out or gone out.
COUNTED = (
    Share.Status.SCHEDULED,
    Share.Status.PUBLISHING,
    Share.Status.PUBLISHED,
    Share.Status.CHECK,
)


class SlotRefused(Exception):
    """A time the rules do not allow; the message says why, in the person's words."""


@dataclass
class Rules:
    max_per_day: int
    min_gap: timedelta
    quiet_start: time
    quiet_end: time
    weekly_cadence: int
    hours: set[int] = field(default_factory=set)
    days: set[int] = field(default_factory=set)
    tz: zoneinfo.ZoneInfo = field(default_factory=lambda: zoneinfo.ZoneInfo("UTC"))
    stagger: timedelta = timedelta(0)

    def is_quiet(self, local: datetime) -> bool:
        return is_quiet(local.time(), self.quiet_start, self.quiet_end)

    def is_preferred(self, local: datetime) -> bool:
        if self.days and local.weekday() not in self.days:
            return False
        if self.hours:
            return local.hour in self.hours
        return WORKING_HOURS[0] <= local.hour < WORKING_HOURS[1] and local.weekday() < 5


def is_quiet(moment: time, start: time, end: time) -> bool:
    """True when the local time `moment` is within the quiet hours [start, end)."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # wraps midnight, e.g. 21:00 to 07:00


def org_zone(org: Organization) -> zoneinfo.ZoneInfo:
    """The organisation's time zone, where its quiet hours are read; UTC when unknown."""
    name = getattr(org, "time_zone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def policy_of(org_id: int) -> SharingPolicy:
    """The organisation's sharing policy (made with the defaults the first time)."""
    return SharingPolicy.objects.get_or_create(org_id=org_id)[0]


@dataclass(frozen=True)
class Habits:
    """A person's own posting habits: preferred hours (slot names), days (0 = Monday) and
    weekly cadence."""

    posting_hours: list[str]
    posting_days: list[int | str]
    weekly_cadence: int


# The habits are kept on the ambassador profile, in feed (a layer above sharing): feed
# registers its reader when the app is ready (`read_habits_with`). Nobody's habits are
# known until then.
_read_habits: Callable[[Membership], Habits | None] = lambda membership: None  # noqa: E731


def read_habits_with(reader: Callable[[Membership], Habits | None]) -> None:
    """Register where a person's posting habits come from (feed, at start-up)."""
    global _read_habits
    _read_habits = reader


def rules_for(membership: Membership, policy: SharingPolicy | None = None) -> Rules:
    policy = policy or policy_of(membership.org_id)
    habits = _read_habits(membership)
    hours: set[int] = set()
    days: set[int] = set()
    cadence = 2
    if habits is not None:
        for name in habits.posting_hours or []:
            start, end = SLOTS.get(str(name), (0, 0))
            hours.update(range(start, end))
        days = {int(day) for day in habits.posting_days or [] if str(day).isdigit()}
        cadence = habits.weekly_cadence
    return Rules(
        max_per_day=policy.max_per_day,
        min_gap=timedelta(hours=policy.min_hours_between),
        quiet_start=policy.quiet_start,
        quiet_end=policy.quiet_end,
        weekly_cadence=cadence,
        hours=hours,
        days=days,
        tz=org_zone(membership.org),
        stagger=timedelta(minutes=policy.stagger_minutes),
    )


def _their_times(
    membership: Membership, exclude: int | None = None
) -> tuple[list[tuple[datetime, str]], list[datetime]]:
    """(time, network) of the person's shares that count, past week to the horizon; and the
    times of those Chorus publishes (the gap between posts applies to these only)."""
    now = timezone.now()
    shares = (
        Share.objects.filter(membership=membership, status__in=COUNTED)
        .annotate(at=Coalesce(F("scheduled_for"), F("published_at"), F("created_at")))
        .filter(at__gte=now - timedelta(days=7), at__lte=now + HORIZON + timedelta(days=7))
    )
    if exclude is not None:
        shares = shares.exclude(pk=exclude)
    rows = list(shares.values_list("at", "network", "method"))
    return (
        [(at, network) for at, network, _method in rows],
        [at for at, _network, method in rows if method == Share.Method.API],
    )


def refusal(
    rules: Rules,
    when: datetime,
    network: str,
    taken: Iterable[tuple[datetime, str]],
    gap_from: Iterable[datetime] | None = None,
) -> str:
    """Why `when` is not allowed, or "" when it is.

    The gap between posts is kept from the times in `gap_from` (all of `taken` when None):
    it spaces what Chorus publishes on the person's behalf; what they post themselves from
    their device (a copy, a share intent, WhatsApp, an e-mail) is their own call."""
    local = timezone.localtime(when, rules.tz)
    if rules.is_quiet(local):
        return _("%(hour)s is in the quiet hours (%(start)s – %(end)s).") % {  # noqa: RUF001
            "hour": local.strftime("%H:%M"),
            "start": rules.quiet_start.strftime("%H:%M"),
            "end": rules.quiet_end.strftime("%H:%M"),
        }
    taken = list(taken)
    same_day = sum(
        1
        for at, net in taken
        if net == network and timezone.localtime(at, rules.tz).date() == local.date()
    )
    if same_day >= rules.max_per_day:
        return _("You already have %(count)s posts on this network that day (the limit).") % {
            "count": same_day
        }
    spaced = [at for at, _net in taken] if gap_from is None else list(gap_from)
    close = [at for at in spaced if abs(at - when) < rules.min_gap]
    if close:
        return _("Another of your posts is less than %(hours)s hours away.") % {
            "hours": int(rules.min_gap.total_seconds() // 3600)
        }
    if rules.weekly_cadence:
        # Every 7-day window that would contain `when` starts at `when` or at one of the
        # person's posts in the 7 days before it.
        week = timedelta(days=7)
        starts = [when, *(at for at, _net in taken if when - week < at <= when)]
        busiest = max(
            sum(1 for at, _net in taken if start <= at < start + week) for start in starts
        )
        if busiest >= rules.weekly_cadence:
            return _(
                "That would be more than the %(count)s posts a week you aim for "
                "(change it in your profile)."
            ) % {"count": rules.weekly_cadence}
    return ""


def check_slot(
    membership: Membership,
    network: str,
    when: datetime,
    *,
    exclude: int | None = None,
    device: bool = False,
) -> None:
    """SlotRefused when the rules do not allow a post at `when`; `device`: the person posts
    it themselves, so the gap kept between Chorus's posts does not apply."""
    taken, published_by_chorus = _their_times(membership, exclude)
    gap_from = [] if device else published_by_chorus
    reason = refusal(rules_for(membership), when, network, taken, gap_from)
    if reason:
        raise SlotRefused(reason)


# The next allowed moment is looked for on this grid (and at the exact end of each gap).
NEXT_STEP = timedelta(minutes=5)


def next_allowed(
    membership: Membership, network: str, after: datetime, *, exclude: int | None = None
) -> datetime | None:
    """The first whole minute from `after` the rules allow for Chorus to publish on
    `network` (a time field can offer it as it is), None when none within the horizon."""
    rules = rules_for(membership)
    taken, gap_from = _their_times(membership, exclude)

    def rounded_up(moment: datetime, step: timedelta) -> datetime:
        seconds = step.total_seconds()
        return datetime.fromtimestamp(-(-moment.timestamp() // seconds) * seconds, tz=UTC)

    first = rounded_up(after, NEXT_STEP)
    end = after + HORIZON
    grid = int((end - first) / NEXT_STEP) + 1
    gap_ends = (rounded_up(at + rules.min_gap, timedelta(minutes=1)) for at in gap_from)
    candidates = sorted(
        {first + index * NEXT_STEP for index in range(grid)}
        | {moment for moment in gap_ends if after <= moment <= end}
    )
    for candidate in candidates:
        if not refusal(rules, candidate, network, taken, gap_from):
            return candidate
    return None


def _bucket(when: datetime) -> int:
    return int(when.timestamp() // BUCKET.total_seconds())


def item_load(item: ContentItem, exclude_membership: int | None = None) -> Counter[int]:
    """Colleagues' shares of the item per ten-minute bucket."""
    shares = Share.objects.filter(item=item, status__in=COUNTED).annotate(
        at=Coalesce(F("scheduled_for"), F("published_at"))
    )
    if exclude_membership is not None:
        shares = shares.filter(~Q(membership_id=exclude_membership) | Q(membership__isnull=True))
    return Counter(_bucket(at) for at in shares.values_list("at", flat=True) if at is not None)


def window_opened(
    item: ContentItem, exclude_membership: int, now: datetime, stagger: timedelta
) -> datetime | None:
    """When the item's stagger window opened: its first colleague's share still inside the
    window (past or planned), or None when nobody else shares it yet."""
    shares = (
        Share.objects.filter(item=item, status__in=COUNTED)
        .filter(~Q(membership_id=exclude_membership) | Q(membership__isnull=True))
        .annotate(at=Coalesce(F("scheduled_for"), F("published_at")))
        .filter(at__gte=now - stagger)
        .order_by("at")
    )
    return shares.values_list("at", flat=True).first()


def good_time(
    membership: Membership,
    network: str,
    item: ContentItem,
    *,
    seed: str = "",
    now: datetime | None = None,
) -> datetime:
    """The first good slot (see the module's docstring); SlotRefused when none in 3 weeks."""
    now = now or timezone.now()
    rules = rules_for(membership)
    taken, gap_from = _their_times(membership)
    load = item_load(item, membership.pk)
    jitter = random.Random(f"{seed}:{membership.pk}:{item.pk}")  # noqa: S311 - spreading, not security
    earliest = now + BUCKET
    if rules.stagger:
        opened = window_opened(item, membership.pk, now, rules.stagger)
        if opened is not None:
            spread = int(rules.stagger.total_seconds())
            earliest = max(earliest, opened + timedelta(seconds=jitter.randrange(0, spread)))
    start = datetime.fromtimestamp((_bucket(earliest) + 1) * BUCKET.total_seconds(), tz=now.tzinfo)
    candidate = start
    end = now + HORIZON
    while candidate < end:
        local = timezone.localtime(candidate, rules.tz)
        if (
            rules.is_preferred(local)
            and not rules.is_quiet(local)
            and load[_bucket(candidate)] < PER_BUCKET
        ):
            offset = jitter.randrange(0, int(BUCKET.total_seconds() * 1_000_000))
            when = candidate + timedelta(microseconds=offset)
            if not refusal(rules, when, network, taken, gap_from):
                return when
        candidate += BUCKET
    raise SlotRefused(_("No free slot in the next three weeks: check your cadence and hours."))
