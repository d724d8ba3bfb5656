"""CSV import of content items: the upload checked in the request, rows imported by the worker
with a reason for each row refused."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chorus.content import actions
from chorus.content.forms import ContentItemForm
from chorus.content.models import Campaign, ContentItem, ImportJob, Topic
from chorus.orgs.models import Membership

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
logger = logging.getLogger(__name__)
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


class ImportRefused(Exception):
    """The file as a whole cannot be imported; nothing was created."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class CheckedFile:
    """An upload that can be imported: its rows by line number, and the lines left out."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    left_out: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def check_upload(upload: IO[bytes]) -> CheckedFile:
    """Read and check a CSV upload in the request: size, encoding, columns, every cell.

    Raises ImportRefused, naming the line (and column) at fault, when the file cannot be
    imported at all; row-level problems (an unknown topic...) are left to the import itself.
    """
    raw = upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ImportRefused(_("The file is larger than 2 MB."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(_("The file is not UTF-8 text.")) from None
    lines = io.StringIO(text).readlines()  # as the csv reader counts them
    reader = csv.reader(io.StringIO(text))
    header: list[str] = []
    checked = CheckedFile()
    number = 1  # the line of the spreadsheet: the header is line 1
    last_line = 0  # the last physical line the reader consumed
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        last_line = reader.line_num
        if "title" not in header and "url" not in header:
            raise ImportRefused(
                _("The first line must name the columns, with at least title or url.")
            )
        for number, cells in enumerate(reader, start=2):
            last_line = reader.line_num
            if number - 1 > MAX_ROWS:
                checked.left_out.append(
                    (number, _("Only the first %(max)s rows are imported.") % {"max": MAX_ROWS})
                )
                break
            row = {
                name: (cells[index] if index < len(cells) else "").strip()
                for index, name in enumerate(header)
                if name
            }
            if any(row.values()):
                checked.rows.append((number, row))
    except csv.Error as error:
        number = number + 1 if header and last_line else 1
        if "field larger than field limit" not in str(error):
            raise ImportRefused(
                _("Line %(line)s cannot be read as CSV: %(error)s.")
                % {"line": number, "error": error}
            ) from None
        record = "".join(lines[last_line:])
        index = _long_cell_column(record, csv.field_size_limit())
        column = header[index] if index < len(header) and header[index] else str(index + 1)
        raise ImportRefused(
            _("Line %(line)s, column %(column)s: the cell is longer than %(max)s characters.")
            % {"line": number, "column": column, "max": f"{csv.field_size_limit():,}"}
        ) from None
    return checked


def _long_cell_column(record: str, limit: int) -> int:
    """The index of the first cell longer than `limit` in one CSV record (0 if none is)."""
    column, length, quoted, index = 0, 0, False, 0
    while index < len(record):
        char = record[index]
        if quoted:
            if char == '"' and record[index + 1 : index + 2] == '"':
                index += 1
                length += 1
            elif char == '"':
                quoted = False
            else:
                length += 1
        elif char == '"':
            quoted = True
        elif char == ",":
            column, length = column + 1, 0
        elif char in "\r\n":
            break
        else:
            length += 1
        if length > limit:
            return column
        index += 1
    return 0


def import_rows(job: ImportJob, *, progress_every: int = 50) -> None:
    """Import the job's rows as items (worker side); each refused row is kept with its reason.

    Progress is written every `progress_every` rows, for the page that polls it.
    """
    membership = job.created_by
    if membership is None:
        raise ImportRefused(_("The person who started this import is no longer a member."))
    topics = {topic.name.lower(): topic for topic in Topic.objects.filter(org=job.org)}
    campaigns = {campaign.slug: campaign for campaign in Campaign.objects.filter(org=job.org)}
    refused = [list(entry) for entry in job.refused]
    created = 0
    for done, (number, row) in enumerate(job.rows, start=1):
        message = _import_row(membership, row, topics, campaigns)
        if message:
            refused.append([number, message])
        else:
            created += 1
        if done % progress_every == 0:
            ImportJob.objects.filter(pk=job.pk).update(rows_done=done, created_count=created)
    refused.sort(key=lambda entry: entry[0])
    job.rows_done, job.created_count, job.refused = len(job.rows), created, refused


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


def run_job(job_id: int) -> None:
    """Claim a waiting import job, import its rows, and record the outcome (worker side)."""
    started = timezone.now()
    # Another worker claimed it first, or it already ran: nothing to do.
    if not ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, started_at=started
    ):
        return
    job = ImportJob.objects.select_related("org", "created_by__user").get(pk=job_id)
    person = job.created_by
    # Reasons are stored as text: in the language of the person who will read them.
    language = (person.user.language if person else "") or job.org.default_language
    try:
        with translation.override(language):
            import_rows(job)
    except Exception as error:
        logger.exception("Import %s failed", job_id)
        job.status = ImportJob.Status.FAILED
        job.error = (error.message if isinstance(error, ImportRefused) else str(error))[:500]
    else:
        job.status = ImportJob.Status.DONE
    job.rows = []  # imported or refused: the file's content is no longer needed
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "error",
            "rows",
            "rows_done",
            "created_count",
            "refused",
            "finished_at",
        ]
    )
