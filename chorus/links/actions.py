"""Creating tracked links and recording conversions.

Who may point a link where (`link_for`): anyone at the organisation's content items (their
own URLs); people below programme manager otherwise only at the domains the organisation
allows (`LinkSettings.domains`: its list, and its own site, the fallback URL's), so that no
member can mint a phishing link under the company's short domain. Programme managers and
admins may link anywhere, also for someone else. Links made before this rule keep working:
they were posted by real people who would see their posts break, the hole was minting new
ones, and a programme manager sees every link (with its address) on the links page.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from w3lib.url import safe_url_string

from chorus.api.models import hash_token
from chorus.content.models import ContentItem
from chorus.lib.networks import Network
from chorus.links.models import Click, Conversion, LinkSettings, TrackedLink
from chorus.links.utm import add_utm
from chorus.orgs.actions import audit, do_change_settings
from chorus.orgs.models import Membership, Organization
from chorus.program.models import is_participant
from chorus.webhooks.events import emit


class LinkError(ValueError):
    """The link cannot be made (content not shareable, bad URL, unknown network)."""


class LinkNotAllowed(LinkError):
    """The destination is outside what the organisation lets this person link to (403)."""


def link_settings(org: Organization) -> LinkSettings:
    return LinkSettings.objects.get_or_create(org=org)[0]


@transaction.atomic
def do_new_conversion_key(actor: Membership) -> str:
    """A new key for servers that report conversions; the previous one stops working.
    Returns the key, shown once: only its hash and first characters are kept."""
    options = LinkSettings.objects.select_for_update().get(pk=link_settings(actor.org).pk)
    raw = "chorus_org_" + secrets.token_urlsafe(32)
    before = options.api_key_hint
    options.api_key_hash = hash_token(raw)
    options.api_key_hint = raw[:15]
    options.save(update_fields=["api_key_hash", "api_key_hint"])
    audit(actor.org, actor.user, "links.key", options, {"api_key_hint": [before or None, raw[:15]]})
    return raw


def do_change_link_settings(actor: Membership, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Change the organisation's link settings; audited with each field's before and after."""
    return do_change_settings(actor, link_settings(actor.org), values, "links.settings")


def check_destination(by: Membership, url: str) -> None:
    """Refuse (LinkNotAllowed) a URL that `by` may not make a tracked link for.

    Programme managers may link anywhere. Others: the URL of one of the organisation's
    published content items (not a draft, which may come from someone's suggestion), or a
    host on an allowed domain (`LinkSettings.allows_host`: the domain itself or a subdomain).
    A URL a browser could read differently from us (user info, backslashes,
    spaces or control characters in it) is refused outright.
    """
    if by.can_manage_programme:
        return
    published = ContentItem.objects.filter(org=by.org, status=ContentItem.Status.PUBLISHED)
    if published.filter(url=url).exists():
        return
    # The host as the destination will carry it (add_utm reads the URL as a browser does).
    parts = urlsplit(safe_url_string(url))
    host = parts.hostname or ""
    ambiguous = "@" in parts.netloc or any(char in "\\ " or ord(char) < 32 for char in url)
    if not ambiguous and link_settings(by.org).allows_host(host):
        return
    raise LinkNotAllowed(
        _(
            "Tracked links may point only at your organisation's content or at the domains it "
            "allows, and %(host)s is not one of them. Ask a programme manager to add the domain "
            "to the link settings, or to make this link for you."
        )
        % {"host": host or url[:100]}
    )


def link_for(
    ambassador: Membership,
    network: str,
    *,
    item: ContentItem | None = None,
    url: str = "",
    by: Membership | None = None,
) -> TrackedLink:
    """The ambassador's link for this item (or URL) on this network: reused, else created.

    `by` is who asks (the ambassador themself unless given): a URL outside the organisation's
    content and allowed domains needs a programme manager (`check_destination`).
    """

    if network not in Network.values:
        raise LinkError(f"Unknown network: {network}.")
    if not is_participant(ambassador):
        # The opt-in rule: nobody outside the programme gets a share or a link.
        raise LinkError("This person has not joined the ambassador programme.")
    if item is not None:
        if item.org_id != ambassador.org_id:
            raise LinkError("This content belongs to another organisation.")
        if not item.is_live() or item.internal_only or not item.url:
            raise LinkError("This content cannot be shared.")
        url = item.url
        existing = TrackedLink.objects.filter(ambassador=ambassador, item=item, network=network)
    else:
        if not url.startswith(("http://", "https://")):
            raise LinkError("A tracked link needs an http(s) URL.")
        check_destination(by or ambassador, url)
        existing = TrackedLink.objects.filter(
            ambassador=ambassador, item__isnull=True, url=url, network=network
        )
    found = existing.first()
    if found is not None:
        return found
    options = link_settings(ambassador.org)
    campaign = item.campaign if item is not None else None
    link = TrackedLink(
        org=ambassador.org,
        ambassador=ambassador,
        item=item,
        network=network,
        url=url,
        campaign=campaign,
    )
    utm = {"utm_source": network, "utm_medium": options.utm_medium}
    if campaign is not None:
        utm["utm_campaign"] = campaign.slug
    utm["utm_content"] = link.share_ref
    try:
        link.destination = add_utm(url, utm)
    except ValueError as error:
        raise LinkError(str(error)) from None
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:
        # Created by a parallel request meanwhile: there is only ever one.
        return existing.get()
    return link


def short_url(link: TrackedLink, request: HttpRequest | None = None) -> str:
    options = LinkSettings.objects.filter(org_id=link.org_id).first()
    if options is not None and options.short_domain:
        return f"https://{options.short_domain}/l/{link.code}"
    if settings.CHORUS_LINK_BASE_URL:
        return f"{settings.CHORUS_LINK_BASE_URL.rstrip('/')}/l/{link.code}"
    if request is not None:
        return request.build_absolute_uri(f"/l/{link.code}")
    return f"/l/{link.code}"


def _conversion_data(conversion: Conversion) -> dict[str, Any]:
    """What the organisation's webhooks are told about a conversion."""
    return {
        "id": conversion.pk,
        "kind": conversion.kind,
        "value": None if conversion.value is None else str(conversion.value),
        "currency": conversion.currency,
        "external_id": conversion.external_id,
        "occurred_at": conversion.occurred_at,
        "content_id": conversion.item_id,
        "campaign_id": conversion.campaign_id,
        "member_id": conversion.ambassador_id,
        "network": conversion.network,
    }


@transaction.atomic
def record_conversion(
    org: Organization,
    *,
    kind: str,
    refs: list[str],
    value: Decimal | None = None,
    currency: str = "",
    external_id: str = "",
    occurred_at: datetime | None = None,
    require_click: bool = False,
) -> tuple[Conversion | None, bool]:
    """Record a conversion, attributed to the last click within the window; an external id
    counts once. Returns (conversion, created)."""
    occurred_at = occurred_at or timezone.now()
    if external_id:
        existing = Conversion.objects.filter(org=org, external_id=external_id).first()
        if existing is not None:
            return existing, False
    window = timedelta(days=link_settings(org).attribution_days)
    click = (
        Click.objects.filter(
            org=org,
            event_id__in=[ref for ref in refs if ref][:20],
            is_bot=False,
            occurred_at__lte=occurred_at,
            occurred_at__gte=occurred_at - window,
        )
        .select_related("link")
        .order_by("-occurred_at")
        .first()
    )
    fields: dict[str, Any] = {}
    if click is None and require_click:
        return None, False
    if click is not None:
        link = click.link
        fields = {
            "click": click,
            "link": link,
            "ambassador_id": link.ambassador_id,
            "item_id": link.item_id,
            "campaign_id": link.campaign_id,
            "network": link.network,
        }
    try:
        with transaction.atomic():
            conversion = Conversion.objects.create(
                org=org,
                kind=kind,
                value=value,
                currency=currency.upper()[:3],
                external_id=external_id[:200],
                occurred_at=occurred_at,
                **fields,
            )
            emit(
                org,
                "conversion.created",
                _conversion_data(conversion),
                subject=conversion.ambassador_id,
            )
    except IntegrityError:
        return Conversion.objects.get(org=org, external_id=external_id), False
    return conversion, True
