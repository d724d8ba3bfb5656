"""Programme health: one automatic check per classic failure of advocacy programmes.

DESIGN.md §1 names seven ways advocacy programmes fail (from the practitioner's article in
../shared/seed/). Each check below measures one of them from the programme's own data and
says `ok`, `watch` or `act`, with the figures behind the verdict and advice in the active
language. Where the thresholds come from: HealthThresholds (one row per organisation, with
published rules of thumb as defaults).

Conventions shared by the checks:
- "the period" is the `window_days` days before `now` (30 by default); "the previous
  period" is the same length just before it;
- a *published share* is a Share with status published; its time is `published_at`
  (its creation time when a share intent left it empty); anonymised shares (no person)
  count in the programme's figures but not in anyone's;
- *people in the programme* are active members whose participation is active (opted in,
  not left);
- shares are fractions from 0 to 1 in `figures` (shown as percentages); thresholds are
  whole percentages;
- a ratio over fewer than MIN_SHARES shares is reported but not judged: a few shares say
  nothing about a habit. Such a check is `ok` with a note saying so.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from chorus.analytics import figures
from chorus.analytics.figures import ShareFact, engagement_by_share
from chorus.content.models import Campaign, ContentItem, Suggestion
from chorus.feed.models import AmbassadorProfile
from chorus.orgs.models import Membership, Organization
from chorus.program.models import Cohort, HealthThresholds, Participation

# Below this many published shares, ratios of shares are shown but not judged.
MIN_SHARES = 5
# Below this many members, rolling out in waves makes little sense: pace and pilot are
# shown but not judged.
SMALL_ORGANISATION = 10
# A share is a parrot when near-identical to a colleague's, or mostly the suggested text.
PARROT_ORIGINALITY = 0.2
# "Left unedited": at most this share of own words (originality is measured, never exactly
# 0 when a person adds one word to a long caption, so "about zero").
UNEDITED_ORIGINALITY = 0.05
# Optional review (chorus.sharing.review): the share of decided reviews declined from
# which the control check watches, and acts; judged from MIN_REVIEWS decisions. A reviewer
# declining one post in four is a programme whose rules and people disagree.
REVIEW_DECLINED_WATCH = 0.25
REVIEW_DECLINED_ACT = 0.4
MIN_REVIEWS = 5
# Engagement takes time to come: shares younger than this are not judged yet.
ENGAGEMENT_MATURITY = timedelta(days=2)


class Status(models.TextChoices):
    OK = "ok", gettext_lazy("OK")
    WATCH = "watch", gettext_lazy("Watch")
    ACT = "act", gettext_lazy("Act")


_SEVERITY = {Status.OK: 0, Status.WATCH: 1, Status.ACT: 2}


# What each check is about, keyed like the checks (the numbers are the failures').
TITLES = {
    "rollout": gettext_lazy("Rollout in waves"),
    "parrot": gettext_lazy("Parrot effect"),
    "strategy": gettext_lazy("A strategy behind the tool"),
    "adoption": gettext_lazy("Use of the tool"),
    "engagement": gettext_lazy("Engaging, not just relaying"),
    "cadence": gettext_lazy("Quality over quantity"),
    "control": gettext_lazy("Room for people's own voice"),
}


def worst(statuses: Iterable[str]) -> str:
    """The most severe of the statuses (ok when there are none)."""
    found = max(statuses, key=lambda status: _SEVERITY[Status(status)], default=Status.OK)
    return Status(found).value


@dataclass(frozen=True)
class Figure:
    """One number behind a check. `unit` says how to read and show `value`:
    share (0 to 1), count, decimal, hours, per_week, per_100_weekly, points, ratio, flag (0/1).
    None means "not measurable" (no data)."""

    key: str
    label: str
    value: float | int | None
    unit: str = "count"

    @property
    def display(self) -> str:
        """The value as people read it, in the active language."""
        value = self.value
        if value is None:
            return "—"
        if self.unit == "share":
            return _("%(number)s%%") % {"number": number_format(round(value * 100))}
        if self.unit == "hours":
            if value < 48:
                return _("%(number)s h") % {"number": number_format(round(value))}
            days = value / 24
            return ngettext("%(number)s day", "%(number)s days", round(days)) % {
                "number": number_format(round(days, 1), decimal_pos=1 if days < 10 else 0)
            }
        if self.unit == "per_week":
            return _("%(number)s a week") % {"number": number_format(value, decimal_pos=1)}
        if self.unit == "per_100_weekly":
            return _("%(number)s a week per 100 people") % {
                "number": number_format(value, decimal_pos=1)
            }
        if self.unit == "points":
            sign = "+" if value > 0 else ("\u2212" if value < 0 else "")
            return _("%(number)s points") % {"number": sign + number_format(abs(round(value)))}
        if self.unit == "decimal":
            return number_format(value, decimal_pos=1)
        if self.unit == "ratio":
            return _("%(number)s times") % {"number": number_format(value, decimal_pos=1)}
        if self.unit == "flag":
            return _("yes") if value else _("no")
        return number_format(value)

    @property
    def json_value(self) -> float | int | None:
        if isinstance(self.value, float):
            return round(self.value, 4)
        return self.value


@dataclass(frozen=True)
class Check:
    """The verdict on one classic failure: status, the figures behind it, what to do."""

    key: str
    number: int
    title: str
    status: str
    figures: tuple[Figure, ...]
    advice: str
    # What the figures cannot say (too little data, a measure that is only a proxy).
    note: str = ""
    # The thresholds that gave the status, in words.
    rule: str = ""

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    def figure(self, key: str) -> float | int | None:
        return next(figure.value for figure in self.figures if figure.key == key)

    def as_json(self) -> dict[str, Any]:
        """{key, status, figures, advice}: the shape `chorus health-check --json` prints."""
        return {
            "key": self.key,
            "status": self.status,
            "figures": {figure.key: figure.json_value for figure in self.figures},
            "advice": self.advice,
        }


def verdict(
    key: str,
    statuses: Sequence[str],
    advice: Sequence[str],
    ok_advice: Sequence[str],
    *,
    figures: tuple[Figure, ...],
    rule: str,
    note: str = "",
    closing: str = "",
) -> Check:
    """The check `key` from what its figures gave: its status is the worst of `statuses`
    (ok without any); its advice is `advice`, then `ok_advice` when the status is ok, then
    `closing` whatever the status."""
    status = worst(statuses)
    said = [*advice, *(ok_advice if status == Status.OK else ()), *([closing] if closing else [])]
    return Check(
        key=key,
        number=list(TITLES).index(key) + 1,
        title=str(TITLES[key]),
        status=status,
        figures=figures,
        advice=" ".join(said),
        note=note,
        rule=rule,
    )


def graded(
    value: float | None, act: float, watch: float, act_advice: str, watch_advice: str
) -> tuple[list[str], list[str]]:
    """(statuses, advice) for a share (0-1) that acts at or above `act` and watches at or
    above `watch` (whole percentages); nothing for None (not measured, or not judged)."""
    if _at_least(value, act):
        return [Status.ACT], [act_advice]
    if _at_least(value, watch):
        return [Status.WATCH], [watch_advice]
    return [], []


def _ratio(part: int | float, whole: int | float) -> float | None:
    return part / whole if whole else None


def _at_least(value: float | None, threshold: float) -> bool:
    """value (a fraction) reaches `threshold` (a whole percentage)."""
    return value is not None and value * 100 >= threshold - 1e-9


def _below(value: float | None, threshold: float) -> bool:
    return value is not None and value * 100 < threshold - 1e-9


def _grade(
    value: float | None,
    act: float,
    watch: float,
    worse: Callable[[float | None, float], bool] = _at_least,
) -> Status | None:
    """ACT when `value` is `worse` than the act threshold, else WATCH when it is worse than
    the watch one, else None (no value: None)."""
    if worse(value, act):
        return Status.ACT
    if worse(value, watch):
        return Status.WATCH
    return None


def _judge(statuses: list[Status], advice: list[str], level: Status | None, **said: str) -> None:
    """Add a graded level and what to do about it (`act=`, `watch=`: the advice of each)."""
    if level is not None:
        statuses.append(level)
        advice.append(said[level.value])


@dataclass
class Facts:
    """What the checks read, each piece loaded once and only when a check asks for it."""

    org: Organization
    now: datetime
    thresholds: HealthThresholds
    since: datetime = field(init=False)
    previous_since: datetime = field(init=False)

    def __post_init__(self) -> None:
        period = timedelta(days=self.thresholds.window_days)
        self.since = self.now - period
        self.previous_since = self.since - period

    @property
    def weeks(self) -> float:
        return self.thresholds.window_days / 7

    @cached_property
    def recent_shares(self) -> list[ShareFact]:
        """Published shares of the period and the previous one, oldest first."""
        return figures.share_facts(self.org.pk, self.previous_since, self.now)

    @cached_property
    def shares(self) -> list[ShareFact]:
        """Published shares of the period."""
        return [share for share in self.recent_shares if share.at >= self.since]

    @cached_property
    def previous_shares(self) -> list[ShareFact]:
        return [share for share in self.recent_shares if share.at < self.since]

    @cached_property
    def participants(self) -> list[int]:
        """Membership ids of the people in the programme."""
        return figures.programme_people(self.org.pk)


# --- 1. Everyone enrolled at once ---------------------------------------------------------


def check_rollout(facts: Facts) -> Check:
    """Failure 1, everyone enrolled at once: the rollout's pace and the last wave's activation.

    - `rollout_pace`: people invited to the programme during the period
      (Participation.invited_at), as a share of the organisation's active members.
    - `pilot`: 1 when the programme has a cohort of kind "pilot".
    - `last_wave_activation`: the last wave is the cohort (pilot or wave) with people that
      started most recently, at least `activation_days` ago (its `starts_on`, else the day
      it was created), so its people had time to begin. Its activation is the share of its
      people who opted in (still in the programme or left since) who published at least one
      share. `last_wave_opt_in` (opted in / invited) is shown for context, not judged:
      joining is voluntary and only some people are ready.
    Pace and pilot are judged only for organisations of SMALL_ORGANISATION members or more.
    Act: pace above `rollout_max_percent`, or activation below `activation_act_percent`.
    Watch: no pilot cohort, or activation below `activation_watch_percent`.
    """
    org, limits = facts.org, facts.thresholds
    members = Membership.objects.active().filter(org=org).count()
    invitations = Participation.objects.filter(org=org).aggregate(
        ever=Count("id"), recent=Count("id", filter=Q(invited_at__gte=facts.since))
    )
    pace = _ratio(invitations["recent"], members)
    cohorts = list(
        Cohort.objects.filter(org=org)
        .annotate(people=Count("participations"))
        .filter(people__gt=0)
        .values("id", "kind", "starts_on", "created_at", "people")
    )
    has_pilot = any(cohort["kind"] == Cohort.Kind.PILOT for cohort in cohorts)
    latest_start = (facts.now - timedelta(days=limits.activation_days)).date()

    def start(cohort: dict[str, Any]) -> date:
        return cohort["starts_on"] or timezone.localdate(cohort["created_at"])

    started = [cohort for cohort in cohorts if start(cohort) <= latest_start]
    wave = max(started, key=lambda cohort: (start(cohort), cohort["id"]), default=None)
    activation = opt_in = None
    if wave is not None:
        volunteers = Participation.objects.filter(cohort_id=wave["id"], opted_in_at__isnull=False)
        counts = volunteers.aggregate(
            opted_in=Count("id"),
            activated=Count(
                "id",
                filter=Q(figures.has_shared("membership_id")),
            ),
        )
        opt_in = _ratio(counts["opted_in"], wave["people"])
        activation = _ratio(counts["activated"], counts["opted_in"])

    statuses, advice, notes = [], [], []
    judged = members >= SMALL_ORGANISATION
    if judged and pace is not None and pace * 100 > limits.rollout_max_percent:
        statuses.append(Status.ACT)
        advice.append(
            _(
                "Too many people were invited at once: about 3 employees in 10 are ready to "
                "advocate. Slow down, and open the next waves to volunteers when the current "
                "one is on its feet."
            )
        )
    if judged and not has_pilot and invitations["ever"]:
        statuses.append(Status.WATCH)
        advice.append(
            _(
                "There is no pilot cohort: start with a small group of volunteers and early "
                "adopters, learn with them, then invite others in waves."
            )
        )
    _judge(
        statuses,
        advice,
        _grade(
            activation,
            limits.activation_act_percent,
            limits.activation_watch_percent,
            worse=_below,
        ),
        act=_(
            "Most of the last wave's volunteers have not shared yet: run a workshop, pair "
            "them with a pilot member, check their onboarding, before inviting anyone else."
        ),
        watch=_(
            "Part of the last wave has not shared yet: nudge those whose onboarding is "
            "unfinished and answer their questions."
        ),
    )
    if wave is None:
        notes.append(
            _("No cohort has started at least %(days)s days ago: activation is not measured yet.")
            % {"days": limits.activation_days}
        )
    elif activation is None:
        notes.append(_("Nobody in the last wave has opted in yet."))
    if not judged:
        notes.append(
            _("With fewer than %(count)s members, the pace of invitations is not judged.")
            % {"count": SMALL_ORGANISATION}
        )
    ok_advice = [
        _(
            "The rollout goes at a healthy pace. Keep adding volunteers in waves, as the "
            "current ones show results."
        )
        if judged or activation is not None
        else _(
            "Nothing to judge yet. Start with a pilot of volunteers, then open the "
            "programme in waves."
        )
    ]
    return verdict(
        "rollout",
        statuses,
        advice,
        ok_advice,
        figures=(
            Figure("rollout_pace", _("People invited in the period"), pace, "share"),
            Figure("pilot", _("Pilot cohort"), int(has_pilot), "flag"),
            Figure("last_wave_opt_in", _("Last wave: opted in"), opt_in, "share"),
            Figure(
                "last_wave_activation", _("Last wave: shared at least once"), activation, "share"
            ),
        ),
        note=" ".join(notes),
        rule=_(
            "Act when more than %(pace)s%% of members are invited within the period or when "
            "fewer than %(act)s%% of the last wave's volunteers shared; watch below %(watch)s%% "
            "or without a pilot."
        )
        % {
            "pace": limits.rollout_max_percent,
            "act": limits.activation_act_percent,
            "watch": limits.activation_watch_percent,
        },
    )


# --- 2. The parrot effect -----------------------------------------------------------------


def is_parrot(share: ShareFact) -> bool:
    """Near-identical to a colleague's post, or less than 20% of own words."""
    return share.near_duplicates >= 1 or (
        share.originality is not None and share.originality < PARROT_ORIGINALITY
    )


def count_bursts(shares: Sequence[ShareFact], colleagues: int, minutes: int) -> int:
    """Bursts: `colleagues` or more different people publishing the same item within
    `minutes` of the first of them. Each share belongs to one burst at most."""
    by_item: dict[int, list[ShareFact]] = defaultdict(list)
    for share in shares:
        if share.membership_id is not None:
            by_item[share.item_id].append(share)
    window = timedelta(minutes=minutes)
    bursts = 0
    for item_shares in by_item.values():
        item_shares.sort(key=lambda share: share.at)
        start = 0
        while start < len(item_shares):
            end = start
            people = set()
            while end < len(item_shares) and item_shares[end].at - item_shares[start].at <= window:
                people.add(item_shares[end].membership_id)
                end += 1
            if len(people) >= colleagues:
                bursts += 1
                start = end
            else:
                start += 1
    return bursts


def check_parrot(facts: Facts) -> Check:
    """Failure 2, the parrot effect: colleagues posting the same text at the same time.

    - `parrot_index`: the share of the period's published shares whose text is
      near-identical to a colleague's post of the same item (`near_duplicates` ≥ 1) or is
      less than 20% the person's own words (`originality` < 0.2).
    - `bursts`: the number of times `burst_colleagues` or more colleagues published the same
      item within `burst_minutes` minutes (each share counted in one burst at most).
    Act: index at or above `parrot_act_percent`. Watch: index at or above
    `parrot_watch_percent`, or at least one burst. The index is judged from MIN_SHARES
    shares on.
    """
    limits = facts.thresholds
    shares = facts.shares
    parrots = sum(is_parrot(share) for share in shares)
    index = _ratio(parrots, len(shares))
    bursts = count_bursts(shares, limits.burst_colleagues, limits.burst_minutes)
    judged = len(shares) >= MIN_SHARES
    statuses, advice = graded(
        index if judged else None,
        limits.parrot_act_percent,
        limits.parrot_watch_percent,
        _(
            "Many posts say the same thing in the same words, and readers stop reading "
            "them. Ask for a personal comment, offer several caption variants, and "
            "consider requiring a minimum of own words in the sharing policy."
        ),
        _(
            "Some posts repeat a colleague's or the suggested text. Share examples of "
            "personal posts and offer talking points instead of ready-made text."
        ),
    )
    if bursts:
        statuses.append(Status.WATCH)
        advice.append(
            _(
                "Colleagues posted the same item within minutes of each other: schedule "
                "shares so they are spread out (the sharing policy's spreading window)."
            )
        )
    ok_advice = [
        _("People write in their own words and spread their posts. Keep it so.")
        if judged
        else _("Too few shares to judge yet. From the first ones, ask for a personal comment.")
    ]
    note = ""
    if not judged:
        note = _("Too few shares in the period to judge the index (%(count)s).") % {
            "count": len(shares)
        }
    return verdict(
        "parrot",
        statuses,
        advice,
        ok_advice,
        figures=(
            Figure("parrot_index", _("Near-identical or mostly suggested text"), index, "share"),
            Figure("bursts", _("Bursts of colleagues posting together"), bursts, "count"),
            Figure("shares", _("Shares in the period"), len(shares), "count"),
        ),
        note=note,
        rule=_(
            "Act from %(act)s%%, watch from %(watch)s%% or at the first burst (%(colleagues)s "
            "colleagues or more posting the same item within %(minutes)s minutes)."
        )
        % {
            "act": limits.parrot_act_percent,
            "watch": limits.parrot_watch_percent,
            "colleagues": limits.burst_colleagues,
            "minutes": limits.burst_minutes,
        },
    )


# --- 3. A tool without a strategy ---------------------------------------------------------


def check_strategy(facts: Facts) -> Check:
    """Failure 3, a tool without a strategy: campaigns without aims, content without topics.

    - `campaigns_without_aims`: of the current campaigns (not ended before the period
      began), the share with no objective or no KPIs.
    - `content_without_topics`: of the published items created during the period, the
      share with no topic (so feeds cannot match them to people's interests).
    Act: either share at or above `strategy_act_percent`. Watch: either share at or above
    `strategy_watch_percent`, or content published in the period with no current campaign
    at all.
    """
    limits = facts.thresholds
    campaigns = list(
        Campaign.objects.filter(org=facts.org)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=timezone.localdate(facts.since)))
        .values_list("objective", "kpis")
    )
    aimless = sum(1 for objective, kpis in campaigns if not objective or not kpis)
    # Counted over the join with topics, hence `distinct`.
    items = ContentItem.objects.filter(
        org=facts.org, status=ContentItem.Status.PUBLISHED, created_at__gte=facts.since
    ).aggregate(
        total=Count("id", distinct=True),
        untagged=Count("id", filter=Q(topics__isnull=True), distinct=True),
    )
    aimless_share = _ratio(aimless, len(campaigns))
    untagged_share = _ratio(items["untagged"], items["total"])
    statuses, advice = [], []
    worst_share = max((s for s in (aimless_share, untagged_share) if s is not None), default=None)
    level = _grade(worst_share, limits.strategy_act_percent, limits.strategy_watch_percent)
    if level is not None:
        statuses.append(level)
    if _at_least(aimless_share, limits.strategy_watch_percent):
        advice.append(
            _(
                "Give every campaign an objective (awareness, employer brand, recruiting, "
                "social selling, leads) and the KPIs that show whether it is reached."
            )
        )
    if _at_least(untagged_share, limits.strategy_watch_percent):
        advice.append(
            _(
                "Tag content with topics: without them feeds cannot match it to the people it "
                "suits, and everyone gets the same posts."
            )
        )
    if not campaigns and items["total"]:
        statuses.append(Status.WATCH)
        advice.append(
            _(
                "No campaign is running: say what the programme is for with a campaign, its "
                "objective and KPIs, and tie content to it."
            )
        )
    ok_advice = [
        _("Campaigns have aims and content is tagged: keep reviewing results against them.")
        if campaigns or items["total"]
        else _(
            "No campaign and no new content yet: start with a campaign, its objective and "
            "the KPIs that will show whether it is reached."
        )
    ]
    return verdict(
        "strategy",
        statuses,
        advice,
        ok_advice,
        figures=(
            Figure(
                "campaigns_without_aims",
                _("Campaigns without objective or KPIs"),
                aimless_share,
                "share",
            ),
            Figure("campaigns", _("Current campaigns"), len(campaigns), "count"),
            Figure(
                "content_without_topics", _("New content without topics"), untagged_share, "share"
            ),
            Figure("content", _("New content in the period"), items["total"], "count"),
        ),
        rule=_("Act from %(act)s%%, watch from %(watch)s%% or with no current campaign.")
        % {"act": limits.strategy_act_percent, "watch": limits.strategy_watch_percent},
    )


# --- 4. A strategy without a tool ---------------------------------------------------------


def check_adoption(facts: Facts) -> Check:
    """Failure 4, a strategy without a tool: whether people and the programme use Chorus.

    - `adoption`: the share of people in the programme who published at least one share
      through Chorus during the period (the "shared at least once" measure Haiilo reports).
    - `content_flow`: published items created during the period, per 100 people in the
      programme and per week (about 3.5 is the rule of thumb, DSMN8).
    Act: adoption below `adoption_act_percent`, or no new content at all. Watch: adoption
    below `adoption_watch_percent`, or content flow below `content_per_100_weekly`.
    Not judged while nobody is in the programme.
    """
    limits = facts.thresholds
    participants = set(facts.participants)
    sharers = {share.membership_id for share in facts.shares} & participants
    adoption = _ratio(len(sharers), len(participants))
    new_items = ContentItem.objects.filter(
        org=facts.org, status=ContentItem.Status.PUBLISHED, created_at__gte=facts.since
    ).count()
    flow = new_items * 100 / len(participants) / facts.weeks if participants else None
    statuses: list[Status] = []
    advice: list[str] = []
    if participants:
        _judge(
            statuses,
            advice,
            _grade(adoption, limits.adoption_act_percent, limits.adoption_watch_percent, _below),
            act=_(
                "Few people use Chorus to share: find out why (content, time, the tool "
                "itself), make the digest and the mobile app their way in, and stop "
                "sending content by e-mail."
            ),
            watch=_(
                "Half the programme or less shared in the period: check their feeds have "
                "content for them and that digests reach them."
            ),
        )
        if new_items == 0:
            statuses.append(Status.ACT)
            advice.append(
                _(
                    "No new content in the period: feed the hub (monitored sources, "
                    "ambassadors' suggestions) so people have something to share."
                )
            )
        elif flow is not None and flow < limits.content_per_100_weekly:
            statuses.append(Status.WATCH)
            advice.append(
                _(
                    "Little new content for the size of the programme: add monitored sources "
                    "and welcome ambassadors' suggestions."
                )
            )
    ok_advice = [
        _("People share through Chorus and the hub is fed. Keep it so.")
        if participants
        else _("Invite a first group of volunteers to the programme.")
    ]
    return verdict(
        "adoption",
        statuses,
        advice,
        ok_advice,
        figures=(
            Figure("adoption", _("People who shared in the period"), adoption, "share"),
            Figure("participants", _("People in the programme"), len(participants), "count"),
            Figure("content_flow", _("New content"), flow, "per_100_weekly"),
        ),
        note="" if participants else _("Nobody has joined the programme yet."),
        rule=_(
            "Act below %(act)s%% or with no new content; watch below %(watch)s%% or under "
            "%(flow)s new items a week per 100 people."
        )
        % {
            "act": limits.adoption_act_percent,
            "watch": limits.adoption_watch_percent,
            "flow": number_format(limits.content_per_100_weekly, decimal_pos=1),
        },
    )


# --- 5. Relaying instead of engaging ------------------------------------------------------


def check_engagement(facts: Facts) -> Check:
    """Failure 5, relaying instead of engaging: do shares start conversations?

    Measured on the period's published shares at least two days old (engagement takes time
    to come), for which engagement can be measured (see engagement_by_share):
    - `engagement_per_share`: engagement drawn per share;
    - `silent_shares`: the share of shares that drew none at all, plain relays nobody
      reacted to;
    - `personal_vs_relay`: engagement per share with at least 20% of own words, divided by
      that of shares with less (plain relaying of the suggested text); shown, not judged;
    - `engagement_tasks_done` and `own_word_replies`: likes, boosts and replies people did
      on others' posts when asked (`figures.engagement_task_figures`), and the share of them
      that were replies in their own words; shown, not judged.
    Act: silent shares at or above `silent_act_percent`. Watch: at or above
    `silent_watch_percent`. Judged from MIN_SHARES measured shares on.
    """
    limits = facts.thresholds
    mature = [share for share in facts.shares if share.at <= facts.now - ENGAGEMENT_MATURITY]
    engagement = engagement_by_share(mature)
    # Engaging with others' posts (engagement tasks): shown, not judged.
    tasks = figures.engagement_task_figures(facts.org.pk, facts.since, facts.now)
    measured = [share for share in mature if share.id in engagement]
    total = sum(engagement[share.id] for share in measured)
    per_share = _ratio(total, len(measured))
    silent = _ratio(sum(1 for share in measured if not engagement[share.id]), len(measured))

    # (own words, engagement) of the shares whose own words were measured.
    scored = [
        (share.originality, engagement[share.id])
        for share in measured
        if share.originality is not None
    ]
    personal_counts = [count for own, count in scored if own >= PARROT_ORIGINALITY]
    relayed_counts = [count for own, count in scored if own < PARROT_ORIGINALITY]
    personal = _ratio(sum(personal_counts), len(personal_counts))
    relayed = _ratio(sum(relayed_counts), len(relayed_counts))
    lift = personal / relayed if personal is not None and relayed else None
    judged = len(measured) >= MIN_SHARES
    statuses, advice = graded(
        silent if judged else None,
        limits.silent_act_percent,
        limits.silent_watch_percent,
        _(
            "Most shares draw no reaction at all: relaying is not enough. Add a question or "
            "an opinion to each post, answer comments, and train people to engage with "
            "others' posts too (engagement tips and conversation starters on each item)."
        ),
        _(
            "Many shares draw no reaction: suggest conversation starters and ask people to "
            "say why the content matters to them."
        ),
    )
    ok_advice = [
        _("Shares start conversations. Keep asking questions and answering comments.")
        if judged
        else _(
            "Too few measured shares to judge yet. Give each item a conversation starter from "
            "the beginning."
        )
    ]
    closing = ""
    if lift is not None and lift > 1:
        closing = _(
            "Posts in people's own words drew %(ratio)s times the engagement of plain relays."
        ) % {"ratio": number_format(lift, decimal_pos=1)}
    note = ""
    if not judged:
        note = _("Too few measured shares in the period to judge (%(count)s).") % {
            "count": len(measured)
        }
    return verdict(
        "engagement",
        statuses,
        advice,
        ok_advice,
        closing=closing,
        figures=(
            Figure(
                "engagement_per_share",
                _("Interactions and clicks per share"),
                per_share,
                "decimal",
            ),
            Figure("silent_shares", _("Shares that drew no engagement"), silent, "share"),
            Figure("personal_vs_relay", _("Own words against plain relays"), lift, "ratio"),
            Figure("measured_shares", _("Shares measured"), len(measured), "count"),
            Figure(
                "engagement_tasks_done",
                _("Engagement tasks done (likes, boosts, replies)"),
                tasks.done,
                "count",
            ),
            Figure(
                "own_word_replies",
                _("Replies in people's own words, among engagement tasks done"),
                tasks.own_word_share,
                "share",
            ),
        ),
        note=note,
        rule=_("Act from %(act)s%% of shares without engagement, watch from %(watch)s%%.")
        % {"act": limits.silent_act_percent, "watch": limits.silent_watch_percent},
    )


# --- 6. Quantity over quality -------------------------------------------------------------


def _mean_originality(shares: Iterable[ShareFact]) -> tuple[float | None, int]:
    values = [share.originality for share in shares if share.originality is not None]
    return (statistics.fmean(values) if values else None), len(values)


def check_cadence(facts: Facts) -> Check:
    """Failure 6, quantity over quality: posting too much, or hardly at all, and worse.

    Each person's weekly target is the one in their profile, else `weekly_target`.
    - `above_cadence`: the share of people in the programme whose published shares per week
      during the period exceed `over_cadence_factor` times their target;
    - `far_below_target`: the share whose shares per week are under `far_below_percent` of
      their target (a target of 0 is never "below");
    - `quality_trend`: the average share of own words (originality) of the period's shares
      minus that of the previous period, in points; measured when both periods have
      MIN_SHARES shares with an originality.
    Act: people above the cadence at or above `over_cadence_act_percent`. Watch: anyone
    above it, people far below at or above `far_below_watch_percent`, or quality down by
    `quality_drop_points` or more.
    """
    limits = facts.thresholds
    participants = facts.participants
    targets = dict(
        AmbassadorProfile.objects.filter(membership_id__in=participants).values_list(
            "membership_id", "weekly_cadence"
        )
    )
    posted: dict[int | None, int] = defaultdict(int)
    for share in facts.shares:
        posted[share.membership_id] += 1
    above = below = 0
    for person in participants:
        target = targets.get(person, limits.weekly_target)
        per_week = posted[person] / facts.weeks
        if per_week > limits.over_cadence_factor * max(target, 1):
            above += 1
        elif target and per_week < target * limits.far_below_percent / 100:
            below += 1
    above_share = _ratio(above, len(participants))
    below_share = _ratio(below, len(participants))
    current, current_count = _mean_originality(facts.shares)
    previous, previous_count = _mean_originality(facts.previous_shares)
    trend = None
    if (
        current is not None
        and previous is not None
        and min(current_count, previous_count) >= MIN_SHARES
    ):
        trend = (current - previous) * 100
    statuses, advice = [], []
    if above and _at_least(above_share, limits.over_cadence_act_percent):
        statuses.append(Status.ACT)
    elif above:
        statuses.append(Status.WATCH)
    if above:
        advice.append(
            _(
                "Some people post far more than their target: quality beats quantity. Coach "
                "them with their own figures and keep the sharing policy's daily cap."
            )
        )
    if _at_least(below_share, limits.far_below_watch_percent):
        statuses.append(Status.WATCH)
        advice.append(
            _(
                "Many people post far less than their weekly target: a minimum of regular "
                "posts keeps them visible. Check their feed suits them, or let them lower "
                "their target."
            )
        )
    if trend is not None and trend <= -limits.quality_drop_points:
        statuses.append(Status.WATCH)
        advice.append(
            _(
                "Posts hold fewer of people's own words than in the previous period: remind "
                "people that their insight is what makes a post worth reading."
            )
        )
    ok_advice = [
        _("People post regularly, within their targets, in their own words.")
        if participants
        else _("Invite a first group of volunteers to the programme.")
    ]
    return verdict(
        "cadence",
        statuses,
        advice,
        ok_advice,
        figures=(
            Figure("above_cadence", _("People above their cadence"), above_share, "share"),
            Figure("far_below_target", _("People far below their target"), below_share, "share"),
            Figure(
                "quality_trend", _("Own words, change from the previous period"), trend, "points"
            ),
        ),
        note="" if participants else _("Nobody has joined the programme yet."),
        rule=_(
            "Act when %(act)s%% of people or more post over %(factor)s times their target; "
            "watch at the first one, when %(below)s%% or more post under %(far)s%% of it, or "
            "when own words drop by %(drop)s points."
        )
        % {
            "act": limits.over_cadence_act_percent,
            "factor": number_format(limits.over_cadence_factor, decimal_pos=1),
            "below": limits.far_below_watch_percent,
            "far": limits.far_below_percent,
            "drop": limits.quality_drop_points,
        },
    )


# --- 7. Over-controlling people's voice ---------------------------------------------------


def suggestion_decision_hours(facts: Facts) -> float | None:
    """Median hours the programme team took to decide on the period's suggestions (those
    still pending count with the time they have waited so far)."""
    rows = Suggestion.objects.filter(org=facts.org, created_at__gte=facts.since).values_list(
        "created_at", "decided_at"
    )
    delays = [
        ((decided or facts.now) - created).total_seconds() / 3600 for created, decided in rows
    ]
    return statistics.median(delays) if delays else None


def check_control(facts: Facts) -> Check:
    """Failure 7, over-controlling people's voice.

    - `unedited_captions`: of the period's published shares with a measured originality,
      the share posted with the suggested text left unedited (originality ≤ 0.05, about no
      own word): people who do not feel free, or not able, to use their own voice.
    - `suggestion_decision_hours`: the median delay in hours of the programme team's
      decisions on ambassadors' suggestions (still pending ones count with the time they
      have waited so far).
    - `review_decision_hours`: optional review, off by default: the median time from a
      post's submission to its reviewer's decision (`figures.review_figures`), judged with
      the same thresholds as the suggestions' delay: a post waiting is a voice held back.
    - `review_declined`: the share of decided reviews declined, judged from MIN_REVIEWS
      decisions: watch from REVIEW_DECLINED_WATCH, act from REVIEW_DECLINED_ACT.
    Act: unedited at or above `unedited_act_percent` (judged from MIN_SHARES shares on), a
    median decision (suggestions or reviews) at or above `approval_act_hours`, or declines
    at or above REVIEW_DECLINED_ACT. Watch: the watch thresholds of each.
    """
    limits = facts.thresholds
    originalities = [share.originality for share in facts.shares if share.originality is not None]
    unedited = _ratio(
        sum(1 for value in originalities if value <= UNEDITED_ORIGINALITY), len(originalities)
    )
    delay = suggestion_decision_hours(facts)
    reviews = figures.review_figures(facts.org.pk, facts.since, facts.now)
    judged = len(originalities) >= MIN_SHARES
    statuses: list[Status] = []
    advice: list[str] = []
    untouched = _(
        "Many posts are the suggested text, untouched: tell people it is only a "
        "starting point, offer talking points rather than ready-made text, and run a "
        "workshop on writing in one's own voice. Their accounts are theirs."
    )
    _judge(
        statuses,
        advice,
        _grade(unedited, limits.unedited_act_percent, limits.unedited_watch_percent)
        if judged
        else None,
        act=untouched,
        watch=untouched,
    )
    waiting = _(
        "Ambassadors' suggestions wait long for a decision: decide within two days, "
        "or trust the people who suggest and publish their ideas directly."
    )
    _judge(
        statuses,
        advice,
        _grade(
            delay,
            limits.approval_act_hours,
            limits.approval_watch_hours,
            worse=lambda value, hours: value is not None and value >= hours,
        ),
        act=waiting,
        watch=waiting,
    )
    review_delay = reviews.decision_hours
    reached = lambda value, limit: value is not None and value >= limit  # noqa: E731
    review_waiting = _(
        "Posts wait long in review: add reviewers, review fewer posts (only the rules "
        "that require it, or people's first shares), or turn review off."
    )
    _judge(
        statuses,
        advice,
        _grade(
            review_delay,
            limits.approval_act_hours,
            limits.approval_watch_hours,
            worse=reached,
        ),
        act=review_waiting,
        watch=review_waiting,
    )
    declines_judged = reviews.decided >= MIN_REVIEWS and reviews.declined_share is not None
    declining = _(
        "Reviewers decline many posts: say the rules plainly in a short guide, "
        "coach the people concerned, and prefer edits with a note to refusals."
    )
    _judge(
        statuses,
        advice,
        _grade(reviews.declined_share, REVIEW_DECLINED_ACT, REVIEW_DECLINED_WATCH, worse=reached)
        if declines_judged
        else None,
        act=declining,
        watch=declining,
    )
    ok_advice: list[str] = []
    if judged:
        ok_advice.append(_("People make the suggested texts their own."))
    if delay is not None:
        ok_advice.append(_("The team decides on suggestions quickly."))
    if review_delay is not None:
        ok_advice.append(_("Reviews are quick and rarely refuse."))
    if not judged and delay is None and review_delay is None:
        ok_advice.append(
            _(
                "Too little activity to judge yet. Present suggested texts as a starting point, "
                "never as the text to post."
            )
        )
    notes = [
        _(
            "Posting needs no approval unless the organisation turns the optional review on "
            "(off by default); the delays shown are the programme team's decisions on "
            "suggestions and, where review is on, reviewers' decisions."
        )
    ]
    if not judged:
        notes.append(
            _("Too few shares in the period to judge unedited texts (%(count)s).")
            % {"count": len(originalities)}
        )
    return verdict(
        "control",
        statuses,
        advice,
        ok_advice,
        figures=(
            Figure("unedited_captions", _("Suggested texts posted unedited"), unedited, "share"),
            Figure(
                "suggestion_decision_hours", _("Time to decide on a suggestion"), delay, "hours"
            ),
            Figure(
                "review_decision_hours",
                _("Time to decide on a post in review"),
                review_delay,
                "hours",
            ),
            Figure(
                "review_declined",
                _("Posts in review declined"),
                reviews.declined_share if declines_judged else None,
                "share",
            ),
        ),
        note=" ".join(notes),
        rule=_(
            "Act from %(act)s%% unedited, a decision after %(act_hours)s hours or "
            "%(declined_act)s%% of reviews declined; watch from %(watch)s%%, after "
            "%(watch_hours)s hours or "
            "%(declined_watch)s%% declined."
        )
        % {
            "act": limits.unedited_act_percent,
            "watch": limits.unedited_watch_percent,
            "act_hours": limits.approval_act_hours,
            "watch_hours": limits.approval_watch_hours,
            "declined_act": round(REVIEW_DECLINED_ACT * 100),
            "declined_watch": round(REVIEW_DECLINED_WATCH * 100),
        },
    )


CHECKS: tuple[Callable[[Facts], Check], ...] = (
    check_rollout,
    check_parrot,
    check_strategy,
    check_adoption,
    check_engagement,
    check_cadence,
    check_control,
)


def health_report(
    org: Organization,
    now: datetime | None = None,
    thresholds: HealthThresholds | None = None,
) -> list[Check]:
    """The seven checks for the organisation, in the order of the classic failures.

    Texts are in the active language; `thresholds` defaults to the organisation's own (or
    the defaults when it has none)."""
    facts = Facts(
        org=org,
        now=now or timezone.now(),
        thresholds=thresholds or HealthThresholds.for_org(org),
    )
    return [check(facts) for check in CHECKS]
