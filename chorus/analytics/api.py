"""API of the programme's figures: the dashboard's tables (as the exports give them), one
table as CSV, the analytics settings, programme health and its thresholds. Program managers
and admins, as on the pages."""

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, ModelSchema, Query, Router, Schema
from pydantic import ConfigDict

from chorus.analytics import exports, figures
from chorus.analytics.actions import do_change_analytics_settings
from chorus.analytics.forms import AnalyticsSettingsForm, DashboardFilterForm
from chorus.analytics.health import health_report
from chorus.analytics.health_forms import HealthThresholdsForm
from chorus.analytics.models import AnalyticsSettings
from chorus.api.common import Date, ErrorOut, Id, Invalid, InvalidOut, form_errors, patched, require
from chorus.orgs.models import Membership, Role
from chorus.program.actions import do_change_thresholds
from chorus.program.models import HealthThresholds

router = Router(tags=["analytics"])
TABLE_NAMES = [name for name, _label in exports.TABLES]


class DashboardFilters(Schema):
    period: str = Field("", description="7, 30, 90, 365, month, last_month or custom.")
    start: Date | None = Field(None, description="With period=custom.")
    end: Date | None = Field(None, description="With period=custom.")
    team: Id | None = None
    campaign: Id | None = None
    network: str = ""


class TableOut(Schema):
    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]] = Field(..., description="Cells: numbers, text, ISO dates or null.")


class DashboardOut(Schema):
    start: date
    end: date
    tables: list[TableOut]


def _scope(membership: Membership, filters: DashboardFilters) -> figures.Scope:
    data = {key: value for key, value in filters.dict().items() if value not in (None, "")}
    form = DashboardFilterForm(membership, data or None)
    if form.is_bound and not form.is_valid():
        raise Invalid(form_errors(form))
    return form.scope()


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


@router.get(
    "/dashboard",
    response={200: DashboardOut, 400: InvalidOut, 403: ErrorOut},
    summary="The dashboard's figures for a period and filters, table by table",
    description="The same tables as the dashboard's exports (summary, over time, networks, "
    "teams, campaigns, content, funnel, retention, KPIs); the activity detail is "
    "`GET /dashboard/export?table=activity`.",
)
def dashboard(request: HttpRequest, filters: Query[DashboardFilters]) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    scope = _scope(membership, filters)
    tables = exports.tables(figures.dashboard(scope))
    return {
        "start": scope.start,
        "end": scope.end,
        "tables": [
            {
                "name": table.name,
                "title": str(table.title),
                "headers": [str(header) for header in table.headers],
                "rows": [[_cell(cell) for cell in row] for row in table.rows],
            }
            for name, table in tables.items()
            if name in TABLE_NAMES
        ],
    }


@router.get(
    "/dashboard/export",
    response={200: None, 400: InvalidOut, 403: ErrorOut},
    summary="One table of the dashboard as CSV",
    openapi_extra={
        "responses": {
            200: {
                "description": "The table as CSV, header first.",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def export_csv(
    request: HttpRequest,
    filters: Query[DashboardFilters],
    table: Literal[tuple(TABLE_NAMES)] = "summary",  # type: ignore[valid-type]
) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    scope = _scope(membership, filters)
    if table == "activity":
        chosen = exports.activity_table(scope)
    else:
        chosen = exports.tables(figures.dashboard(scope))[table]
    response = StreamingHttpResponse(exports.csv_lines(chosen), content_type="text/csv")
    name = f"{membership.org.slug}-{table}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class AnalyticsSettingsOut(ModelSchema):
    class Meta:
        model = AnalyticsSettings
        fields = AnalyticsSettingsForm.Meta.fields


class AnalyticsSettingsPatch(ModelSchema):
    class Meta:
        model = AnalyticsSettings
        fields = AnalyticsSettingsForm.Meta.fields
        fields_optional = "__all__"


@router.get(
    "/dashboard/settings",
    response={200: AnalyticsSettingsOut, 403: ErrorOut},
    tags=["settings"],
    summary="What clicks, engagement and impressions are worth; who counts as regular",
)
def get_analytics_settings(request: HttpRequest) -> Any:
    return figures.settings_for(require(request, Role.PROGRAM_MANAGER).org_id)


@router.patch(
    "/dashboard/settings",
    response={200: AnalyticsSettingsOut, 400: InvalidOut, 403: ErrorOut},
    tags=["settings"],
    summary="Change the analytics settings (send only the fields to change)",
)
def patch_analytics_settings(request: HttpRequest, payload: AnalyticsSettingsPatch) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    form = patched(
        AnalyticsSettingsForm,
        figures.settings_for(membership.org_id),
        payload.dict(exclude_unset=True),
    )
    values = {name: form.cleaned_data[name] for name in AnalyticsSettingsForm.Meta.fields}
    do_change_analytics_settings(membership, values)
    return figures.settings_for(membership.org_id)


# --- Programme health ---------------------------------------------------------------------


class FigureOut(Schema):
    key: str
    label: str
    value: float | int | None
    unit: str


class HealthCheckOut(Schema):
    key: str
    number: int = Field(..., description="Which of the seven classic failures.")
    title: str
    status: str
    figures: list[FigureOut]
    advice: str
    note: str
    rule: str


@router.get(
    "/health",
    response={200: list[HealthCheckOut], 403: ErrorOut},
    summary="Programme health: the seven classic failures as checks, with advice",
)
def health(request: HttpRequest) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    return [
        {
            "key": check.key,
            "number": check.number,
            "title": str(check.title),
            "status": check.status,
            "figures": [
                {"key": f.key, "label": str(f.label), "value": f.value, "unit": f.unit}
                for f in check.figures
            ],
            "advice": str(check.advice),
            "note": str(check.note),
            "rule": str(check.rule),
        }
        for check in health_report(membership.org)
    ]


class ThresholdsOut(ModelSchema):
    class Meta:
        model = HealthThresholds
        fields = HealthThresholdsForm.Meta.fields


class ThresholdsPatch(ModelSchema):
    class Meta:
        model = HealthThresholds
        fields = HealthThresholdsForm.Meta.fields
        fields_optional = "__all__"

    # Numbers only: pydantic would read true as 1 and "5" as 5.
    model_config = ConfigDict(strict=True)


@router.get(
    "/health/thresholds",
    response={200: ThresholdsOut, 403: ErrorOut},
    tags=["settings"],
    summary="Where each health check turns to watch and to act",
)
def get_thresholds(request: HttpRequest) -> Any:
    return HealthThresholds.for_org(require(request, Role.PROGRAM_MANAGER).org)


@router.patch(
    "/health/thresholds",
    response={200: ThresholdsOut, 400: InvalidOut, 403: ErrorOut},
    tags=["settings"],
    summary="Change the health thresholds (send only the fields to change)",
)
def patch_thresholds(request: HttpRequest, payload: ThresholdsPatch) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    form = patched(
        HealthThresholdsForm,
        HealthThresholds.for_org(membership.org),
        payload.dict(exclude_unset=True),
    )
    values = {name: form.cleaned_data[name] for name in HealthThresholdsForm.Meta.fields}
    do_change_thresholds(membership, values)
    return HealthThresholds.for_org(membership.org)
