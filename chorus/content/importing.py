"""CSV import of content items with a per-row error report."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from chorus.content import actions
from chorus.content.forms import ContentItemForm
from chorus.content.models import Campaign, ContentItem, Topic
from chorus.orgs.models import Membership

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
COLUMNS = (
    "title",
    "url",
    "kind",
    "summary",
    "language",
    "topics",
    "campaign",
    "status",
    "talking_points",
    "engagement_tip",
    "conversation_starter",
)


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)


def import_items(membership: Membership, upload: IO[bytes]) -> ImportReport:
    """Import each valid row as an item; report each invalid row with its line number."""
    report = ImportReport()
    raw = upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        report.errors.append((0, _("The file is larger than 2 MB.")))
        return report
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append((0, _("The file is not UTF-8 text.")))
        return report
    reader = csv.DictReader(io.StringIO(text))
    headers = {name.strip().lower() for name in reader.fieldnames or [] if name}
    if "title" not in headers and "url" not in headers:
        report.errors.append(
            (1, _("The first line must name the columns, with at least title or url."))
        )
        return report
    topics = {topic.name.lower(): topic for topic in Topic.objects.filter(org=membership.org)}
    campaigns = {
        campaign.slug: campaign for campaign in Campaign.objects.filter(org=membership.org)
    }
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            report.errors.append(
                (number, _("Only the first %(max)s rows are imported.") % {"max": MAX_ROWS})
            )
            break
        row = {
            (key or "").strip().lower(): (value or "").strip() for key, value in row.items() if key
        }
        if not any(row.values()):
            continue
        message = _import_row(membership, row, topics, campaigns)
        if message:
            report.errors.append((number, message))
        else:
            report.imported += 1
    return report


def _import_row(
    membership: Membership,
    row: dict[str, Any],
    topics: dict[str, Topic],
    campaigns: dict[str, Campaign],
) -> str:
    names = [name.strip() for name in row.get("topics", "").split("|") if name.strip()]
    unknown = [name for name in names if name.lower() not in topics]
    if unknown:
        return _("Unknown topic(s): %(names)s.") % {"names": ", ".join(unknown)}
    campaign = row.get("campaign", "")
    if campaign and campaign not in campaigns:
        return _("Unknown campaign: %(slug)s.") % {"slug": campaign}
    data = {
        "title": row.get("title", ""),
        "url": row.get("url", ""),
        "kind": row.get("kind") or ContentItem.Kind.LINK,
        "summary": row.get("summary", ""),
        "language": row.get("language", ""),
        "status": row.get("status") or ContentItem.Status.DRAFT,
        "talking_points": row.get("talking_points", ""),
        "engagement_tip": row.get("engagement_tip", ""),
        "conversation_starter": row.get("conversation_starter", ""),
        "topics": [topics[name.lower()].pk for name in names],
        "campaign": campaigns[campaign].pk if campaign else "",
    }
    form = ContentItemForm(data, org=membership.org)
    if not form.is_valid():
        return " ".join(
            f"{field if field != '__all__' else ''}: {' '.join(str(e) for e in errors)}".strip(": ")
            for field, errors in form.errors.items()
        )
    cleaned = {key: value for key, value in form.cleaned_data.items() if key != "topics"}
    if not cleaned.get("language"):
        cleaned.pop("language", None)
    if not cleaned.get("image"):
        cleaned.pop("image", None)
    with transaction.atomic():
        actions.do_save_item(
            membership,
            None,
            cleaned,
            topics=form.cleaned_data["topics"],
            fetch_preview=not row.get("title"),
        )
    return ""
