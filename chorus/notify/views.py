"""The person's notifications, and the organisation's digest defaults."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from chorus.notify.actions import (
    digest_settings,
    do_change_digest_settings,
    do_mark_read,
    do_read_all,
)
from chorus.notify.forms import DigestSettingsForm
from chorus.notify.models import Notification
from chorus.orgs.access import org_view
from chorus.orgs.models import Membership, Role


@require_http_methods(["GET"])
@org_view()
def notifications(request: HttpRequest, membership: Membership) -> HttpResponse:
    items = Notification.objects.filter(membership=membership)[:100]
    return render(request, "notify/notifications.html", {"notifications": items})


@require_http_methods(["POST"])
@org_view()
def open_notification(
    request: HttpRequest, membership: Membership, notification_id: int
) -> HttpResponse:
    """Mark as read and go where it points (only ever a path on this site)."""
    notification = get_object_or_404(Notification, membership=membership, pk=notification_id)
    do_mark_read(membership, notification)
    target = notification.url
    # A path on this site only: not another host, and never resolved as a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return HttpResponseRedirect(target)
    return redirect("notifications", org=membership.org.slug)


@require_http_methods(["POST"])
@org_view()
def read_all(request: HttpRequest, membership: Membership) -> HttpResponse:
    do_read_all(membership)
    return redirect("notifications", org=membership.org.slug)


@csrf_exempt  # one-click unsubscribe (RFC 8058) is a POST from the mail client
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """No login needed: the signed token in the e-mail is the proof."""
    from chorus.notify.digest import membership_from_token, unsubscribe

    membership = membership_from_token(token)
    if membership is None:
        return render(request, "notify/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        unsubscribe(membership)
        return render(request, "notify/unsubscribe.html", {"done": True})
    return render(
        request, "notify/unsubscribe.html", {"token": token, "org_name": membership.org.name}
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def settings_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    """How often newcomers get the digest, and how many suggestions it carries."""
    form = DigestSettingsForm(request.POST or None, instance=digest_settings(membership.org))
    if request.method == "POST":
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in DigestSettingsForm.Meta.fields}
            do_change_digest_settings(membership, values)
            messages.success(request, _("Saved."))
            return redirect("digest_settings", org=membership.org.slug)
        return render(request, "notify/settings.html", {"form": form}, status=400)
    return render(request, "notify/settings.html", {"form": form})
