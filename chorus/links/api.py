"""API for tracked links and conversions."""

from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.security import HttpBearer
from pydantic import StrictInt

from chorus.api.common import (
    DateTime,
    ErrorOut,
    Id,
    Invalid,
    InvalidOut,
    Pages,
    membership_of,
    patched,
    require,
)
from chorus.api.models import hash_token
from chorus.content.models import ContentItem
from chorus.links import actions
from chorus.links.forms import LinkSettingsForm
from chorus.links.models import Conversion, LinkDay, LinkSettings, TrackedLink
from chorus.links.redirect import CODE
from chorus.orgs.models import Membership, Organization, Role

router = Router(tags=["links"])


class LinkIn(Schema):
    network: str
    ambassador: str = Field("", description="E-mail address; defaults to the token's owner.")
    url: str = ""
    content: Id | None = Field(None, description="A content item id, instead of a URL.")


class LinkOut(Schema):
    code: str
    short_url: str
    destination: str
    network: str
    ambassador: str
    content: int | None


class LinkStatsOut(LinkOut):
    clicks: int
    bot_clicks: int
    unique_visitors: int
    conversions: int


def _link_out(request: HttpRequest, link: TrackedLink) -> dict[str, Any]:
    return {
        "code": link.code,
        "short_url": actions.short_url(link, request),
        "destination": link.destination,
        "network": link.network,
        "ambassador": link.ambassador.user.email if link.ambassador else "",
        "content": link.item_id,
    }


@router.post(
    "/links",
    response={201: LinkOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Get (or create) an ambassador's tracked link",
)
def create_link(request: HttpRequest, payload: LinkIn) -> Any:
    """Below programme manager, a `url` must be one of the organisation's published content
    items' or on a domain of the link settings (403 otherwise, saying whom to ask)."""
    member = membership_of(request)
    ambassador = member
    if payload.ambassador and payload.ambassador.lower() != member.user.email:
        if not member.can_manage_programme:
            raise HttpError(403, "Only program managers create links for someone else.")
        ambassador = get_object_or_404(
            Membership.objects.active().select_related("user", "org"),
            org=member.org,
            user__email__iexact=payload.ambassador,
        )
    item = None
    if payload.content is not None:
        item = get_object_or_404(ContentItem.objects.visible_to(member), pk=payload.content)
    elif not payload.url:
        raise Invalid({"url": ["Give a url or a content id."]}, "Give a url or a content id.")
    try:
        link = actions.link_for(ambassador, payload.network, item=item, url=payload.url, by=member)
    except actions.LinkNotAllowed as error:
        raise HttpError(403, str(error)) from None
    except actions.LinkError as error:
        raise Invalid({"__all__": [str(error)]}, str(error)) from None
    return Status(201, _link_out(request, link))


# Before `/links/{trackedlink_code}`: the first pattern that matches a path answers it.
class LinkSettingsOut(Schema):
    fallback_url: str
    utm_medium: str
    short_domain: str
    attribution_days: int
    allowed_domains: list[str] = Field(..., description="Where ambassadors may link.")
    site_key: str = Field(..., description="The public key of the website's tracking script.")
    conversion_key_hint: str = Field(..., description="The conversion key's first characters.")


class LinkSettingsPatch(Schema):
    fallback_url: str | None = None
    utm_medium: str | None = None
    short_domain: str | None = None
    attribution_days: StrictInt | None = None
    allowed_domains: list[str] | None = Field(None, examples=[["example.com"]])


class ConversionKeyOut(Schema):
    key: str = Field(..., description="Shown once: only its first characters are kept.")


def _settings_out(org: Organization) -> dict[str, Any]:
    options = actions.link_settings(org)
    return {
        "fallback_url": options.fallback_url,
        "utm_medium": options.utm_medium,
        "short_domain": options.short_domain,
        "attribution_days": options.attribution_days,
        "allowed_domains": options.allowed_domains.split(),
        "site_key": options.site_key,
        "conversion_key_hint": options.api_key_hint,
    }


@router.get(
    "/links/settings",
    response={200: LinkSettingsOut, 403: ErrorOut},
    tags=["settings"],
    summary="The organisation's link settings (program managers)",
)
def get_link_settings(request: HttpRequest) -> Any:
    return _settings_out(require(request, Role.PROGRAM_MANAGER).org)


@router.patch(
    "/links/settings",
    response={200: LinkSettingsOut, 400: InvalidOut, 403: ErrorOut},
    tags=["settings"],
    summary="Change the link settings (send only the fields to change)",
)
def patch_link_settings(request: HttpRequest, payload: LinkSettingsPatch) -> Any:
    member = require(request, Role.PROGRAM_MANAGER)
    changes = payload.dict(exclude_unset=True)
    if changes.get("allowed_domains") is not None:
        changes["allowed_domains"] = "\n".join(changes["allowed_domains"])
    form = patched(LinkSettingsForm, actions.link_settings(member.org), changes)
    actions.do_change_link_settings(
        member, {name: form.cleaned_data[name] for name in LinkSettingsForm.Meta.fields}
    )
    return _settings_out(member.org)


@router.post(
    "/links/settings/conversion-key",
    response={201: ConversionKeyOut, 403: ErrorOut},
    tags=["settings"],
    summary="A new conversion key for servers; the previous one stops working",
)
def new_conversion_key(request: HttpRequest) -> Any:
    member = require(request, Role.PROGRAM_MANAGER)
    return Status(201, {"key": actions.do_new_conversion_key(member)})


@router.get(
    "/links/{trackedlink_code}",
    response={200: LinkStatsOut, 404: ErrorOut},
    summary="A tracked link and its figures",
)
def get_link(request: HttpRequest, trackedlink_code: str) -> Any:
    member = membership_of(request)
    if not CODE.fullmatch(trackedlink_code):
        raise Http404
    links = TrackedLink.objects.filter(org=member.org).select_related("ambassador__user")
    if not member.can_manage_programme:
        links = links.filter(ambassador=member)
    link = get_object_or_404(links, code=trackedlink_code)
    totals = LinkDay.objects.filter(link=link).aggregate(
        clicks=Sum("clicks"), bot_clicks=Sum("bot_clicks"), unique_visitors=Sum("unique_visitors")
    )
    return {
        **_link_out(request, link),
        **{key: value or 0 for key, value in totals.items()},
        "conversions": Conversion.objects.filter(link=link).count(),
    }


# --- Conversions ---


class OrgKey(HttpBearer):
    """The organisation's conversion key (server to server), from the link settings page."""

    def authenticate(self, request: HttpRequest, token: str) -> Organization | None:

        settings_row = (
            LinkSettings.objects.select_related("org")
            .filter(api_key_hash=hash_token(token))
            .first()
            if token.startswith("chorus_org_")
            else None
        )
        return settings_row.org if settings_row else None


class ConversionIn(Schema):
    kind: Conversion.Kind
    click: str = Field("", description="The chorus_click value the visitor arrived with.")
    clicks: list[str] = Field([], description="Several click references: the latest wins.")
    value: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    currency: str = Field("", max_length=3)
    external_id: str = Field("", max_length=200, description="Counted once per organisation.")
    occurred_at: DateTime | None = None


class ConversionOut(Schema):
    id: int
    kind: str
    attributed: bool
    ambassador: str | None
    content: int | None = Field(None, alias="item_id")
    network: str
    campaign: int | None = Field(None, alias="campaign_id")
    created: bool


def _conversion_out(conversion: Conversion, created: bool) -> dict[str, Any]:
    return {
        "id": conversion.pk,
        "kind": conversion.kind,
        "attributed": conversion.link_id is not None,
        "ambassador": conversion.ambassador.user.email if conversion.ambassador_id else None,  # type: ignore[union-attr]
        "item_id": conversion.item_id,
        "network": conversion.network,
        "campaign_id": conversion.campaign_id,
        "created": created,
    }


@router.post(
    "/conversions",
    auth=OrgKey(),
    response={200: ConversionOut, 201: ConversionOut},
    summary="Report a conversion (lead, sign-up, purchase…) with the organisation key",
)
def create_conversion(request: HttpRequest, payload: ConversionIn) -> Any:
    org: Organization = request.auth  # type: ignore[attr-defined]
    conversion, created = actions.record_conversion(
        org,
        kind=payload.kind,
        refs=[payload.click, *payload.clicks],
        value=payload.value,
        currency=payload.currency,
        external_id=payload.external_id,
        occurred_at=payload.occurred_at,
    )
    assert conversion is not None  # None only when a click is required
    return Status(201 if created else 200, _conversion_out(conversion, created))


class BeaconIn(ConversionIn):
    site: str = Field(..., description="The organisation's public site key.")


@router.post(
    "/conversions/beacon",
    auth=None,
    response={202: None, 400: InvalidOut},
    summary="Report a conversion from the website's script (public site key)",
)
def conversion_beacon(request: HttpRequest, payload: BeaconIn) -> Any:
    """Called by the tracking script; without a known click it records nothing."""
    settings_row = LinkSettings.objects.select_related("org").filter(site_key=payload.site).first()
    refs = [ref for ref in [payload.click, *payload.clicks] if ref]
    if settings_row is not None and refs:
        # Only a known click makes a conversion here: the site key is public.
        actions.record_conversion(
            settings_row.org,
            kind=payload.kind,
            refs=refs,
            value=payload.value,
            currency=payload.currency,
            external_id=payload.external_id,
            require_click=True,
        )
    response = HttpResponse(status=202)
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- My links, and the organisation's link settings ---------------------------------------


@router.get(
    "/links",
    response=list[LinkStatsOut],
    summary="Tracked links with their figures, most clicked first (mine, or all for managers)",
)
@paginate(Pages)
def list_links(request: HttpRequest) -> Any:
    member = membership_of(request)
    links = TrackedLink.objects.filter(org=member.org).select_related("ambassador__user")
    if not member.can_manage_programme:
        links = links.filter(ambassador=member)
    links = links.annotate(
        human_clicks=Coalesce(Sum("days__clicks"), 0),
        bot_clicks_total=Coalesce(Sum("days__bot_clicks"), 0),
        visitors=Coalesce(Sum("days__unique_visitors"), 0),
        leads=Count("conversions", distinct=True),
    ).order_by("-human_clicks", "-created_at", "-id")
    return _LinkRows(request, links)


class _LinkRows:
    """The page of links as the schema reads them (ninja paginates by slicing)."""

    def __init__(self, request: HttpRequest, links: Any) -> None:
        self.request, self.links = request, links

    def __len__(self) -> int:
        return int(self.links.count())

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        return [
            {
                **_link_out(self.request, link),
                "clicks": link.human_clicks,
                "bot_clicks": link.bot_clicks_total,
                "unique_visitors": link.visitors,
                "conversions": link.leads,
            }
            for link in self.links[window]
        ]
