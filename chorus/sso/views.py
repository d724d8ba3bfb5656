"""Single sign-on pages.

- `/o/<slug>/settings/sso/`: an org admin's identity providers (OpenID Connect, SAML 2.0),
  e-mail domains and rules;
- `/sso/<provider_id>/metadata/`: our SAML SP metadata for an organisation's IdP (public:
  the IdP reads it; it holds only our entity ID and addresses);
- `/operator/domains/`: an instance operator confirms the domains organisations claim;
- `/sso/?login=<e-mail>`: "Sign in with <provider>" for the organisation owning the e-mail's
  domain (a fragment for the sign-in page's lookup as one types, a page without JavaScript).
  It answers by verified domain only, never by person, so it tells nobody who is a member.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.orgs.access import org_view
from chorus.orgs.models import Membership, Role
from chorus.orgs.setup_views import operator_view
from chorus.sso.access import get_domain, get_oidc_provider, get_saml_provider
from chorus.sso.actions import (
    do_add_domain,
    do_change_sso_settings,
    do_check_provider,
    do_refresh_saml_metadata,
    do_remove_domain,
    do_save_provider,
    do_save_saml_provider,
    do_verify_domain,
    read_saml_metadata,
    settings_of,
)
from chorus.sso.forms import DomainForm, LookupForm, ProviderForm, RulesForm, SamlProviderForm
from chorus.sso.models import EmailDomain, IdentityProvider, ProviderKind, email_domain
from chorus.sso.oidc import DiscoveryError
from chorus.sso.saml import MetadataError, sp_metadata, sp_metadata_path, sp_urls


@never_cache
@require_http_methods(["GET", "POST"])
@org_view(Role.ORG_ADMIN)
def sso_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The organisation's identity provider, e-mail domains and single sign-on rules."""
    org = membership.org
    provider = get_oidc_provider(membership)
    rules = settings_of(org)
    which = request.POST.get("form") if request.method == "POST" else None
    provider_form = ProviderForm(request.POST if which == "provider" else None, provider=provider)
    saml_provider = get_saml_provider(membership)
    saml_form = SamlProviderForm(
        request.POST if which == "saml" else None,
        request.FILES if which == "saml" else None,
        provider=saml_provider,
        prefix="saml",
    )
    domain_form = DomainForm(request.POST if which == "domain" else None)
    rules_form = RulesForm(
        request.POST if which == "rules" else None,
        org=org,
        initial={"require_sso": rules.require_sso, "break_glass": rules.break_glass},
    )
    if which == "provider" and provider_form.is_valid():
        data = provider_form.cleaned_data
        try:
            do_save_provider(
                membership,
                provider,
                name=data["name"],
                issuer_url=data["issuer_url"],
                client_id=data["client_id"],
                client_secret=data["client_secret"],
                enabled=data["enabled"],
                team_claim=data["team_claim"],
                role_claim=data["role_claim"],
                role_values=provider_form.role_values(),
            )
        except ValidationError as error:
            provider_form.add_error(None, error)
        else:
            messages.success(request, _("The identity provider was saved."))
            return redirect("sso_settings", org=org.slug)
    elif which == "saml" and saml_form.is_valid():
        if _save_saml(membership, saml_provider, saml_form):
            messages.success(request, _("The SAML identity provider was saved."))
            return redirect("sso_settings", org=org.slug)
    elif which == "domain" and domain_form.is_valid():
        try:
            do_add_domain(membership, domain_form.cleaned_data["domain"])
        except ValidationError as error:
            domain_form.add_error("domain", error)
        else:
            messages.success(request, _("The domain was added; an operator will verify it."))
            return redirect("sso_settings", org=org.slug)
    elif which == "rules" and rules_form.is_valid():
        try:
            changes = do_change_sso_settings(
                membership,
                require_sso=rules_form.cleaned_data["require_sso"],
                break_glass=rules_form.cleaned_data["break_glass"],
            )
        except ValidationError as error:
            rules_form.add_error(None, error)
        else:
            if changes:
                messages.success(request, _("The single sign-on rules were saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("sso_settings", org=org.slug)
    context = {
        "provider": provider,
        "provider_form": provider_form,
        "domain_form": domain_form,
        "rules_form": rules_form,
        "rules": rules,
        "domains": EmailDomain.objects.filter(org=org),
        "callback_url": _callback_url(request, provider or _unsaved_provider(org.slug)),
        "saml_provider": saml_provider,
        "saml_form": saml_form,
        "saml_sp": sp_urls(request, f"saml-{org.slug}"),
        "saml_metadata_url": request.build_absolute_uri(sp_metadata_path(f"saml-{org.slug}")),
    }
    status = 400 if which else 200
    return render(request, "sso/settings.html", context, status=status)


def _save_saml(
    membership: Membership, provider: IdentityProvider | None, form: SamlProviderForm
) -> bool:
    """Read the IdP metadata when it is new (an upload, or a new URL), then save; a metadata
    or validation error goes on the form, with nothing changed."""
    data = form.cleaned_data
    url = data["metadata_url"] or ""
    metadata = None
    try:
        new_source = provider is None or url != provider.saml_metadata_url
        if data["metadata_file"] or (url and new_source):
            metadata = read_saml_metadata(url, data["metadata_file"])
        do_save_saml_provider(
            membership,
            provider,
            name=data["name"],
            metadata_url=url,
            metadata=metadata,
            enabled=data["enabled"],
            team_claim=data["team_claim"],
            role_claim=data["role_claim"],
            role_values=form.role_values(),
        )
    except MetadataError as error:
        form.add_error(None, str(error))
        return False
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


@require_POST
@org_view(Role.ORG_ADMIN)
def saml_refresh(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Read the IdP metadata again from its URL."""
    provider = get_saml_provider(membership)
    if provider is None or not provider.saml_metadata_url:
        messages.error(request, _("Save the SAML identity provider with a metadata URL first."))
        return redirect("sso_settings", org=membership.org.slug)
    try:
        metadata = do_refresh_saml_metadata(membership, provider)
    except MetadataError as error:
        messages.error(request, _("The metadata was not refreshed. %(reason)s") % {"reason": error})
    else:
        messages.success(
            request,
            _("The metadata of %(entity)s was read again.") % {"entity": metadata.entity_id},
        )
    return redirect("sso_settings", org=membership.org.slug)


@require_GET
def saml_metadata(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Our SP metadata for an organisation's SAML identity provider (its IdP reads it)."""
    provider = get_object_or_404(IdentityProvider, provider_id=provider_id, kind=ProviderKind.SAML)
    response = HttpResponse(
        sp_metadata(request, provider.provider_id), content_type="application/samlmetadata+xml"
    )
    response["Content-Disposition"] = f'inline; filename="chorus-{provider.provider_id}.xml"'
    return response


def _unsaved_provider(slug: str) -> IdentityProvider:
    return IdentityProvider(kind=ProviderKind.OIDC, provider_id=f"org-{slug}")


def _callback_url(request: HttpRequest, provider: IdentityProvider) -> str:
    """The redirect URI the company registers at its identity provider."""
    return request.build_absolute_uri(
        reverse("openid_connect_callback", kwargs={"provider_id": provider.provider_id})
    )


@require_POST
@org_view(Role.ORG_ADMIN)
def sso_test(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Test the connection: fetch and check the provider's discovery document."""
    provider = get_oidc_provider(membership)
    if provider is None:
        messages.error(request, _("Save the identity provider first."))
        return redirect("sso_settings", org=membership.org.slug)
    try:
        discovery = do_check_provider(membership, provider)
    except DiscoveryError as error:
        messages.error(request, _("The connection failed. %(reason)s") % {"reason": error})
    else:
        messages.success(
            request,
            _("The connection works: %(issuer)s answered with its sign-in endpoints.")
            % {"issuer": discovery.issuer},
        )
    return redirect("sso_settings", org=membership.org.slug)


@require_POST
@org_view(Role.ORG_ADMIN)
def domain_remove(
    request: HttpRequest, membership: Membership, emaildomain_id: int
) -> HttpResponse:
    domain = get_domain(membership, emaildomain_id)
    do_remove_domain(membership, domain)
    messages.success(request, _("The domain was removed."))
    return redirect("sso_settings", org=membership.org.slug)


@never_cache
@require_http_methods(["GET", "POST"])
@operator_view
def operator_domains(request: HttpRequest) -> HttpResponse:
    """Domains organisations claim; the operator confirms each one out of band."""
    if request.method == "POST":
        row = get_object_or_404(EmailDomain, pk=request.POST.get("domain") or 0)
        try:
            do_verify_domain(request.user, row)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(domain)s is verified for %(org)s.")
                % {"domain": row.domain, "org": row.org.name},
            )
        return redirect("operator_domains")
    domains = EmailDomain.objects.select_related("org", "requested_by").order_by(
        "verified_at", "domain"
    )
    return render(request, "sso/operator_domains.html", {"domains": domains})


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """The "Sign in with <provider>" buttons for the typed e-mail's organisation."""
    form = LookupForm(request.GET or None)
    providers: list[Any] = []
    if form.is_valid():
        domain = email_domain(form.cleaned_data["login"])
        rows = IdentityProvider.objects.usable().filter(
            org__email_domains__domain=domain, org__email_domains__verified_at__isnull=False
        )
        providers = [
            {"name": row.name, "url": reverse("sso_start", args=[row.provider_id])} for row in rows
        ]
    context = {"form": form, "providers": providers, "looked_up": form.is_valid()}
    if getattr(request, "htmx", False):
        return render(request, "sso/_providers.html", context)
    return render(request, "sso/lookup.html", context)


@never_cache
@require_GET
def start(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Continue to the organisation's provider: a page whose form starts the sign-in.

    allauth starts a sign-in on POST only (a GET could be forged by any site), and the
    browser applies our Content-Security-Policy's form-action to the redirect that follows
    the POST: this page, and only it, allows this provider's authorization endpoint (SAML:
    the IdP's sign-in URL).
    """
    provider = get_object_or_404(IdentityProvider.objects.usable(), provider_id=provider_id)
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if provider.kind == ProviderKind.SAML:
        login_url = reverse("saml_login", kwargs={"organization_slug": provider_id})
        destination = provider.saml_sso_url
    else:
        login_url = reverse("openid_connect_login", kwargs={"provider_id": provider_id})
        destination = str(provider.discovery.get("authorization_endpoint", ""))
    response = render(
        request,
        "sso/start.html",
        {"provider": provider, "login_url": login_url, "next": next_url},
    )
    origin = _origin(destination)
    if origin:
        response._csp_update = {"form-action": [origin]}  # type: ignore[attr-defined]
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"
