"""The governance settings page and the audit log's export (organisation admins)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chorus.governance import actions
from chorus.governance.forms import (
    AuditFilterForm,
    DisclosureForm,
    PeriodForm,
    RetentionForm,
    ReviewScopeForm,
    RuleForm,
)
from chorus.governance.models import Disclosure, ReviewScope, Rule
from chorus.governance.records import (
    AUDIT_COLUMNS,
    audit_entries,
    audit_row,
    download,
    refused,
)
from chorus.governance.rules import settings_of
from chorus.orgs.access import get_member, org_view
from chorus.orgs.models import Membership, Role

REMOVABLE: dict[str, type[Disclosure | Rule | ReviewScope]] = {
    "disclosure": Disclosure,
    "rule": Rule,
    "scope": ReviewScope,
}


@require_http_methods(["GET", "POST"])
@org_view(Role.ORG_ADMIN)
def governance_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Disclosures, compliance rules, review scopes, reviewers and retention, on one page."""
    org = membership.org
    posted = request.POST.get("form", "") if request.method == "POST" else ""
    data = request.POST if posted else None
    forms = {
        "disclosure": DisclosureForm(data if posted == "disclosure" else None, prefix="disclosure"),
        "rule": RuleForm(data if posted == "rule" else None, org=org, prefix="rule"),
        "scope": ReviewScopeForm(data if posted == "scope" else None, org=org, prefix="scope"),
        "retention": RetentionForm(
            data if posted == "retention" else None, instance=settings_of(org), prefix="retention"
        ),
    }
    if posted in forms:
        form = forms[posted]
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in form.Meta.fields}  # type: ignore[attr-defined]
            if posted == "disclosure":
                actions.do_add_disclosure(membership, **values)
            elif posted == "rule":
                actions.do_add_rule(membership, values)
            elif posted == "scope":
                actions.do_add_review_scope(membership, values)
            else:
                actions.do_change_retention(membership, values)
            messages.success(request, _("Saved."))
            return redirect("governance", org=org.slug)
    elif posted == "remove":
        model = REMOVABLE.get(request.POST.get("kind", ""))
        if model is None or not request.POST.get("id", "").isdigit():
            messages.error(request, _("Unknown item."))
            return redirect("governance", org=org.slug)
        target = get_object_or_404(model, org=org, pk=int(request.POST["id"]))
        actions.do_remove(membership, target)  # type: ignore[arg-type]
        messages.success(request, _("Removed."))
        return redirect("governance", org=org.slug)
    elif posted == "reviewer":
        member_id = request.POST.get("member", "")
        if not member_id.isdigit():
            messages.error(request, _("Unknown member."))
            return redirect("governance", org=org.slug)
        member = get_member(membership, int(member_id), manage=True)
        actions.do_set_reviewer(membership, member, request.POST.get("is_reviewer") == "1")
        messages.success(request, _("Saved."))
        return redirect("governance", org=org.slug)
    elif posted:
        messages.error(request, _("Unknown form."))
        return redirect("governance", org=org.slug)
    context = {
        **{f"{name}_form": form for name, form in forms.items()},
        "disclosures": Disclosure.objects.filter(org=org),
        "rules": Rule.objects.filter(org=org).select_related("team", "campaign"),
        "scopes": ReviewScope.objects.filter(org=org).select_related(
            "team", "campaign", "membership__user"
        ),
        "members": Membership.objects.active().filter(org=org).select_related("user"),
        "audit_form": AuditFilterForm(initial={"format": "csv"}, prefix="audit"),
        "records_form": PeriodForm(initial={"format": "csv"}, prefix="records"),
    }
    return render(request, "governance/settings.html", context, status=400 if posted else 200)


@require_http_methods(["GET"])
@org_view(Role.ORG_ADMIN)
def audit_export(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The audit log, filtered by dates, actor and action, as CSV or JSON."""
    form = AuditFilterForm(request.GET, prefix="audit")
    if not form.is_valid():
        return refused(form)
    entries = audit_entries(
        membership.org,
        since=form.cleaned_data["since"],
        until=form.cleaned_data["until"],
        actor=form.cleaned_data["actor"],
        action=form.cleaned_data["action"],
    )
    rows = (audit_row(entry) for entry in entries.iterator())
    name = f"{membership.org.slug}-audit"
    return download(rows, AUDIT_COLUMNS, form.cleaned_data["format"], name)
