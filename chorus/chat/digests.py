"""A person's digest through a chat tool, when they chose one (their `ChatPreference`).

`route` is registered with `notify.digest` at start-up: for a person who chose a chat tool
it freezes the digest (the same suggestions and results the e-mail would carry, in the
person's language) into the outbox, once per person and day, and the worker sends it.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chorus.chat.announcements import queue
from chorus.chat.models import ChatMessage, ChatPreference, ChatWorkspace
from chorus.feed.live import feed_for
from chorus.feed.models import AmbassadorProfile
from chorus.integrations import registry
from chorus.integrations.capabilities import Digest, DigestItem
from chorus.notify.digest import ITEMS, PERIODS, results
from chorus.notify.models import DigestSettings
from chorus.orgs.models import Membership


def can_carry(membership: Membership, tool_key: str) -> bool:
    """Whether this tool can carry this person's digest on this server: it sends digests,
    and either the person gives their own URL or the organisation connected a workspace."""
    tool = registry.find_chat_tool(tool_key)
    if tool is None or tool.direct_digest is None:
        return False
    if tool.personal_url:
        return True
    return ChatWorkspace.objects.filter(org_id=membership.org_id, tool=tool_key).exists()


def build(membership: Membership, base_url: str, now: datetime) -> Digest:
    """The digest's content, in the person's language."""
    profile = AmbassadorProfile.objects.filter(membership=membership).first()
    period = PERIODS.get(profile.digest if profile else "", timedelta(days=7))
    count = (
        DigestSettings.objects.filter(org_id=membership.org_id)
        .values_list("items", flat=True)
        .first()
    )
    cards = feed_for(membership, k=count or ITEMS)
    summary = results(membership, now - period, now)
    org = membership.org
    name = membership.user.first_name or membership.user.email
    return Digest(
        heading=_("Hello %(name)s, your Chorus digest") % {"name": name},
        lines=[
            ngettext("%(count)s share", "%(count)s shares", summary.shares)
            % {"count": summary.shares},
            ngettext("%(count)s click from people", "%(count)s clicks from people", summary.clicks)
            % {"count": summary.clicks},
            ngettext("%(count)s unique visitor", "%(count)s unique visitors", summary.visitors)
            % {"count": summary.visitors},
        ],
        items=[
            DigestItem(
                title=card.item.title,
                url=base_url
                + reverse("compose", kwargs={"org": org.slug, "contentitem_id": card.item.pk}),
            )
            for card in cards
        ],
        feed_url=base_url + reverse("feed", kwargs={"org": org.slug}),
        feed_label=_("Open my feed"),
    )


def route(membership: Membership, base_url: str, now: datetime) -> int | None:
    """Queue the digest for a person who chose a chat tool; None leaves them to e-mail."""
    preference = (
        ChatPreference.objects.filter(membership=membership).exclude(digest_tool="").first()
    )
    if preference is None or not can_carry(membership, preference.digest_tool):
        return None
    language = membership.user.language or membership.org.default_language
    with translation.override(language):
        digest = build(membership, base_url, now)
    queue(
        membership.org_id,
        preference.digest_tool,
        ChatMessage.Kind.DIGEST,
        f"digest:{membership.pk}:{now:%Y-%m-%d}",
        {"digest": asdict(digest)},
        membership=membership,
    )
    return len(digest.items)
