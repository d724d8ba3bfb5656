"""The organisation's SCIM settings page: its base URL, its tokens (made, shown once,
revoked) and what deprovisioning does with the programme. Organisation admins only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chorus.orgs.access import org_view
from chorus.orgs.actions import do_change_settings
from chorus.orgs.models import Membership, Role
from chorus.scim.actions import settings_of
from chorus.scim.forms import ScimSettingsForm, ScimTokenForm
from chorus.scim.models import ScimToken
from chorus.scim.tokens import do_create_scim_token, do_revoke_scim_token


@require_http_methods(["GET", "POST"])
@org_view(Role.ORG_ADMIN)
def scim_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    """GET shows the page; POST makes a token (shown on this answer only) or saves the
    setting, as the button pressed says."""
    org = membership.org
    options = settings_of(org)
    token_form = ScimTokenForm()
    settings_form = ScimSettingsForm(instance=options)
    new_token = None
    status = 200
    if request.method == "POST" and "create" in request.POST:
        token_form = ScimTokenForm(request.POST)
        if token_form.is_valid():
            # Shown in this answer, never stored nor put in the session.
            _token, new_token = do_create_scim_token(
                org, membership.user, token_form.cleaned_data["name"].strip()
            )
            token_form = ScimTokenForm()
        else:
            status = 400
    elif request.method == "POST":
        settings_form = ScimSettingsForm(request.POST, instance=options)
        if settings_form.is_valid():
            values = {
                name: settings_form.cleaned_data[name] for name in ScimSettingsForm.Meta.fields
            }
            try:
                do_change_settings(membership, options, values, "scim.settings")
            except ValidationError as error:
                settings_form.add_error(None, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("scim_settings", org=org.slug)
        status = 400
    context = {
        "base_url": request.build_absolute_uri(reverse("scim_root", args=[org.slug])),
        "tokens": ScimToken.objects.filter(org=org),
        "token_form": token_form,
        "form": settings_form,
        "new_token": new_token,
    }
    return render(request, "scim/settings.html", context, status=status)


@require_POST
@org_view(Role.ORG_ADMIN)
def scim_token_revoke(
    request: HttpRequest, membership: Membership, scimtoken_id: int
) -> HttpResponse:
    token = get_object_or_404(ScimToken, org=membership.org, pk=scimtoken_id)
    do_revoke_scim_token(membership.user, token)
    messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
    return redirect("scim_settings", org=membership.org.slug)
