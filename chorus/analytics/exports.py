"""The dashboard's tables as CSV and XLSX: the same tables the page shows, from the same
figures, plus the person-level activity detail (CSV)."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.analytics import figures
from chorus.analytics.figures import Dashboard, Measures, Row, Scope
from chorus.analytics.rollups import MEASURES

Cell = str | int | float | Decimal | date | None

TABLES = [
    ("summary", gettext_lazy("Summary")),
    ("over_time", gettext_lazy("Over time")),
    ("networks", gettext_lazy("Networks")),
    ("teams", gettext_lazy("Teams")),
    ("campaigns", gettext_lazy("Campaigns")),
    ("content", gettext_lazy("Content")),
    ("funnel", gettext_lazy("Funnel")),
    ("retention", gettext_lazy("Retention")),
    ("kpis", gettext_lazy("Campaign KPIs")),
    ("activity", gettext_lazy("Activity detail")),
]
# The activity detail can be long: CSV only, streamed.
DETAIL_DIMENSIONS = ["membership", "team", "campaign", "item", "network"]
XLSX_TABLES = [name for name, _label in TABLES if name != "activity"]


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: Iterable[list[Cell]]
    # The rows' text is guarded against formulas already (long tables do it once per name).
    guarded: bool = False


def measure_columns() -> list[tuple[str, Callable[[Measures], Cell]]]:
    """The measure columns of every table, in order."""
    columns: list[tuple[str, Callable[[Measures], Cell]]] = [
        (_("Shares"), lambda m: m.shares),
        (_("Original shares"), lambda m: m.original_shares),
        (_("Published by Chorus"), lambda m: m.api_shares),
        (_("Potential reach"), lambda m: m.potential_reach),
        (_("Human clicks"), lambda m: m.clicks),
        (_("Unique visitors"), lambda m: m.unique_visitors),
        (_("Bot clicks"), lambda m: m.bot_clicks),
        (_("Engagement"), lambda m: m.engagement),
        (_("Conversions"), lambda m: m.conversions),
        (_("Leads"), lambda m: m.leads),
        (_("Conversion value"), lambda m: m.conversion_value),
    ]
    return columns


def _rows_table(name: str, title: str, first: str, rows: list[Row], board: Dashboard) -> Table:
    columns = measure_columns()
    with_active = any(row.active is not None for row in rows)
    headers = [first, *([_("Active ambassadors")] if with_active else [])]
    headers += [label for label, _getter in columns]
    body = [
        [row.label, *([row.active] if with_active else []), *(g(row.measures) for _l, g in columns)]
        for row in rows
    ]
    return Table(name, title, headers, body)


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def summary_rows(board: Dashboard) -> list[list[Cell]]:
    m, scope, value = board.totals, board.scope, board.earned_media
    rows: list[list[Cell]] = [
        [_("From"), scope.start],
        [_("To"), scope.end],
        [_("Shares"), m.shares],
        [_("Original shares"), m.original_shares],
        [_("Original shares (%)"), _percent(m.original_rate)],
        [_("Average own words (%)"), _percent(m.average_originality)],
        [_("Published by Chorus"), m.api_shares],
        [_("Shared from a device"), m.intent_shares],
        [_("Active ambassadors"), board.active],
        [_("Potential reach"), m.potential_reach],
        [_("Human clicks"), m.clicks],
        [_("Unique visitors"), m.unique_visitors],
        [_("Bot clicks"), m.bot_clicks],
        [_("Engagement"), m.engagement],
        [_("Measured impressions"), m.impressions],
        [_("Conversions"), m.conversions],
        [_("Leads"), m.leads],
        [_("Conversion value"), m.conversion_value],
        [_("Earned media value"), value.total],
        [_("Earned media value: clicks"), value.clicks],
        [_("Earned media value: engagement"), value.engagement],
        [_("Earned media value: impressions"), value.impressions],
        [_("Currency"), value.currency],
    ]
    return rows


def tables(board: Dashboard) -> dict[str, Table]:
    """Every table of the dashboard, by name (the activity detail apart: `activity_table`)."""
    columns = measure_columns()
    retention_headers = [_("Joined in"), _("People")] + [
        _("Month %(number)s (%%)") % {"number": index} for index in range(board.retention.months)
    ]
    return {
        "summary": Table("summary", _("Summary"), [_("Figure"), _("Value")], summary_rows(board)),
        "over_time": Table(
            "over_time",
            _("Over time"),
            [_("Period starting"), *(label for label, _g in columns)],
            [[day, *(g(m) for _l, g in columns)] for day, m in board.series],
        ),
        "networks": _rows_table("networks", _("Networks"), _("Network"), board.networks, board),
        "teams": _rows_table("teams", _("Teams"), _("Team"), board.teams, board),
        "campaigns": _rows_table(
            "campaigns", _("Campaigns"), _("Campaign"), board.campaigns, board
        ),
        "content": _rows_table("content", _("Content"), _("Content"), board.content, board),
        "funnel": Table(
            "funnel",
            _("Funnel"),
            [_("Stage"), _("People")],
            [[label, count] for _code, label, count in board.funnel.stages()],
        ),
        "retention": Table(
            "retention",
            _("Retention"),
            retention_headers,
            [
                [cohort.month, cohort.size, *(_percent(rate) for rate in cohort.rates)]
                for cohort in board.retention.cohorts
            ],
        ),
        "kpis": Table(
            "kpis",
            _("Campaign KPIs"),
            [_("Campaign"), _("Objective"), _("KPI"), _("Value")],
            [
                [result.name, result.objective_label, kpi.label, kpi.value]
                for result in board.campaign_kpis
                for kpi in result.kpis
            ],
        ),
    }


def activity_table(scope: Scope) -> Table:
    """Per day, person, team, campaign, content and network: the detail behind the figures."""
    columns = measure_columns()
    # The measures of a row by position, in the order of the columns (the rows are plain
    # tuples: this table can be long).
    wanted = [
        "shares",
        "original_shares",
        "api_shares",
        "potential_reach",
        "clicks",
        "unique_visitors",
        "bot_clicks",
        "engagement",
        "conversions",
        "leads",
        "conversion_value",
    ]
    positions = [6 + MEASURES.index(name) for name in wanted]

    def rows() -> Iterator[list[Cell]]:
        labels: dict[str, dict[Any, str]] = defaultdict(dict)
        batch: list[Any] = []
        for row in figures.activity_rows(scope):
            batch.append(row)
            if len(batch) == 5000:
                yield from named(batch, labels)
                batch = []
        yield from named(batch, labels)

    def named(batch: list[Any], labels: dict[str, dict[Any, str]]) -> Iterator[list[Cell]]:
        # Names looked up once per batch and dimension, not once per line.
        for index, by in enumerate(DETAIL_DIMENSIONS, start=1):
            missing = {row[index] for row in batch} - labels[by].keys()
            if missing:
                found = figures.labels_for(scope.org_id, by, list(missing))
                labels[by].update({key: _safe(found.get(key, str(key))) for key in missing})
        people, teams, campaigns, items, networks = (labels[by] for by in DETAIL_DIMENSIONS)
        money = figures.money
        for row in batch:
            cells: list[Cell] = [
                figures.as_date(row[0]),
                people[row[1]],
                teams[row[2]],
                campaigns[row[3]],
                items[row[4]],
                networks[row[5]],
            ]
            cells.extend(row[position] for position in positions)
            cells[-1] = money(cells[-1])
            yield cells

    headers = [_("Day"), _("Ambassador"), _("Team"), _("Campaign"), _("Content"), _("Network")]
    return Table(
        "activity", _("Activity detail"), headers + [c for c, _g in columns], rows(), guarded=True
    )


def _text(value: Cell) -> Cell:
    """A cell as the CSV writer should see it: numbers as they are (no formula can start
    with a digit), text kept from running as a formula, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _safe(value)
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return _safe(str(value))


class _Lines:
    """A file-like object that keeps what the CSV writer writes, to hand it out in chunks."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, value: str) -> None:
        self.parts.append(value)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


# Lines sent together: a long export goes out in chunks of tens of kilobytes, not line by line.
CSV_CHUNK_LINES = 500


def csv_lines(table: Table) -> Iterator[str]:
    """The table as CSV text (header first), produced in chunks of lines as it is read."""
    out = _Lines()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    waiting = 0
    for row in table.rows:
        # Numbers, dates and None (an empty cell) are written as they are.
        writer.writerow(row if table.guarded else [_text(cell) for cell in row])
        waiting += 1
        if waiting == CSV_CHUNK_LINES:
            yield out.take()
            waiting = 0
    yield out.take()


def _safe(text: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def xlsx_bytes(all_tables: dict[str, Table]) -> bytes:
    """The tables as one workbook, a sheet each."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name in XLSX_TABLES:
        table = all_tables[name]
        sheet = workbook.create_sheet(title=str(table.title)[:31])
        sheet.append(table.headers)
        for row in table.rows:
            sheet.append([_xlsx_cell(cell) for cell in row])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(value: Cell) -> Cell:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never a formula
    return value
