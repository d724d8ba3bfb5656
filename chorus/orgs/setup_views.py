"""Pages that create and configure organisations.

- `/setup/`: the first-run set-up of an empty instance (gone once an organisation exists);
- `/operator/organisations/`: an instance operator (superuser) lists and creates them;
- `/o/<slug>/settings/organisation/`: an org admin's name, logo, colour, language, zone.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from chorus.orgs.access import View, org_view
from chorus.orgs.models import Membership, Organization, Role
from chorus.orgs.setup import (
    do_change_organization,
    do_provision_organization,
    do_set_up_instance,
    instance_is_empty,
)
from chorus.orgs.setup_forms import OrganisationSettingsForm, ProvisionForm, SetupForm


@never_cache
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Create the first organisation and its admin with the console's one-time code."""
    if not instance_is_empty():
        raise Http404
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and form.setup_code is not None:
        data = form.cleaned_data
        try:
            result = do_set_up_instance(
                form.setup_code,
                name=data["name"],
                slug=data["slug"],
                language=data["default_language"],
                time_zone=data["time_zone"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                password=data["password1"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, result.admin, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("%(org)s is ready. Add people from the Members page.") % {"org": result.org.name},
            )
            return redirect("org_home", org=result.org.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/setup.html", {"form": form}, status=status)


def operator_view(view: View) -> View:
    """Only an instance operator (a superuser) may; anyone else gets 404."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_superuser):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@never_cache
@require_http_methods(["GET", "POST"])
@operator_view
def operator_organisations(request: HttpRequest) -> HttpResponse:
    """The instance's organisations; the operator creates one and invites its first admin."""
    form = ProvisionForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = do_provision_organization(
                name=data["name"],
                slug=data["slug"],
                admin_email=data["admin_email"],
                language=data["default_language"],
                time_zone=data["time_zone"],
                operator=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            form = ProvisionForm()
    organisations = Organization.objects.annotate(
        member_count=Count("memberships", filter=Q(memberships__is_active=True))
    ).order_by("name")
    page = Paginator(organisations, 50).get_page(request.GET.get("page"))
    status = 400 if request.method == "POST" and created is None else 200
    return render(
        request,
        "orgs/operator_organisations.html",
        {"form": form, "page": page, "created": created},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.ORG_ADMIN)
def organisation_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The organisation's name, logo, accent colour, default language and time zone."""
    org = membership.org
    initial = {
        "name": org.name,
        "accent_color": org.accent_color,
        "default_language": org.default_language,
        "time_zone": org.time_zone,
    }
    form = OrganisationSettingsForm(
        request.POST or None, request.FILES or None, initial=initial, has_logo=bool(org.logo)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changes = do_change_organization(
                membership,
                name=data["name"],
                default_language=data["default_language"],
                time_zone=data["time_zone"],
                accent_color=data["accent_color"],
                logo=data["logo"] or None,
                remove_logo=data.get("remove_logo", False),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if changes:
                messages.success(request, _("The organisation's settings were saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("org_settings_organisation", org=org.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/settings_organisation.html", {"form": form}, status=status)
