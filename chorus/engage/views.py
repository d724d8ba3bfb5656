"""Leaderboards, my points, the rules, badges and challenges."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chorus.content.models import ContentItem
from chorus.engage import actions
from chorus.engage.badges import BADGES
from chorus.engage.challenges import Progress, progress, status
from chorus.engage.forms import ChallengeForm, PointsRulesForm
from chorus.engage.leaderboards import PERIODS, is_visible, people_board, period_start, team_board
from chorus.engage.models import BadgeAward, Challenge, ChallengeResult, Kind, PointsEntry
from chorus.engage.points import rules_of
from chorus.lib.ids import parse_id
from chorus.orgs.access import org_view
from chorus.orgs.models import Membership, Role, Team
from chorus.program.models import is_participant

RECENT_ENTRIES = 50


def _board_teams(membership: Membership) -> list[Team]:
    """Teams whose leaderboard the person may open: their own, and the ones they manage
    (every team for the programme's managers)."""
    teams = Team.objects.filter(org=membership.org)
    if not membership.has_role(Role.PROGRAM_MANAGER):
        teams = teams.filter(Q(pk=membership.team_id or 0) | Q(manager=membership))
    return list(teams.order_by("name"))


# --- Leaderboards -------------------------------------------------------------------------


@require_http_methods(["GET"])
@org_view()
def leaderboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The top of the organisation, a team, or the teams, this week, month or quarter."""
    period = request.GET.get("period", "month")
    if period not in PERIODS:
        period = "month"
    scope = request.GET.get("scope", "org")
    if scope not in ("org", "team", "teams"):
        scope = "org"
    participant = is_participant(membership)
    visible = is_visible(membership)
    teams = _board_teams(membership)
    team = None
    if scope == "team":
        team_id = parse_id(request.GET.get("team"))
        if team_id is None:
            team = next((found for found in teams if found.pk == membership.team_id), None)
            if team is None and teams:
                team = teams[0]
        else:
            team = next((found for found in teams if found.pk == team_id), None)
            if team is None:
                if not Team.objects.filter(org=membership.org, pk=team_id).exists():
                    raise Http404
                raise PermissionDenied
    board = None
    # Hidden people do not see others' ranks: leaderboards work both ways.
    if visible or not participant:
        size = rules_of(membership.org).leaderboard_size
        if scope == "teams":
            board = team_board(membership.org, membership, period, size)
        elif scope == "org" or team is not None:
            board = people_board(membership.org, membership, period, size, team=team)
    context = {
        "board": board,
        "period": period,
        "periods": PERIODS.items(),
        "scope": scope,
        "team": team,
        "teams": teams,
        "participant": participant,
        "visible": visible,
    }
    return render(request, "engage/leaderboard.html", context)


@require_http_methods(["POST"])
@org_view()
def leaderboard_visibility(request: HttpRequest, membership: Membership) -> HttpResponse:
    visible = request.POST.get("visible") == "1"
    actions.do_set_visibility(membership, visible)
    if visible:
        messages.success(request, _("You appear on leaderboards again."))
    else:
        messages.success(
            request, _("You no longer appear on leaderboards, and no longer see others' ranks.")
        )
    return redirect("leaderboard", org=membership.org.slug)


# --- My points ----------------------------------------------------------------------------


def _explain(entries: list[PointsEntry], titles: dict[int, str]) -> list[dict[str, Any]]:
    from chorus.engage.onboarding import STEP_LABELS

    rows = []
    for entry in entries:
        detail = entry.detail or {}
        rows.append(
            {
                "entry": entry,
                "detail": detail,
                "title": titles.get(detail.get("item") or 0, ""),
                "step_label": STEP_LABELS.get(detail.get("step", ""), ""),
            }
        )
    return rows


def _tips(membership: Membership, recent: list[PointsEntry]) -> list[str]:
    """What would earn more, from the person's own last weeks: the guiding part."""
    rules = rules_of(membership.org)
    tips = []
    shares = [entry for entry in recent if entry.kind == Kind.SHARE]
    copies = [entry for entry in shares if not (entry.detail or {}).get("original")]
    if shares and len(copies) * 2 > len(shares):
        tips.append(
            _(
                "Most of your recent shares repeat the suggested text or a colleague's post. "
                "Add a few sentences of your own: an original share earns up to %(original)s "
                "points, a copy-paste one %(copy)s."
            )
            % {"original": rules.original_share, "copy": rules.copy_share}
        )
    if any(entry.capped for entry in recent if entry.kind == Kind.SHARE):
        tips.append(
            _(
                "Some days you reached the daily cap for shares: fewer, better posts "
                "spread over the week count for more."
            )
        )
    if not recent:
        tips.append(
            _(
                "Nothing yet these last weeks. Share an item from your feed with a comment "
                "of your own: it is what earns the most."
            )
        )
    return tips


@require_http_methods(["GET"])
@org_view()
def my_points(request: HttpRequest, membership: Membership) -> HttpResponse:
    """My points this week, month and quarter, what earned them, and what would earn more."""
    today = timezone.localdate()
    mine = PointsEntry.objects.filter(org=membership.org, membership=membership)
    totals = {
        period: mine.filter(day__gte=period_start(period, today), day__lte=today).aggregate(
            total=Sum("points")
        )["total"]
        or 0
        for period in PERIODS
    }
    month = period_start("month", today)
    by_kind = dict(
        mine.filter(day__gte=month, day__lte=today)
        .values("kind")
        .annotate(total=Sum("points"))
        .values_list("kind", "total")
    )
    kinds = [(kind, by_kind.get(kind.value, 0)) for kind in Kind]
    recent = list(mine.filter(day__gte=today - timedelta(days=28)).order_by("-day", "-id"))
    shown = recent[:RECENT_ENTRIES]
    item_ids = {(entry.detail or {}).get("item") for entry in shown} - {None}
    titles = dict(
        ContentItem.objects.filter(org=membership.org, pk__in=item_ids).values_list("pk", "title")
    )
    context = {
        "participant": is_participant(membership),
        "totals": [(label, totals[period]) for period, label in PERIODS.items()],
        "kinds": kinds,
        "entries": _explain(shown, titles),
        "tips": _tips(membership, recent),
        "rules": rules_of(membership.org),
    }
    return render(request, "engage/points.html", context)


@require_http_methods(["GET", "POST"])
@org_view()
def points_rules(request: HttpRequest, membership: Membership) -> HttpResponse:
    """How points are earned, for everyone; the programme's managers change the values."""
    rules = rules_of(membership.org)
    can_manage = membership.has_role(Role.PROGRAM_MANAGER)
    form = None
    if request.method == "POST" and not can_manage:
        raise PermissionDenied
    if can_manage:
        form = PointsRulesForm(request.POST or None, instance=rules)
        if request.method == "POST":
            if form.is_valid():
                # The form wrote the values on `rules`; the action compares with the saved ones.
                actions.do_save_rules(membership, rules_of(membership.org), form.cleaned_data)
                messages.success(
                    request, _("Saved. Points are being recomputed with the new rules.")
                )
                return redirect("points_rules", org=membership.org.slug)
            rules = rules_of(membership.org)
    context = {"rules": rules, "form": form, "can_manage": can_manage}
    return render(
        request,
        "engage/rules.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


# --- Badges -------------------------------------------------------------------------------


@require_http_methods(["GET"])
@org_view()
def badges(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The badges one can earn, the ones I have, and (for the programme) how many have each."""
    earned = dict(
        BadgeAward.objects.filter(membership=membership).values_list("badge", "awarded_at")
    )
    counts: dict[str, int] = {}
    can_manage = membership.has_role(Role.PROGRAM_MANAGER)
    if can_manage:
        counts = defaultdict(int)
        counts.update(
            BadgeAward.objects.filter(org=membership.org)
            .values("badge")
            .annotate(total=Count("id"))
            .values_list("badge", "total")
        )
    rows = [
        {"badge": badge, "earned_at": earned.get(badge.key), "count": counts.get(badge.key, 0)}
        for badge in BADGES
    ]
    context = {
        "rows": rows,
        "earned": sum(1 for row in rows if row["earned_at"]),
        "can_manage": can_manage,
        "participant": is_participant(membership),
    }
    return render(request, "engage/badges.html", context)


# --- Challenges ---------------------------------------------------------------------------


def get_challenge(membership: Membership, challenge_id: int) -> Challenge:
    """A challenge of the member's organisation, or 404."""
    return get_object_or_404(
        Challenge.objects.select_related("topic", "campaign", "org"),
        org=membership.org,
        pk=challenge_id,
    )


@require_http_methods(["GET"])
@org_view()
def challenges(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Running and upcoming challenges with my progress; the last ones with my result."""
    today = timezone.localdate()
    listed = Challenge.objects.filter(org=membership.org).select_related("topic", "campaign")
    running = list(listed.filter(starts_on__lte=today, closed_at__isnull=True).order_by("ends_on"))
    rules = rules_of(membership.org)
    participant = is_participant(membership)
    rows = [
        {
            "challenge": challenge,
            "status": status(challenge, today),
            "progress": progress(challenge, [membership.pk], rules).get(membership.pk, Progress())
            if participant
            else None,
        }
        for challenge in running
    ]
    past = list(listed.filter(closed_at__isnull=False).order_by("-ends_on")[:10])
    results = dict(
        ChallengeResult.objects.filter(membership=membership, challenge__in=past).values_list(
            "challenge_id", "reached_at"
        )
    )
    context = {
        "running": rows,
        "upcoming": listed.filter(starts_on__gt=today).order_by("starts_on"),
        "past": [(challenge, results.get(challenge.pk)) for challenge in past],
        "can_manage": membership.has_role(Role.PROGRAM_MANAGER),
        "participant": participant,
    }
    return render(request, "engage/challenges.html", context)


@require_http_methods(["GET"])
@org_view()
def challenge(request: HttpRequest, membership: Membership, challenge_id: int) -> HttpResponse:
    """One challenge: my progress, and who reached the target (winners once it closed)."""
    from chorus.engage.leaderboards import on_leaderboards
    from chorus.engage.points import participants

    found = get_challenge(membership, challenge_id)
    can_manage = membership.has_role(Role.PROGRAM_MANAGER)
    participant = is_participant(membership)
    state = status(found)
    mine: Progress | None = None
    if found.is_closed:
        results = {
            result.membership_id: result
            for result in ChallengeResult.objects.filter(challenge=found).select_related(
                "membership__user"
            )
        }
        figures = {
            member_id: Progress(result.progress, result.reached_at)
            for member_id, result in results.items()
        }
        people = {member_id: result.membership for member_id, result in results.items()}
    else:
        member_ids = list(participants(membership.org).values_list("pk", flat=True))
        figures = progress(found, member_ids) if state != "upcoming" else {}
        people = Membership.objects.select_related("user").in_bulk(
            [member_id for member_id, figure in figures.items() if figure.reached_at]
        )
    if participant:
        mine = figures.get(membership.pk, Progress())
    # Who reached the target, first first; people hidden from leaderboards are shown only
    # to the programme's managers (who hand out the rewards).
    shown = set(on_leaderboards(membership.org).values_list("pk", flat=True))
    reached = sorted(
        (
            (figure.reached_at, people[member_id], member_id in shown)
            for member_id, figure in figures.items()
            if figure.reached_at is not None and member_id in people
        ),
        key=lambda row: (row[0], row[1].pk),
    )
    winners = [
        {"reached_at": reached_at, "membership": person, "hidden": not listed}
        for reached_at, person, listed in reached
        if listed or can_manage
    ]
    context = {
        "challenge": found,
        "status": state,
        "mine": mine,
        "percent": mine.percent(found.target) if mine is not None else 0,
        "winners": winners,
        "reached_count": len(reached),
        "taking_part": sum(1 for figure in figures.values() if figure.value > 0),
        "can_manage": can_manage,
        "participant": participant,
    }
    return render(request, "engage/challenge.html", context)


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def challenge_edit(
    request: HttpRequest, membership: Membership, challenge_id: int | None = None
) -> HttpResponse:
    found = get_challenge(membership, challenge_id) if challenge_id is not None else None
    if found is not None and found.is_closed:
        messages.error(request, _("This challenge is over: its results are final."))
        return redirect("challenge", org=membership.org.slug, challenge_id=found.pk)
    form = ChallengeForm(request.POST or None, instance=found, org=membership.org)
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.do_save_challenge(
                membership,
                get_challenge(membership, found.pk) if found else None,
                form.cleaned_data,
            )
        except actions.ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Saved."))
            return redirect("challenge", org=membership.org.slug, challenge_id=saved.pk)
    return render(
        request,
        "engage/challenge_form.html",
        {"form": form, "challenge": found},
        status=400 if request.method == "POST" else 200,
    )
