"""Pages for tracked links: the organisation's link settings, links and their figures, and
the tracking script for the company's website."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from chorus.content.access import get_item
from chorus.links.actions import (
    do_change_link_settings,
    do_new_conversion_key,
    link_settings,
    short_url,
)
from chorus.links.forms import LinkSettingsForm
from chorus.links.models import LinkSettings, TrackedLink
from chorus.orgs.access import org_view
from chorus.orgs.models import Membership, Role


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def settings_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    options = link_settings(membership.org)
    form = LinkSettingsForm(request.POST or None, instance=options)
    if request.method == "POST":
        if request.POST.get("new_key"):
            request.session["new_org_key"] = do_new_conversion_key(membership)
            messages.success(
                request, _("A new conversion key was created; the previous one no longer works.")
            )
            return redirect("link_settings", org=membership.org.slug)
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in LinkSettingsForm.Meta.fields}
            do_change_link_settings(membership, values)
            messages.success(request, _("Saved."))
            return redirect("link_settings", org=membership.org.slug)
    context = {
        "form": form,
        "options": options,
        "new_key": request.session.pop("new_org_key", None),
        "script_url": request.build_absolute_uri(f"/t/{options.site_key}.js"),
    }
    return render(
        request, "links/settings.html", context, status=400 if request.method == "POST" else 200
    )


@require_GET
@org_view()
def links_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Tracked links with their figures (from the daily rollups); ambassadors see their own."""
    links = TrackedLink.objects.filter(org=membership.org).select_related(
        "ambassador__user", "item"
    )
    if not membership.can_manage_programme:
        links = links.filter(ambassador=membership)
    links = links.annotate(
        human_clicks=Sum("days__clicks"),
        bots=Sum("days__bot_clicks"),
        visitors=Sum("days__unique_visitors"),
        leads=Count("conversions", distinct=True),
    ).order_by("-human_clicks", "-created_at")
    page = Paginator(links, 50).get_page(request.GET.get("page"))
    for link in page.object_list:
        link.short = short_url(link, request)  # type: ignore[attr-defined]
    return render(request, "links/links.html", {"page": page})


@require_GET
@cache_control(max_age=3600, public=True)
def tracking_script(request: HttpRequest, site_key: str) -> HttpResponse:
    """The script a company's website includes to report conversions of tracked visitors."""
    options = get_object_or_404(LinkSettings, site_key=site_key)
    endpoint = request.build_absolute_uri("/api/v1/conversions/beacon")
    response = render(
        request,
        "links/track.js",
        {"site_key": options.site_key, "endpoint": endpoint},
        content_type="application/javascript",
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_http_methods(["POST"])
@org_view()
def item_link(request: HttpRequest, membership: Membership, contentitem_id: int) -> HttpResponse:
    """Give the member their tracked link for an item and network (reused if it exists)."""
    from chorus.links.actions import LinkError, link_for

    item = get_item(membership, contentitem_id)
    try:
        link = link_for(membership, request.POST.get("network", ""), item=item)
    except LinkError:
        messages.error(request, _("This content cannot be shared on that network."))
    else:
        request.session["new_link"] = short_url(link, request)
    return redirect("item_detail", org=membership.org.slug, contentitem_id=item.pk)
