"""An org admin's pages about a member's personal data: download it, erase it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from chorus.accounts.personal_data import Scope, do_erase_person, do_export_member
from chorus.accounts.views import json_download
from chorus.orgs.access import get_member, org_view
from chorus.orgs.models import Membership, Role


class EraseForm(forms.Form):
    """The admin types the person's e-mail address to confirm."""

    email = forms.CharField(label=gettext_lazy("Type the person's e-mail address to confirm"))

    def __init__(self, *args: Any, member: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member = member
        self.fields["email"].widget.attrs.update({"autocomplete": "off", "translate": "no"})

    def clean_email(self) -> str:
        typed = self.cleaned_data["email"].strip().lower()
        if typed != self.member.user.email.lower():
            raise forms.ValidationError(_("This is not the person's e-mail address."))
        return typed


@never_cache
@require_GET
@org_view(Role.ORG_ADMIN)
def member_data(request: HttpRequest, membership: Membership, membership_id: int) -> HttpResponse:
    """Download what the organisation holds about a member, as JSON (audited)."""
    member = get_member(membership, membership_id, manage=True)
    data = do_export_member(membership, member)
    return json_download(data, f"chorus-{membership.org.slug}-member-{member.pk}.json")


@require_http_methods(["GET", "POST"])
@org_view(Role.ORG_ADMIN)
def member_erase(request: HttpRequest, membership: Membership, membership_id: int) -> HttpResponse:
    """Confirm, then erase a member's personal data in this organisation (POST only)."""
    member = get_member(membership, membership_id, manage=True)
    form = EraseForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            erasure = do_erase_person(membership, member, scope=Scope.ORGANISATION)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if erasure.account_erased:
                messages.success(request, _("The person's data and account were erased."))
            else:
                messages.success(
                    request,
                    _(
                        "The person's data in this organisation was erased; their account "
                        "stays for their other organisations."
                    ),
                )
            return redirect("members", org=membership.org.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "orgs/member_erase.html", {"member": member, "form": form}, status=status
    )
