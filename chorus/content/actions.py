"""Actions on the content hub: one transaction each, audited, side effects after commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from chorus.content.models import (
    Campaign,
    Caption,
    ContentImage,
    ContentItem,
    CuratedEntry,
    ImportJob,
    Source,
    Suggestion,
    Topic,
)
from chorus.content.signals import campaign_created, item_published
from chorus.lib.images import CleanImage
from chorus.lib.language import detect_language
from chorus.lib.urls import canonicalize_url
from chorus.orgs.actions import audit
from chorus.orgs.models import Membership
from chorus.webhooks.events import emit

ITEM_FIELDS = (
    "kind",
    "title",
    "url",
    "summary",
    "talking_points",
    "engagement_tip",
    "conversation_starter",
    "image",
    "image_url",
    "site_name",
    "language",
    "campaign",
    "status",
    "publish_at",
    "expire_at",
    "pinned",
    "internal_only",
)


def canonical_or_blank(url: str) -> str:
    try:
        return canonicalize_url(url) if url else ""
    except ValueError:
        return ""


def _schedule_preview(item: ContentItem) -> None:
    from chorus.content.tasks import fetch_item_preview

    transaction.on_commit(lambda: fetch_item_preview(item.pk))


def do_refresh_preview(actor: Membership, item: ContentItem) -> bool:
    """Fetch the item's link preview again (in the worker); False when it has no link."""
    if not item.url:
        return False
    ContentItem.objects.filter(pk=item.pk).update(preview_status=ContentItem.Preview.PENDING)
    _schedule_preview(item)
    return True


def do_poll_now(actor: Membership, source: Source) -> None:
    """Poll a source now rather than at its next turn (the worker fetches it)."""
    from chorus.content.tasks import poll_one_source

    Source.objects.filter(pk=source.pk).update(next_poll_at=None)
    poll_one_source(source.pk)


def _announce_published(item: ContentItem) -> None:
    """`content.published` to the organisation's webhooks, written with the change."""
    data = {
        "id": item.pk,
        "title": item.title,
        "url": item.url,
        "kind": item.kind,
        "language": item.language,
        "campaign_id": item.campaign_id,
        "publish_at": item.publish_at,
        "internal_only": item.internal_only,
    }
    emit(item.org_id, "content.published", data)
    item_published.send(sender=ContentItem, item=item)


@transaction.atomic
def do_save_item(
    actor: Membership,
    item: ContentItem | None,
    data: dict[str, Any],
    *,
    topics: Iterable[Topic] | None = None,
    fetch_preview: bool = True,
) -> ContentItem:
    """Create (item=None) or update a content item from cleaned form or API data.

    A new or changed URL is canonicalised and its preview fetched by the worker; the
    language is detected unless a person chose it.
    """
    creating = item is None
    if item is None:
        item = ContentItem(org=actor.org, created_by=actor)
    old_url = item.url
    changes: dict[str, list[Any]] = {}
    for field in ITEM_FIELDS:
        if field not in data:
            continue
        old = getattr(item, field)
        if old != data[field]:
            changes[field] = [_short(old), _short(data[field])]
            setattr(item, field, data[field])
    if not item.title.strip():
        # Only a link was given: the preview fills the real title.
        item.title = item.url[:300]
    if "language" in data:
        item.language_locked = bool(data["language"])
    if not item.language_locked:
        item.language = detect_language(f"{item.title}. {item.summary}") or item.language
    item.canonical_url = canonical_or_blank(item.url)
    url_changed = item.url != old_url
    if url_changed:
        item.preview_status = ContentItem.Preview.PENDING if item.url else ContentItem.Preview.NONE
        item.preview_error = ""
    item.save()
    if topics is not None:
        before = set(item.topics.values_list("pk", flat=True)) if not creating else set()
        item.topics.set(topics)
        after = {topic.pk for topic in topics}
        if before != after:
            changes["topics"] = [sorted(before), sorted(after)]
    if creating or changes:
        audit(
            actor.org,
            actor.user,
            "content.create" if creating else "content.change",
            item,
            {} if creating else changes,
        )
    if url_changed and item.url and fetch_preview:
        _schedule_preview(item)
    if item.status == ContentItem.Status.PUBLISHED and (creating or "status" in changes):
        _announce_published(item)
    return item


def _short(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int)):
        return value
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


@transaction.atomic
def do_set_items_status(actor: Membership, items: Iterable[ContentItem], status: str) -> int:
    """Publish, archive or return items to draft in bulk; returns how many changed."""
    changed = 0
    for item in items:
        if item.org_id != actor.org_id or item.status == status:
            continue
        audit(actor.org, actor.user, "content.status", item, {"status": [item.status, status]})
        item.status = status
        item.save(update_fields=["status", "updated_at"])
        if status == ContentItem.Status.PUBLISHED:
            _announce_published(item)
        changed += 1
    return changed


@transaction.atomic
def do_delete_items(actor: Membership, items: Iterable[ContentItem]) -> int:
    deleted = 0
    for item in items:
        if item.org_id != actor.org_id:
            continue
        audit(actor.org, actor.user, "content.delete", item)
        item.delete()
        deleted += 1
    return deleted


@transaction.atomic
def do_save_caption(
    actor: Membership,
    item: ContentItem,
    caption: Caption | None,
    *,
    network: str,
    language: str,
    text: str,
) -> Caption:
    if caption is None:
        caption = Caption(org=actor.org, item=item)
    caption.network, caption.language, caption.text = network, language, text
    caption.save()
    audit(actor.org, actor.user, "caption.save", item, {"network": [None, network]})
    return caption


@transaction.atomic
def do_delete_caption(actor: Membership, caption: Caption) -> None:
    audit(
        actor.org, actor.user, "caption.delete", caption.item, {"network": [caption.network, None]}
    )
    caption.delete()


@transaction.atomic
def do_add_image(
    actor: Membership, item: ContentItem, image: CleanImage, *, alt_en: str, alt_fr: str
) -> ContentImage:
    """Add an image (already checked and cleaned, `lib.images.clean_upload`) after the
    item's others; audited as "image.add"."""
    last = item.images.aggregate(last=Max("position"))["last"]
    added = ContentImage(
        org=actor.org,
        item=item,
        position=0 if last is None else last + 1,
        width=image.width,
        height=image.height,
        alt_en=alt_en.strip(),
        alt_fr=alt_fr.strip(),
    )
    added.file.save(f"image.{image.extension}", ContentFile(image.data), save=False)
    added.save()
    audit(actor.org, actor.user, "image.add", item, {"image": [None, added.pk]})
    return added


@transaction.atomic
def do_describe_image(actor: Membership, image: ContentImage, *, alt_en: str, alt_fr: str) -> None:
    """Change an image's descriptions; audited as "image.describe"."""
    image.alt_en, image.alt_fr = alt_en.strip(), alt_fr.strip()
    image.save(update_fields=["alt_en", "alt_fr"])
    audit(actor.org, actor.user, "image.describe", image.item, {"image": [image.pk, image.pk]})


@transaction.atomic
def do_move_image(actor: Membership, image: ContentImage, direction: int) -> None:
    """Swap an image with the one before (-1) or after (+1) it."""
    images = list(ContentImage.objects.select_for_update().filter(item_id=image.item_id))
    index = next(i for i, other in enumerate(images) if other.pk == image.pk)
    other_index = index + direction
    if not 0 <= other_index < len(images):
        return
    images[index], images[other_index] = images[other_index], images[index]
    for position, each in enumerate(images):
        each.position = position
    ContentImage.objects.bulk_update(images, ["position"])


@transaction.atomic
def do_delete_image(actor: Membership, image: ContentImage) -> None:
    """Remove an image (and its file, once the transaction is committed)."""
    audit(actor.org, actor.user, "image.delete", image.item, {"image": [image.pk, None]})
    storage, name = image.file.storage, image.file.name
    image.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def do_save_campaign(
    actor: Membership,
    campaign: Campaign | None,
    data: dict[str, Any],
    *,
    teams: Iterable[Any] = (),
    personas: Iterable[Any] = (),
) -> Campaign:
    creating = campaign is None
    if campaign is None:
        campaign = Campaign(org=actor.org)
    for field, value in data.items():
        setattr(campaign, field, value)
    campaign.save()
    campaign.target_teams.set(teams)
    campaign.target_personas.set(personas)
    audit(actor.org, actor.user, "campaign.create" if creating else "campaign.change", campaign)
    if creating:
        campaign_created.send(sender=Campaign, campaign=campaign)
    return campaign


@transaction.atomic
def do_save_simple(actor: Membership, instance: Any, data: dict[str, Any], kind: str) -> Any:
    """Save a topic or persona (small objects with only plain fields)."""
    creating = instance.pk is None
    for field, value in data.items():
        setattr(instance, field, value)
    instance.org = actor.org
    instance.save()
    audit(actor.org, actor.user, f"{kind}.{'create' if creating else 'change'}", instance)
    return instance


@transaction.atomic
def do_save_source(
    actor: Membership, source: Source | None, data: dict[str, Any], *, topics: Iterable[Topic] = ()
) -> Source:
    creating = source is None
    if source is None:
        source = Source(org=actor.org)
    url_changed = source.url != data.get("url", source.url)
    for field, value in data.items():
        setattr(source, field, value)
    if creating or url_changed:
        # A new address starts afresh: poll soon, forget the old validators and errors.
        source.etag = source.last_modified = source.last_error = ""
        source.failure_count = 0
        source.next_poll_at = timezone.now()
    source.save()
    source.default_topics.set(topics)
    audit(actor.org, actor.user, "source.create" if creating else "source.change", source)
    return source


@transaction.atomic
def do_delete(actor: Membership, instance: Any, kind: str) -> None:
    audit(actor.org, actor.user, f"{kind}.delete", instance)
    instance.delete()


def _item_from_entry(actor: Membership | None, entry: CuratedEntry, status: str) -> ContentItem:
    item = ContentItem.objects.create(
        org=entry.org,
        kind=ContentItem.Kind.LINK,
        title=entry.title[:300],
        url=entry.url,
        canonical_url=entry.canonical_url,
        summary=entry.summary,
        image_url=entry.image_url,
        site_name=entry.source.feed_title[:200] or entry.source.name,
        language=entry.language if entry.language in ("en", "fr") else "",
        status=status,
        created_by=actor,
    )
    if not item.language:
        item.language = detect_language(f"{item.title}. {item.summary}")
        item.save(update_fields=["language"])
    item.topics.set(entry.source.default_topics.all())
    return item


@transaction.atomic
def do_promote_entry(actor: Membership, entry: CuratedEntry) -> ContentItem:
    """Turn a curated entry into a draft item, prefilled, with the source's topics."""
    entry = CuratedEntry.objects.select_for_update().select_related("source").get(pk=entry.pk)
    if entry.content_item_id:
        return entry.content_item  # type: ignore[return-value]
    item = _item_from_entry(actor, entry, ContentItem.Status.DRAFT)
    entry.status = CuratedEntry.Status.PROMOTED
    entry.content_item = item
    entry.save(update_fields=["status", "content_item"])
    audit(actor.org, actor.user, "curation.promote", item)
    return item


@transaction.atomic
def do_dismiss_entry(actor: Membership, entry: CuratedEntry) -> None:
    if entry.status == CuratedEntry.Status.NEW:
        entry.status = CuratedEntry.Status.DISMISSED
        entry.save(update_fields=["status"])
        audit(actor.org, actor.user, "curation.dismiss", entry)


def auto_publish_entry(entry: CuratedEntry) -> ContentItem:
    """Publish an entry of a trusted source (the caller checked the daily cap)."""
    item = _item_from_entry(None, entry, ContentItem.Status.PUBLISHED)
    entry.status = CuratedEntry.Status.AUTO_PUBLISHED
    entry.content_item = item
    entry.save(update_fields=["status", "content_item"])
    _announce_published(item)
    return item


@transaction.atomic
def do_suggest(member: Membership, *, url: str, text: str, note: str) -> Suggestion:
    suggestion = Suggestion.objects.create(
        org=member.org, suggested_by=member, url=url, text=text, note=note
    )
    audit(member.org, member.user, "suggestion.create", suggestion)
    data = {"id": suggestion.pk, "url": url, "text": text, "note": note, "member_id": member.pk}
    emit(member.org_id, "suggestion.created", data, subject=member.pk)
    return suggestion


@transaction.atomic
def do_accept_suggestion(actor: Membership, suggestion: Suggestion) -> ContentItem:
    """Accept: a draft item credited to the suggester, for the programme to complete."""
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status != Suggestion.Status.PENDING:
        raise ValueError("This suggestion was already decided.")
    first_line = (suggestion.text.strip().splitlines() or [""])[0]
    item = do_save_item(
        actor,
        None,
        {
            "kind": ContentItem.Kind.LINK if suggestion.url else ContentItem.Kind.TEXT,
            "title": (first_line or suggestion.url)[:300],
            "url": suggestion.url,
            "summary": suggestion.text,
            "status": ContentItem.Status.DRAFT,
        },
    )
    item.suggested_by = suggestion.suggested_by
    item.save(update_fields=["suggested_by"])
    suggestion.status = Suggestion.Status.ACCEPTED
    suggestion.content_item = item
    suggestion.decided_by = actor
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "content_item", "decided_by", "decided_at"])
    audit(actor.org, actor.user, "suggestion.accept", suggestion)
    return item


@transaction.atomic
def do_decline_suggestion(actor: Membership, suggestion: Suggestion, reason: str) -> None:
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status != Suggestion.Status.PENDING:
        raise ValueError("This suggestion was already decided.")
    suggestion.status = Suggestion.Status.DECLINED
    suggestion.decline_reason = reason
    suggestion.decided_by = actor
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "decline_reason", "decided_by", "decided_at"])
    audit(actor.org, actor.user, "suggestion.decline", suggestion, {"reason": [None, reason]})


@transaction.atomic
def do_start_import(
    actor: Membership,
    filename: str,
    rows: list[tuple[int, dict[str, str]]],
    left_out: list[tuple[int, str]],
) -> ImportJob:
    """Keep a checked CSV upload's rows as an import job; the worker imports them after commit."""
    from chorus.content.tasks import run_import_job

    job = ImportJob.objects.create(
        org=actor.org,
        created_by=actor,
        filename=filename[:255],
        rows=[[number, row] for number, row in rows],
        rows_total=len(rows),
        refused=[[number, reason] for number, reason in left_out],
    )
    audit(actor.org, actor.user, "content.import", job, {"rows": [None, len(rows)]})
    transaction.on_commit(lambda: run_import_job(job.pk))
    return job
