"""Sharing actions: connecting and disconnecting networks, creating, scheduling and
cancelling shares. Views and the API call these; they never touch the models directly."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.content.models import Caption, ContentImage, ContentItem
from chorus.governance.rules import Verdict, judge
from chorus.integrations import registry
from chorus.integrations.base import Account, Published, PublishError, ReconnectError
from chorus.integrations.capabilities import Integration
from chorus.links.actions import LinkError, link_for, short_url
from chorus.orgs.actions import audit, do_change_settings
from chorus.orgs.models import Membership
from chorus.program.models import is_participant
from chorus.sharing.models import (
    Connection,
    EngagementTask,
    EngagementTaskDone,
    MastodonApp,
    Review,
    Share,
)
from chorus.sharing.originality import NEAR_DUPLICATE_THRESHOLD, own_words, signature, similarity
from chorus.sharing.scheduling import policy_of

logger = logging.getLogger(__name__)


def has_connection(membership: Membership) -> bool:
    """The onboarding step "a network connected"."""
    return Connection.objects.filter(
        membership=membership, status=Connection.Status.ACTIVE
    ).exists()


def has_shared(membership: Membership) -> bool:
    """The onboarding step "first share"."""
    return Share.objects.filter(membership=membership, status=Share.Status.PUBLISHED).exists()


def revoke_remote(connection: Connection) -> None:
    """Ask the network to revoke the token, where it allows it; never fails the caller."""
    client = registry.client_for(connection.network)
    if client is None:
        return
    try:
        client.revoke(connection.credentials)
    except Exception:  # a network that is down must not keep the token alive here
        logger.warning("revoking %s failed", connection.pk, exc_info=True)


@transaction.atomic
def do_connect(
    membership: Membership, network: str, account: Account, credentials: dict[str, Any]
) -> Connection:
    """Create the connection, or refresh the existing one (reconnecting in one step);
    audited as "connection.connect"."""
    expires = credentials.get("expires_at")
    connection = (
        Connection.objects.select_for_update()
        .filter(membership=membership, network=network)
        .exclude(status=Connection.Status.REVOKED)
        .first()
    ) or Connection(org=membership.org, membership=membership, network=network)
    connection.handle = account.handle[:255]
    connection.remote_id = account.remote_id[:255]
    connection.credentials = credentials
    connection.status = Connection.Status.ACTIVE
    connection.expires_at = datetime.fromisoformat(expires) if expires else None
    connection.expiry_warned_at = None
    connection.last_error = ""
    connection.save()
    audit(membership.org, membership.user, "connection.connect", connection)
    return connection


class ServerApps:
    """Chorus's OAuth applications on the servers people name (`MastodonApp`, encrypted),
    as connect flows ask for them (`integrations.capabilities.ServerApps`)."""

    def get(self, server: str) -> dict[str, str] | None:
        app = MastodonApp.objects.filter(instance=server).first()
        return dict(app.secrets) if app is not None else None

    def save(self, server: str, secrets: dict[str, str]) -> None:
        MastodonApp.objects.update_or_create(instance=server, defaults={"secrets": secrets})


@transaction.atomic
def do_disconnect(actor: Membership, connection: Connection) -> None:
    """Revoke and forget the tokens; pending API shares through it wait for a new one."""
    credentials_holder = Connection(network=connection.network, credentials=connection.credentials)
    connection.status = Connection.Status.REVOKED
    connection.credentials = {}
    connection.save(update_fields=["status", "credentials", "updated_at"])
    audit(connection.org, actor.user, "connection.disconnect", connection)
    transaction.on_commit(lambda: revoke_remote(credentials_holder))


@transaction.atomic
def on_participant_left(membership: Membership, *, anonymise: bool) -> None:
    """Scheduled shares cancelled, connections removed, attribution as chosen."""
    Share.objects.filter(
        membership=membership, status__in=[*Share.PENDING, Share.Status.DRAFT, Share.Status.REVIEW]
    ).update(status=Share.Status.CANCELLED, updated_at=timezone.now())
    for connection in Connection.objects.filter(membership=membership).exclude(
        status=Connection.Status.REVOKED
    ):
        do_disconnect(membership, connection)
    if anonymise:
        Share.objects.filter(membership=membership).update(membership=None)


def do_change_policy(actor: Membership, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Change the organisation's sharing policy with validated `values` (see
    SharingPolicyForm); audited as "policy.change" with each field's before and after."""
    policy = policy_of(actor.org_id)
    return do_change_settings(actor, policy, values, "policy.change")


# --- Composing and the queue ------------------------------------------------------------


class ShareRefused(Exception):
    """A share the rules do not allow; the message is for the person. `next_allowed`: when
    the sharing policy would allow it, when that is what stood in the way."""

    def __init__(self, message: str, next_allowed: datetime | None = None) -> None:
        super().__init__(message)
        self.next_allowed = next_allowed


def share_language(item: ContentItem, member: Membership) -> str:
    """The language a share is posted in (its images' descriptions follow it)."""
    return item.language or member.org.default_language


def shares_so_far(member: Membership, exclude: int | None = None) -> int:
    """How many shares the person made (any not cancelled), for "first shares" reviews."""
    found = Share.objects.filter(membership=member).exclude(status=Share.Status.CANCELLED)
    return (found.exclude(pk=exclude) if exclude is not None else found).count()


def governance_verdict(
    member: Membership, item: ContentItem, network: str, text: str, exclude: int | None = None
) -> Verdict:
    """Governance's verdict on the text (chorus.governance); ShareRefused when it refuses it:
    the disclosure was removed, or a refused word is there."""
    verdict = judge(
        member, item, network, text, shares_so_far=lambda: shares_so_far(member, exclude)
    )
    if not verdict.allowed:
        raise ShareRefused(" ".join(verdict.problems))
    return verdict


def hold_for_review(share: Share, verdict: Verdict, actor: Membership) -> Review:
    """Hold the share until a reviewer decides: nothing is published before."""
    review = Review.objects.create(
        org=share.org, share=share, reason=verdict.review_reason[:500], submitted_text=share.text
    )
    audit(share.org, actor.user, "share.review", share, {"reason": [None, review.reason]})
    return review


def compose_text(text: str, link_url: str, raw_urls: Iterable[str] = ()) -> str:
    """The person's text with their tracked link, added at the end if they removed it. The
    item's own address (`raw_urls`, as a caption may carry it) becomes the tracked link, so
    that a post never ends with two links to the same page."""
    text = text.strip()
    if link_url:
        for raw in {url for url in raw_urls if url and url != link_url}:
            # The address itself, not the start of a longer one (".../a" in ".../a-b").
            text = re.sub(re.escape(raw) + r"(?![\w/?#&=%~+-]|\.\w)", link_url, text)
    if link_url and link_url not in text:
        text = f"{text}\n\n{link_url}" if text else link_url
    return text


def check_images(
    integration: Integration, images: list[ContentImage], language: str, *, api: bool
) -> None:
    """Refuse images the network will not take from Chorus, before anything is saved:
    more than it allows, one without a description, a description too long."""
    if not images:
        return
    limits = integration.media
    if not api or limits is None or not integration.posts_images:
        raise ShareRefused(
            _(
                "Chorus posts images only when it publishes for you on %(network)s: "
                "connect it, or untick the images."
            )
            % {"network": integration.label}
        )
    if len(images) > limits.max_images:
        raise ShareRefused(
            _("%(network)s takes at most %(count)s images in a post.")
            % {"network": integration.label, "count": limits.max_images}
        )
    for image in images:
        alt = image.alt_for(language)
        if not alt:
            raise ShareRefused(
                _(
                    "Every image needs a description for people who cannot see it; "
                    "ask the programme team to add one."
                )
            )
        if len(alt) > limits.max_alt:
            raise ShareRefused(
                _("%(network)s takes image descriptions of at most %(count)s characters.")
                % {"network": integration.label, "count": limits.max_alt}
            )


@transaction.atomic
def do_compose(
    member: Membership,
    item: ContentItem,
    network: str,
    text: str,
    *,
    when: str = "now",
    at: datetime | None = None,
    caption: Caption | None = None,
    images: list[ContentImage] | None = None,
    request: HttpRequest | None = None,
) -> Share:
    """Create a share: scheduled for the worker when the network is connected, else an
    intent the person opens on their device. Enforces opt-in, originality and cadence,
    and what the network takes as images (`check_images`)."""
    from chorus.sharing.originality import signature
    from chorus.sharing.scheduling import SlotRefused, check_slot, good_time, next_allowed
    from chorus.sharing.share_check import run

    if not is_participant(member):
        raise ShareRefused(_("Join the ambassador programme to share."))
    # One composition at a time per item, so that the stagger sees everyone's slot.
    ContentItem.objects.select_for_update().filter(pk=item.pk).first()
    if not item.is_live() or item.internal_only:
        raise ShareRefused(_("This content cannot be shared."))
    integration = registry.find(network)
    if integration is None:
        raise ShareRefused(_("Unknown network."))
    try:
        link = link_for(member, integration.link_network, item=item) if item.url else None
    except LinkError as error:
        raise ShareRefused(str(error)) from error
    link_url = short_url(link, request) if link is not None else ""
    text = compose_text(text, link_url, (item.url, item.canonical_url))
    if not text:
        raise ShareRefused(_("Write something to share."))
    result = run(item, network, text, member, (link_url,))
    if not result.fits:
        raise ShareRefused(
            _("The text is %(length)s characters long; %(network)s takes %(limit)s.")
            % {"length": result.length, "network": integration.label, "limit": result.limit}
        )
    policy = policy_of(member.org_id)
    if policy.wants_more_own_words(result.originality):
        raise ShareRefused(
            _("Your organisation asks for at least %(min)s%% of your own words (now %(own)s%%).")
            % {"min": policy.min_own_words, "own": round(result.originality * 100)}
        )
    verdict = governance_verdict(member, item, network, text)
    connection = Connection.objects.filter(
        membership=member, network=network, status=Connection.Status.ACTIVE
    ).first()
    api = integration.publishes and connection is not None
    chosen = sorted(
        (image for image in images or [] if image.item_id == item.pk),
        key=lambda image: (image.position, image.pk),
    )
    check_images(integration, chosen, share_language(item, member), api=api)
    share = Share(
        org=member.org,
        membership=member,
        item=item,
        caption=caption,
        network=network,
        link=link,
        text=text,
        method=Share.Method.API if api else Share.Method.INTENT,
        connection=connection if api else None,
        originality=result.originality,
        near_duplicates=result.near_duplicates,
        signature=signature(text, (link_url, item.url)),
    )
    now = timezone.now()
    try:
        if not api:
            check_slot(member, network, now, device=True)
            share.status = Share.Status.DRAFT
        elif when == "good":
            share.scheduled_for = good_time(member, network, item, seed=str(share.idempotency_key))
        elif when == "at":
            if at is None or at < now - timedelta(minutes=1):
                raise ShareRefused(_("Choose a time in the future."))
            check_slot(member, network, at)
            share.scheduled_for = at
        else:
            check_slot(member, network, now)
            share.scheduled_for = now
    except SlotRefused as refusal:
        wanted = max(now, at) if when == "at" and at is not None else now
        later = next_allowed(member, network, wanted) if api and when != "good" else None
        raise ShareRefused(str(refusal), next_allowed=later) from refusal
    if api:
        share.status = Share.Status.SCHEDULED
    if verdict.needs_review:
        # Held: the slot chosen stays as wished; approval keeps it, or takes the next
        # allowed one when the decision comes late (chorus.sharing.review).
        share.status = Share.Status.REVIEW
    share.save()
    if chosen:
        share.images.set(chosen)
    audit(member.org, member.user, "share.create", share, {"network": [None, network]})
    if verdict.needs_review:
        hold_for_review(share, verdict, member)
        return share
    if api and share.scheduled_for is not None and share.scheduled_for <= now:
        from chorus.sharing.tasks import publish_now

        transaction.on_commit(lambda: publish_now(share.pk))
    return share


@transaction.atomic
def do_confirm_intent(member: Membership, share: Share, post_url: str = "") -> Share:
    """The person posted it from their device: it counts from now."""
    share = Share.objects.select_for_update().get(pk=share.pk)
    if share.method != Share.Method.INTENT or share.status != Share.Status.DRAFT:
        raise ShareRefused(_("This share cannot be confirmed."))
    share.status = Share.Status.PUBLISHED
    share.published_at = timezone.now()
    share.remote_url = post_url[:500]
    share.save(update_fields=["status", "published_at", "remote_url", "updated_at"])
    return share


@transaction.atomic
def do_cancel(member: Membership, share: Share) -> Share:
    updated = Share.objects.filter(
        pk=share.pk,
        status__in=[
            Share.Status.SCHEDULED,
            Share.Status.DRAFT,
            Share.Status.FAILED,
            Share.Status.REVIEW,
        ],
    ).update(status=Share.Status.CANCELLED, updated_at=timezone.now())
    if not updated:
        raise ShareRefused(_("This share is already on its way or done."))
    share.refresh_from_db()
    return share


@transaction.atomic
def do_edit(
    member: Membership, share: Share, text: str, *, request: HttpRequest | None = None
) -> Share:
    from chorus.sharing.originality import signature
    from chorus.sharing.share_check import run

    share = (
        Share.objects.select_for_update(of=("self",))
        .select_related("item", "link")
        .get(pk=share.pk)
    )
    if share.status not in (Share.Status.SCHEDULED, Share.Status.DRAFT, Share.Status.FAILED):
        raise ShareRefused(_("This share is already on its way or done."))
    link_url = short_url(share.link, request) if share.link is not None else ""
    text = compose_text(text, link_url, (share.item.url, share.item.canonical_url))
    result = run(share.item, share.network, text, member, (link_url,))
    if not result.fits:
        raise ShareRefused(
            _("The text is %(length)s characters long; %(network)s takes %(limit)s.")
            % {"length": result.length, "network": share.network, "limit": result.limit}
        )
    # The edited text meets the same rules as a new one: its disclosure kept, no refused
    # word, and back to review when its words (or the person's scope) ask for it.
    verdict = governance_verdict(member, share.item, share.network, text, exclude=share.pk)
    # A text approved once and changed since is reviewed again: approval is of the words.
    changed = text != share.text
    needs_review = changed and (verdict.needs_review or share.reviews.exists())
    share.text = text
    share.originality = result.originality
    share.near_duplicates = result.near_duplicates
    share.signature = signature(text, (link_url, share.item.url))
    if share.status == Share.Status.FAILED and share.method == Share.Method.API:
        share.status = Share.Status.SCHEDULED
        share.scheduled_for = max(share.scheduled_for or timezone.now(), timezone.now())
        share.next_attempt_at = None
        share.error_code = share.error = ""
    if needs_review:
        share.status = Share.Status.REVIEW
        share.save()
        hold_for_review(share, verdict, member)
        return share
    share.save()
    return share


@transaction.atomic
def do_swap(member: Membership, share: Share, direction: int) -> None:
    """Move a scheduled share earlier (-1) or later (+1) by swapping slots with its neighbour."""
    mine = list(
        Share.objects.select_for_update()
        .filter(membership=member, status=Share.Status.SCHEDULED)
        .order_by("scheduled_for", "id")
    )
    index = next((i for i, other in enumerate(mine) if other.pk == share.pk), None)
    if index is None:
        raise ShareRefused(_("Only scheduled shares can be moved."))
    other_index = index + direction
    if not 0 <= other_index < len(mine):
        return
    first, second = mine[index], mine[other_index]
    if first.network != second.network:
        # Swapping slots keeps every rule only on the same network (per-day limits).
        from chorus.sharing.scheduling import SlotRefused, check_slot

        try:
            check_slot(member, first.network, second.scheduled_for, exclude=first.pk)  # type: ignore[arg-type]
            check_slot(member, second.network, first.scheduled_for, exclude=second.pk)  # type: ignore[arg-type]
        except SlotRefused as refusal:
            raise ShareRefused(str(refusal)) from refusal
    first.scheduled_for, second.scheduled_for = second.scheduled_for, first.scheduled_for
    Share.objects.bulk_update([first, second], ["scheduled_for"])


@transaction.atomic
def do_resolve_check(member: Membership, share: Share, *, published: bool) -> Share:
    """The person looked at their profile after an unknown outcome and says what they saw."""
    share = Share.objects.select_for_update().get(pk=share.pk)
    if share.status != Share.Status.CHECK:
        raise ShareRefused(_("This share does not need checking."))
    if published:
        share.status = Share.Status.PUBLISHED
        share.published_at = timezone.now()
    else:
        # Certain now that it did not go out: the attempts are settled, publish again.
        share.publish_attempts.filter(outcome__in=["", "unknown"]).update(outcome="not-published")
        share.status = Share.Status.SCHEDULED
        share.scheduled_for = timezone.now()
        share.next_attempt_at = None
    share.error_code = share.error = ""
    share.save()
    return share


# --- Engagement tasks -------------------------------------------------------------------


@transaction.atomic
def do_create_task(
    actor: Membership, *, network: str, post_url: str, action: str, angle: str = ""
) -> EngagementTask:
    """Ask programme members to engage with a post; audited as "engagement_task.create"."""
    task = EngagementTask.objects.create(
        org=actor.org,
        created_by=actor,
        network=network,
        post_url=post_url,
        action=action,
        angle=angle.strip(),
    )
    audit(actor.org, actor.user, "engagement_task.create", task, {"network": [None, network]})
    return task


@transaction.atomic
def do_close_task(actor: Membership, task: EngagementTask) -> None:
    EngagementTask.objects.filter(pk=task.pk).update(is_open=False)
    audit(actor.org, actor.user, "engagement_task.close", task)


def do_engage(
    member: Membership, task: EngagementTask, *, text: str = "", marked: bool = False
) -> EngagementTaskDone:
    """Do a task: through the person's connection where the network allows it (the call
    is made first: nothing is recorded if the network refuses), else recorded as done on
    the network's page (`marked`). A reply is measured like a share: its own words
    against the suggested angle, and its near-duplicates among colleagues' replies."""
    if not is_participant(member):
        raise ShareRefused(_("Join the ambassador programme to take part."))
    if not task.is_open:
        raise ShareRefused(_("This engagement is closed."))
    if EngagementTaskDone.objects.filter(task=task, membership=member).exists():
        raise ShareRefused(_("You already did this one. Thank you!"))
    text = text.strip()
    if task.action == EngagementTask.Action.REPLY and not text and not marked:
        raise ShareRefused(_("Write your reply: a few words of your own."))
    integration = registry.find(task.network)
    connection = Connection.objects.filter(
        membership=member, network=task.network, status=Connection.Status.ACTIVE
    ).first()
    engager = integration.engager if integration is not None else None
    done = None
    if not marked:
        if engager is None or connection is None or integration is None:
            raise ShareRefused(_("Chorus cannot do this for you here: open the post and do it."))
        if task.action not in integration.engages:
            raise ShareRefused(_("Chorus cannot do this for you here: open the post and do it."))
        credentials = dict(connection.credentials)
        try:
            done = engager.engage(credentials, task.post_url, task.action, text)
        except PublishError as error:
            if error.code == "post_not_found":
                raise ShareRefused(
                    _("%(network)s found no post at that address.") % {"network": integration.label}
                ) from error
            if isinstance(error, ReconnectError):
                raise ShareRefused(
                    _("Reconnect %(network)s, then try again.") % {"network": integration.label}
                ) from error
            raise ShareRefused(
                _("%(network)s refused: %(reason)s")
                % {"network": integration.label, "reason": error.message}
            ) from error
        finally:
            if credentials != connection.credentials:
                Connection.objects.filter(pk=connection.pk).update(credentials=credentials)
    return _record_engagement(member, task, text, done)


@transaction.atomic
def _record_engagement(
    member: Membership, task: EngagementTask, text: str, done: Published | None
) -> EngagementTaskDone:
    originality = None
    near_duplicates = 0
    if text:
        originality = own_words(text, [task.angle] if task.angle else [])
        mine = signature(text)
        near_duplicates = sum(
            1
            for other in EngagementTaskDone.objects.filter(task=task)
            .exclude(text="")
            .values_list("text", flat=True)
            if similarity(mine, signature(other)) >= NEAR_DUPLICATE_THRESHOLD
        )
    method = EngagementTaskDone.Method.API if done is not None else EngagementTaskDone.Method.MARKED
    try:
        return EngagementTaskDone.objects.create(
            org=member.org,
            task=task,
            membership=member,
            action=task.action,
            method=method,
            text=text,
            originality=originality,
            near_duplicates=near_duplicates,
            remote_id=done.remote_id[:255] if done is not None else "",
            remote_url=done.remote_url[:500] if done is not None else "",
        )
    except IntegrityError as error:  # a double click: the first one counts
        raise ShareRefused(_("You already did this one. Thank you!")) from error
