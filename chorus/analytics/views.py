"""The programme dashboard, its exports (CSV, XLSX) and the analytics settings."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from chorus.analytics import exports, figures
from chorus.analytics.actions import do_change_analytics_settings
from chorus.analytics.forms import AnalyticsSettingsForm, DashboardFilterForm
from chorus.analytics.models import RollupState
from chorus.content.access import get_item
from chorus.orgs.access import org_view
from chorus.orgs.models import Membership, Role


def _filters(request: HttpRequest, membership: Membership) -> DashboardFilterForm:
    form = DashboardFilterForm(membership, request.GET or None)
    form.is_valid()  # what does not validate is reported, and left out of the scope
    return form


def _heat(rate: float | None) -> str:
    """A shade class for a retention cell (the CSP allows no inline style)."""
    if rate is None:
        return "heat-none"
    return f"heat-{min(5, int(rate * 5 + 0.5)) if rate > 0 else 0}"


def shown_months(retention: figures.Retention) -> int:
    """Months since joining worth a column: up to the last one some cohort reached."""
    reached = [index for index, rate in enumerate(retention.average) if rate is not None]
    return max(reached, default=0) + 1


def chart_data(board: figures.Dashboard) -> dict[str, Any]:
    """What main.js draws, passed with json_script: labels and named series per chart."""

    def rows(items: list[figures.Row]) -> dict[str, Any]:
        return {
            "labels": [row.label for row in items],
            "series": [
                {"label": _("Shares"), "data": [row.measures.shares for row in items]},
                {"label": _("Human clicks"), "data": [row.measures.clicks for row in items]},
            ],
        }

    months = shown_months(board.retention)
    return {
        "over_time": {
            "dates": True,
            "labels": [day.isoformat() for day, _m in board.series],
            "series": [
                {"label": _("Shares"), "data": [m.shares for _d, m in board.series]},
                {
                    "label": _("Human clicks"),
                    "data": [m.clicks for _d, m in board.series],
                    "type": "line",
                },
            ],
        },
        "networks": rows(board.networks),
        "teams": rows(board.teams),
        "campaigns": rows(board.campaigns),
        "funnel": {
            "labels": [label for _code, label, _n in board.funnel.stages()],
            "series": [
                {"label": _("People"), "data": [n for _code, _label, n in board.funnel.stages()]}
            ],
            "horizontal": True,
        },
        "retention": {
            "labels": [_("Month %(number)s") % {"number": index} for index in range(months)],
            "series": [
                {
                    "label": _("Active (%)"),
                    "data": [
                        None if rate is None else round(rate * 100, 1)
                        for rate in board.retention.average[:months]
                    ],
                    "type": "line",
                }
            ],
            "percent": True,
        },
    }


@require_GET
@org_view(Role.PROGRAM_MANAGER)
def dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The programme's results for a period, with filters, charts and their tables."""
    form = _filters(request, membership)
    board = figures.dashboard(form.scope())
    months = shown_months(board.retention)
    retention_rows = [
        (cohort, [(rate, _heat(rate)) for rate in cohort.rates[:months]])
        for cohort in board.retention.cohorts
    ]
    funnel_rows: list[tuple[str, str, int, float | None]] = []
    previous = 0
    for code, label, count in board.funnel.stages():
        rate = count / previous if previous else None
        funnel_rows.append((code, label, count, rate))
        previous = count
    state = RollupState.objects.filter(org=membership.org).first()
    context = {
        "form": form,
        "board": board,
        "charts": chart_data(board),
        "retention_rows": retention_rows,
        "funnel_rows": funnel_rows,
        "retention_average": [(rate, _heat(rate)) for rate in board.retention.average[:months]],
        "query": form.query_string(),
        "tables": exports.TABLES,
        "refreshed_at": state.refreshed_at if state else None,
    }
    return render(request, "analytics/dashboard.html", context)


def _export_name(membership: Membership, scope: figures.Scope, table: str, suffix: str) -> str:
    return f"{membership.org.slug}-{table}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.{suffix}"


def _bad_filters(form: DashboardFilterForm) -> HttpResponse | None:
    if not form.errors:
        return None
    lines = [_("These filters are not valid:")]
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        lines.extend(f"- {label}: {error}" if label else f"- {error}" for error in errors)
    return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain")


@require_GET
@org_view(Role.PROGRAM_MANAGER)
def export_csv(request: HttpRequest, membership: Membership) -> HttpResponse:
    """One table of the dashboard as CSV (`table`, default the summary), streamed."""
    form = _filters(request, membership)
    refused = _bad_filters(form)
    if refused is not None:
        return refused
    names = [name for name, _label in exports.TABLES]
    table_name = request.GET.get("table", "summary")
    if table_name not in names:
        return HttpResponse(
            _("Unknown table; choose one of: %(tables)s.") % {"tables": ", ".join(names)} + "\n",
            status=400,
            content_type="text/plain",
        )
    scope = form.scope()
    if table_name == "activity":
        # The detail needs none of the other figures.
        table = exports.activity_table(scope)
    else:
        table = exports.tables(figures.dashboard(scope))[table_name]
    response = StreamingHttpResponse(exports.csv_lines(table), content_type="text/csv")
    name = _export_name(membership, scope, table_name, "csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # org_view is typed for HttpResponse; Django serves a streaming response the same way.
    return cast(HttpResponse, response)


@require_GET
@org_view(Role.PROGRAM_MANAGER)
def export_xlsx(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Every table of the dashboard (the activity detail apart) as one workbook."""
    form = _filters(request, membership)
    refused = _bad_filters(form)
    if refused is not None:
        return refused
    board = figures.dashboard(form.scope())
    response = HttpResponse(
        exports.xlsx_bytes(exports.tables(board)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = _export_name(membership, board.scope, "dashboard", "xlsx")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def settings_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    """What clicks, interactions and impressions are worth; who counts as regular."""
    options = figures.settings_for(membership.org_id)
    form = AnalyticsSettingsForm(request.POST or None, instance=options)
    if request.method == "POST":
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in AnalyticsSettingsForm.Meta.fields}
            do_change_analytics_settings(membership, values)
            messages.success(request, _("Saved."))
            return redirect("dashboard", org=membership.org.slug)
        return render(request, "analytics/settings.html", {"form": form}, status=400)
    return render(request, "analytics/settings.html", {"form": form})


@require_GET
@org_view(Role.PROGRAM_MANAGER)
def item_variants(
    request: HttpRequest, membership: Membership, contentitem_id: int
) -> HttpResponse:
    """How an item's caption variants do, compared honestly (a panel of the item's page)."""
    item = get_item(membership, contentitem_id)
    context = {"item": item, "groups": figures.variant_figures(item)}
    if request.headers.get("HX-Request"):
        return render(request, "analytics/_variants.html", context)
    return render(request, "analytics/variants.html", context)
