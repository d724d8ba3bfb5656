"""Suggestions to improve, each one derived from the person's own figures.

A suggestion appears only when the data clearly supports it (enough posts, enough clicks,
a marked difference); otherwise it stays silent rather than guess. Never a comparison
with colleagues: only the person's own posts against each other, and their own target.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chorus.analytics import figures
from chorus.coaching.results import PersonalResults, ShareFigures
from chorus.feed.models import AmbassadorProfile

# Own words from this share of the text on (the default minimum of the sharing policy).
OWN_WORDS_FROM = 0.3
# Posts needed in each group compared, and how much better one group must do.
MIN_SHARES_PER_GROUP = 3
MIN_RATIO = 1.5
MIN_CLICKS = 5
# Best hours: enough clicks, and the best two hours must hold a marked part of them.
MIN_CLICKS_FOR_HOURS = 20
MIN_PEAK_PART = 0.2
MIN_SHARES_FOR_HOURS = 3
# Posting up to this many hours before the peak, or during it, is good timing.
HOURS_AHEAD = 3
# The weekly target is checked over the last weeks (fewer for people who just joined).
TARGET_WEEKS = 4


@dataclass(frozen=True)
class Suggestion:
    key: str
    text: str


def _ratio(value: float) -> str:
    return formats.number_format(value, 1, use_l10n=True)


def _per_share(shares: list[ShareFigures]) -> float:
    return sum(share.clicks for share in shares) / len(shares)


def own_words(results: PersonalResults) -> Suggestion | None:
    """Posts in one's own words against posts that kept the suggested caption."""
    measured = [share for share in results.shares if share.originality is not None]
    own = [share for share in measured if share.originality >= OWN_WORDS_FROM]  # type: ignore[operator]
    copied = [share for share in measured if share.originality < OWN_WORDS_FROM]  # type: ignore[operator]
    if len(own) < MIN_SHARES_PER_GROUP or len(copied) < MIN_SHARES_PER_GROUP:
        return None
    own_rate, copied_rate = _per_share(own), _per_share(copied)
    if sum(share.clicks for share in own) < MIN_CLICKS or own_rate < copied_rate * MIN_RATIO:
        return None
    if copied_rate:
        text = _(
            "Your posts in your own words drew %(ratio)s× the clicks of the posts that "  # noqa: RUF001
            "kept the suggested caption. Keep adding why it matters to you."
        ) % {"ratio": _ratio(own_rate / copied_rate)}
    else:
        text = _(
            "Your posts in your own words drew %(own)s clicks each; the posts that kept "
            "the suggested caption drew none. Keep adding why it matters to you."
        ) % {"own": _ratio(own_rate)}
    return Suggestion("own-words", text)


def peak_window(click_hours: list[int]) -> tuple[int, int]:
    """The two consecutive hours with the most clicks: (first hour, clicks in them)."""
    best_hour, best = 0, -1
    for hour in range(24):
        clicks = click_hours[hour] + click_hours[(hour + 1) % 24]
        if clicks > best:
            best_hour, best = hour, clicks
    return best_hour, best


def timing(results: PersonalResults) -> Suggestion | None:
    """When I usually post against when my clicks come."""
    total = sum(results.click_hours)
    if total < MIN_CLICKS_FOR_HOURS or results.share_count < MIN_SHARES_FOR_HOURS:
        return None
    peak, peak_clicks = peak_window(results.click_hours)
    if peak_clicks < total * MIN_PEAK_PART:
        return None
    posted, _count = Counter(share.local_hour for share in results.shares).most_common(1)[0]
    hours_before_peak = (peak - posted) % 24
    if hours_before_peak <= HOURS_AHEAD or hours_before_peak == 23:
        return None  # posted a little before the peak, or during it
    text = _(
        "You usually post at %(posted)s h; most of your clicks come at %(start)s–%(end)s h. "  # noqa: RUF001
        "Try scheduling your posts a little before."
    ) % {"posted": posted, "start": peak, "end": (peak + 1) % 24}
    return Suggestion("timing", text)


def network(results: PersonalResults) -> Suggestion | None:
    """One of my networks drawing far more clicks per post than another."""
    networks = [
        figures for figures in results.by_network() if figures.shares >= MIN_SHARES_PER_GROUP
    ]
    if len(networks) < 2:
        return None
    networks.sort(key=lambda figures: figures.clicks_per_share, reverse=True)
    best, worst = networks[0], networks[-1]
    if best.clicks < MIN_CLICKS or best.clicks_per_share < worst.clicks_per_share * 2:
        return None
    if worst.clicks_per_share:
        text = _(
            "Your posts on %(best)s drew %(ratio)s× the clicks per post of your posts on "  # noqa: RUF001
            "%(worst)s."
        ) % {
            "best": best.label,
            "worst": worst.label,
            "ratio": _ratio(best.clicks_per_share / worst.clicks_per_share),
        }
    else:
        text = _(
            "Your posts on %(best)s drew %(clicks)s clicks each; your posts on %(worst)s, none."
        ) % {"best": best.label, "worst": worst.label, "clicks": _ratio(best.clicks_per_share)}
    return Suggestion("network", text)


def weekly_target(results: PersonalResults) -> Suggestion | None:
    """Fewer posts than the weekly target the person set on their profile."""
    member = results.member
    target = (
        AmbassadorProfile.objects.filter(membership=member)
        .values_list("weekly_cadence", flat=True)
        .first()
    )
    if not target:
        return None
    now = timezone.now()
    weeks = min(TARGET_WEEKS, (now - member.joined_at).days // 7)
    if weeks < 1:
        return None  # too soon to tell
    since = now - timedelta(weeks=weeks)
    scope = figures.Scope(
        org_id=member.org_id,
        start=since.astimezone(UTC).date(),
        end=now.astimezone(UTC).date(),
        membership_id=member.pk,
    )
    shared = figures.shares_since(scope, since)
    average = shared / weeks
    if average >= target:
        return None
    text = ngettext(
        "Over the last week you shared %(average)s times; the weekly target you set "
        "yourself is %(target)s. Your feed has ideas ready when you are.",
        "Over the last %(weeks)s weeks you shared %(average)s times a week; the weekly "
        "target you set yourself is %(target)s. Your feed has ideas ready when you are.",
        weeks,
    ) % {"weeks": weeks, "average": _ratio(average), "target": target}
    return Suggestion("weekly-target", text)


def suggestions(results: PersonalResults) -> list[Suggestion]:
    """Every suggestion the figures support, most useful first."""
    found = (check(results) for check in (own_words, timing, network, weekly_target))
    return [suggestion for suggestion in found if suggestion is not None]
