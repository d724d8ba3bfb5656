"""Sending the chat outbox, in the worker only.

- A worker takes a message with a conditional UPDATE (waiting and due, or "sending" by a
  worker whose claim ran out) and checks that it changed one row, so two workers never send
  the same message; a message marked sent is never taken again, so an announcement reaches
  a channel once.
- A message whose earlier attempt may have reached the tool (a timeout, a 5xx, a worker that
  died before writing "sent") is looked for before it is sent again, where the tool can
  tell (`find_announcement`: Slack keeps our key in the message's metadata). A Teams webhook
  cannot tell: there, that one case may repeat a message.
- A retryable failure (Slack's 429 or 5xx, a timeout) puts it back with exponential backoff
  (never sooner than the tool's Retry-After), up to MAX_ATTEMPTS; a permanent one (token
  revoked, channel gone, card refused) gives it up at once. Each outcome is logged.
- Texts are written in the reader's language: the organisation's for a channel, the
  person's for a digest or an answer.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chorus.chat.models import ChatMessage, ChatPreference, ChatWorkspace
from chorus.content.models import ContentItem
from chorus.integrations import registry
from chorus.integrations.base import (
    Credentials,
    PermanentError,
    PublishError,
    ReconnectError,
    RetryableError,
    backoff,
)
from chorus.integrations.capabilities import (
    Announcement,
    ChatTool,
    Click,
    Digest,
    DigestItem,
    PrivateReply,
)
from chorus.notify.digest import build as email_digest
from chorus.orgs.models import Membership
from chorus.program.models import is_participant

logger = logging.getLogger(__name__)

BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
MAX_ATTEMPTS = 10  # about five hours of retries with the delays above
CLAIM_FOR = timedelta(minutes=5)


def claim(message_id: int) -> bool | None:
    """Take the message for this worker if it is due and nobody holds it: None if not taken,
    True if a worker that held it stopped before saying how its attempt went (it may have
    reached the tool), False otherwise."""
    now = timezone.now()
    messages = ChatMessage.objects.filter(pk=message_id)
    taken = {"status": ChatMessage.Status.SENDING, "claimed_until": now + CLAIM_FOR}
    if messages.filter(status=ChatMessage.Status.PENDING, next_attempt_at__lte=now).update(**taken):
        return False
    if messages.filter(status=ChatMessage.Status.SENDING, claimed_until__lt=now).update(**taken):
        return True
    return None


def send_due() -> int:
    """Send every message that is due; returns how many were sent."""
    now = timezone.now()
    due = ChatMessage.objects.filter(
        Q(status=ChatMessage.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=ChatMessage.Status.SENDING, claimed_until__lt=now)
    ).order_by("id")
    return sum(send(message_id) for message_id in list(due.values_list("pk", flat=True)[:500]))


def send(message_id: int) -> bool:
    """One attempt at one message; True if it was sent now."""
    abandoned = claim(message_id)
    if abandoned is None:
        return False
    message = ChatMessage.objects.select_related("channel__workspace", "membership__user").get(
        pk=message_id
    )
    try:
        remote_id = _deliver(message, maybe_sent=abandoned or message.attempts > 0)
    except RetryableError as error:
        _retry(message, error)
        return False
    except ReconnectError as error:
        # The token was revoked or the app removed: the settings page asks to connect again.
        ChatWorkspace.objects.filter(
            org_id=message.org_id, tool=message.tool, refused_since__isnull=True
        ).update(refused_since=timezone.now())
        _give_up(message, error.message)
        return False
    except PublishError as error:
        _give_up(message, error.message)
        return False
    except (LookupError, KeyError, ValueError, TypeError) as error:
        # An unknown tool, a removed preference, a malformed payload: nothing to retry.
        _give_up(message, f"{type(error).__name__}: {error}")
        return False
    message.status = ChatMessage.Status.SENT
    message.sent_at = timezone.now()
    message.attempts += 1
    message.remote_id = remote_id[:100]
    message.last_error = ""
    message.claimed_until = None
    message.save(
        update_fields=["status", "sent_at", "attempts", "remote_id", "last_error", "claimed_until"]
    )
    logger.info("chat message %s (%s) sent", message.pk, message.dedupe_key)
    return True


def _retry(message: ChatMessage, error: RetryableError) -> None:
    message.attempts += 1
    message.last_error = error.message[:500]
    message.claimed_until = None
    if message.attempts >= MAX_ATTEMPTS:
        message.status = ChatMessage.Status.FAILED
        message.last_error = _fall_back(message, message.last_error)[:500]
        logger.warning(
            "chat message %s given up after %s attempts: %s",
            message.pk,
            message.attempts,
            error.message,
        )
    else:
        message.status = ChatMessage.Status.PENDING
        message.next_attempt_at = timezone.now() + backoff(
            message.attempts, error.retry_after, base=BASE_DELAY, cap=MAX_DELAY
        )
        logger.warning(
            "chat message %s failed (attempt %s), retried: %s",
            message.pk,
            message.attempts,
            error.message,
        )
    message.save(
        update_fields=["attempts", "last_error", "claimed_until", "status", "next_attempt_at"]
    )


def _give_up(message: ChatMessage, reason: str) -> None:
    message.attempts += 1
    message.status = ChatMessage.Status.FAILED
    message.last_error = _fall_back(message, reason)[:500]
    message.claimed_until = None
    message.save(update_fields=["attempts", "status", "last_error", "claimed_until"])
    logger.warning(
        "chat message %s (%s) failed for good: %s", message.pk, message.dedupe_key, reason
    )


def _fall_back(message: ChatMessage, reason: str) -> str:
    """A digest the chat tool will not carry (the person is not in the workspace, their URL
    was removed) goes by e-mail instead, so the person still gets it; returns the reason,
    completed with what was done."""
    if message.kind != ChatMessage.Kind.DIGEST or message.membership is None:
        return reason
    try:
        email_digest(message.membership, settings.CHORUS_BASE_URL.rstrip("/")).send()
    except Exception:  # the e-mail failing too must not hide the chat's reason
        logger.exception("digest %s: the e-mail instead failed too", message.pk)
        return reason
    return f"{reason} (sent by e-mail instead)"


def workspace_credentials(org_id: int, tool: str) -> Credentials:
    found = ChatWorkspace.objects.filter(org_id=org_id, tool=tool).first()
    return found.credentials if found is not None else {}


def _deliver(message: ChatMessage, *, maybe_sent: bool) -> str:
    tool = registry.chat_tool(message.tool)
    if message.kind in (ChatMessage.Kind.ANNOUNCEMENT, ChatMessage.Kind.TEST):
        channel = message.channel
        if channel is None:
            raise PermanentError("channel_removed", "The channel was removed.")
        credentials = channel.workspace.credentials if channel.workspace else {}
        item_id = message.payload.get("item_id")
        if (
            item_id
            and not ContentItem.objects.filter(
                pk=item_id, status=ContentItem.Status.PUBLISHED
            ).exists()
        ):
            # Scheduled, then unpublished or deleted before its time: not announced.
            raise PermanentError("unpublished", "The item is no longer published.")
        if maybe_sent and tool.find_announcement is not None:
            # An earlier attempt may have reached the tool: look before posting again.
            found = tool.find_announcement(
                credentials, channel.target, message.dedupe_key, message.created_at
            )
            if found:
                return found
        announcement = Announcement(**message.payload["announcement"])
        with translation.override(announcement.language or None):
            return tool.announce(credentials, channel.target, announcement, message.dedupe_key)
    if message.kind == ChatMessage.Kind.DIGEST:
        return _deliver_digest(message, tool)
    if message.kind == ChatMessage.Kind.REPLY:
        _answer_click(message, tool)
        return ""
    raise ValueError(f"Unknown message kind {message.kind!r}.")


def _deliver_digest(message: ChatMessage, tool: ChatTool) -> str:
    membership = message.membership
    if membership is None or tool.direct_digest is None:
        raise PermanentError("no_recipient", "The person or the tool's digest is gone.")
    preference = ChatPreference.objects.filter(membership=membership, digest_tool=tool.key).first()
    if preference is None:
        raise PermanentError("preference_changed", "The person no longer wants it by chat.")
    payload = message.payload["digest"]
    digest = Digest(
        heading=payload["heading"],
        lines=list(payload["lines"]),
        items=[DigestItem(**item) for item in payload["items"]],
        feed_url=payload["feed_url"],
        feed_label=payload["feed_label"],
    )
    credentials = workspace_credentials(message.org_id, tool.key)
    return tool.direct_digest(credentials, preference.target, membership.user.email, digest)


def _answer_click(message: ChatMessage, tool: ChatTool) -> None:
    """Find who clicked "Share" by their e-mail among the organisation's members; a
    programme member gets a button to their composer, anyone else a polite word."""
    interactions = tool.interactions
    if interactions is None:
        raise PermanentError("no_interactions", "The tool takes no clicks.")
    click = Click(**message.payload["click"])
    credentials = workspace_credentials(message.org_id, tool.key)
    email = interactions.email(credentials, click.user)
    member = (
        Membership.objects.active()
        .filter(org_id=message.org_id, user__email__iexact=email)
        .select_related("org", "user")
        .first()
        if email
        else None
    )
    if member is not None:
        ChatMessage.objects.filter(pk=message.pk).update(membership=member)
    language = (member.user.language or member.org.default_language) if member else None
    with translation.override(language):
        reply = _reply_for(member, click.value)
    interactions.reply(credentials, click.channel, click.user, reply)


def _reply_for(member: Membership | None, value: str) -> PrivateReply:
    if member is None:
        return PrivateReply(
            _(
                "We could not find you among this organisation's members in Chorus: "
                "ask the programme team to invite the e-mail address you use here."
            )
        )
    if not is_participant(member):
        return PrivateReply(
            _(
                "Thank you for your interest! Sharing is for members of the ambassador "
                "programme; if you would like to join, the programme team will be glad to "
                "hear from you."
            )
        )
    kind, _sep, ident = value.partition(":")
    org = member.org
    if kind == "content" and ident.isdigit():
        url = settings.CHORUS_BASE_URL.rstrip("/") + reverse(
            "compose", kwargs={"org": org.slug, "contentitem_id": int(ident)}
        )
        return PrivateReply(
            _("Here is your composer: write it in your own words."), url, _("Open the composer")
        )
    url = settings.CHORUS_BASE_URL.rstrip("/") + reverse("feed", kwargs={"org": org.slug})
    return PrivateReply(_("This campaign's content is in your feed."), url, _("Open my feed"))
