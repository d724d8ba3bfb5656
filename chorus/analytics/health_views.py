"""Programme health (program managers): the seven checks, and the thresholds they use."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chorus.analytics.health import health_report
from chorus.analytics.health_forms import HealthThresholdsForm
from chorus.orgs.access import org_view
from chorus.orgs.models import Membership, Role
from chorus.program.actions import do_change_thresholds
from chorus.program.models import HealthThresholds


def _page(
    request: HttpRequest,
    membership: Membership,
    thresholds: HealthThresholds,
    form: HealthThresholdsForm,
    status: int = 200,
) -> HttpResponse:
    context = {
        "checks": health_report(membership.org, thresholds=thresholds),
        "thresholds": thresholds,
        "form": form,
    }
    return render(request, "program/health.html", context, status=status)


@require_http_methods(["GET"])
@org_view(Role.PROGRAM_MANAGER)
def health(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The seven classic failures as checks (status, figures, advice), and the thresholds."""
    thresholds = HealthThresholds.for_org(membership.org)
    if request.GET.get("panel") == "1":
        # The dashboard loads the checks after its own figures (htmx): they read recent
        # raw events, and the dashboard itself reads only rollups.
        checks = health_report(membership.org, thresholds=thresholds)
        return render(request, "program/_health.html", {"checks": checks})
    return _page(request, membership, thresholds, HealthThresholdsForm(instance=thresholds))


@require_http_methods(["POST"])
@org_view(Role.PROGRAM_MANAGER)
def thresholds(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Save where each check turns to watch and to act (the defaults until then)."""
    org = membership.org
    current = HealthThresholds.for_org(org)
    form = HealthThresholdsForm(request.POST, instance=current)
    if not form.is_valid():
        # The checks keep using the thresholds in force, not the refused ones.
        return _page(request, membership, HealthThresholds.for_org(org), form, status=400)
    values = {name: form.cleaned_data[name] for name in HealthThresholdsForm.Meta.fields}
    do_change_thresholds(membership, values)
    messages.success(request, _("Saved."))
    return redirect("programme_health", org=org.slug)
