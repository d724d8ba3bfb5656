"""Profile pages that manage the person's API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chorus.api import tokens
from chorus.api.models import Token


@require_POST
@login_required
def token_create(request: HttpRequest) -> HttpResponse:
    form = tokens.TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("profile")
    _token, raw = tokens.do_create_token(form.cleaned_data["membership"], form.cleaned_data["name"])
    # Shown once on the next page, then gone: only its hash is stored.
    request.session["new_token"] = raw
    messages.success(
        request, _("Your new token was created. Copy it now: it won't be shown again.")
    )
    return redirect("profile")


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(Token, pk=token_id, user=request.user)
    tokens.do_revoke_token(request.user, token)
    messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
    return redirect("profile")
