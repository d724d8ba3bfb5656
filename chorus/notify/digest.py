"""The digest e-mail: the best feed items and the person's own results, at the frequency
they chose (weekly by default), in their language, HTML and text, with one-click
unsubscribe (RFC 8058). Only programme members who have not unsubscribed get one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from chorus.analytics.figures import Scope, Summary, summary
from chorus.feed.live import feed_for
from chorus.feed.models import AmbassadorProfile, DigestFrequency
from chorus.notify.models import DigestSend, DigestSettings
from chorus.orgs.models import Membership
from chorus.program.models import Participation

logger = logging.getLogger(__name__)

PERIODS: dict[str, timedelta] = {
    DigestFrequency.DAILY: timedelta(days=1),
    DigestFrequency.WEEKLY: timedelta(days=7),
    DigestFrequency.MONTHLY: timedelta(days=30),
}
SALT = "chorus.digest.unsubscribe"
ITEMS = 5  # suggestions per digest, unless the organisation chose another number


# Another way to carry a person's digest (a chat tool: chorus.chat.digests): given the person,
# the base URL and the moment, it queues the digest and returns how many suggestions it
# carries, or returns None to leave the person to the e-mail. Registered at start-up, so
# notify needs no import of the apps above it.
DigestRoute = Callable[[Membership, str, datetime], int | None]
_routes: list[DigestRoute] = []


def register_digest_route(route: DigestRoute) -> None:
    if route not in _routes:
        _routes.append(route)


def unsubscribe_token(membership: Membership) -> str:
    return signing.dumps({"m": membership.pk}, salt=SALT)


def membership_from_token(token: str) -> Membership | None:
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=180))
    except signing.BadSignature:
        return None
    return Membership.objects.filter(pk=data.get("m")).select_related("org", "user").first()


def unsubscribe(membership: Membership) -> None:
    AmbassadorProfile.objects.filter(membership=membership).update(digest=DigestFrequency.NEVER)


def due_recipients(now: datetime | None = None) -> list[Membership]:
    """Programme members whose digest is due; never anyone who left or unsubscribed."""
    now = now or timezone.now()
    profiles = AmbassadorProfile.objects.filter(
        membership__participation__status=Participation.Status.ACTIVE,
        membership__is_active=True,
    ).exclude(digest=DigestFrequency.NEVER)
    due = []
    for profile in profiles.select_related("membership__user", "membership__org"):
        period = PERIODS.get(profile.digest)
        if period is None:
            continue
        last = DigestSend.objects.filter(membership_id=profile.membership_id).first()
        # A little slack so that a daily run at the same hour is never skipped.
        if last is None or last.sent_at <= now - period + timedelta(hours=1):
            due.append(profile.membership)
    return due


def results(membership: Membership, since: datetime, until: datetime | None = None) -> Summary:
    """The person's shares since `since` and the clicks and visitors of those (UTC) days, up
    to `until` (now by default)."""
    until = until or timezone.now()
    scope = Scope(
        org_id=membership.org_id,
        start=since.astimezone(UTC).date(),
        end=until.astimezone(UTC).date(),
        membership_id=membership.pk,
    )
    return summary(scope, since)


def build(
    membership: Membership, base_url: str, now: datetime | None = None
) -> EmailMultiAlternatives:

    now = now or timezone.now()
    profile = AmbassadorProfile.objects.get(membership=membership)
    period = PERIODS.get(profile.digest, timedelta(days=7))
    language = membership.user.language or membership.org.default_language
    token = unsubscribe_token(membership)
    unsubscribe_url = base_url + reverse("digest_unsubscribe", kwargs={"token": token})
    with translation.override(language):
        items = (
            DigestSettings.objects.filter(org_id=membership.org_id)
            .values_list("items", flat=True)
            .first()
        )
        cards = feed_for(membership, k=items or ITEMS)
        context = {
            "membership": membership,
            "org": membership.org,
            "cards": cards,
            "results": results(membership, now - period, now),
            "base_url": base_url,
            "feed_url": base_url + reverse("feed", kwargs={"org": membership.org.slug}),
            "unsubscribe_url": unsubscribe_url,
            "frequency": profile.get_digest_display(),
            "language": language,
        }
        subject = render_to_string("notify/digest_subject.txt", context).strip()
        text = render_to_string("notify/digest.txt", context)
        html = render_to_string("notify/digest.html", context)
    message = EmailMultiAlternatives(
        subject,
        text,
        None,
        [membership.user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Content-Language": language,
        },
    )
    message.attach_alternative(html, "text/html")
    message.extra_headers["X-Chorus-Items"] = str(len(cards))
    return message


def send_due(now: datetime | None = None) -> int:
    now = now or timezone.now()
    base_url = settings.CHORUS_BASE_URL.rstrip("/")
    sent = 0
    for membership in due_recipients(now):
        try:
            items = next(
                (
                    found
                    for route in _routes
                    if (found := route(membership, base_url, now)) is not None
                ),
                None,
            )
            if items is None:
                message = build(membership, base_url, now)
                message.send()
                items = int(message.extra_headers.get("X-Chorus-Items", 0))
        except Exception:  # one broken address must not stop the others
            logger.exception("digest to %s failed", membership.pk)
            continue
        DigestSend.objects.create(
            org=membership.org, membership=membership, sent_at=now, items=items
        )
        sent += 1
    return sent
