"""The person's own profile: name, language, and personal API tokens."""

from __future__ import annotations

import json
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from chorus.accounts.forms import ProfileForm
from chorus.accounts.models import User
from chorus.accounts.personal_data import export_person
from chorus.api import tokens


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Show and update the person's profile, and list their API tokens."""
    user = request.user
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        response = redirect("profile")
        if form.cleaned_data["language"]:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"])
        return response
    context = {
        "form": form,
        "tokens": tokens.tokens_of(user),
        "token_form": tokens.TokenForm(user=user),
        "new_token": request.session.pop("new_token", None),
    }
    return render(request, "accounts/profile.html", context)


def json_download(data: dict[str, Any], filename: str) -> HttpResponse:
    """A JSON file the browser saves rather than shows."""
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@require_GET
@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """Download everything Chorus holds about the signed-in person, as a JSON file."""
    user = cast(User, request.user)
    return json_download(export_person(user), "chorus-my-data.json")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; for a logged-in person, remember it on their account."""
    language = request.POST.get("language", "")
    response = django_set_language(request)
    if language in dict(settings.LANGUAGES) and request.user.is_authenticated:
        request.user.language = language  # type: ignore[union-attr]
        request.user.save(update_fields=["language"])  # type: ignore[union-attr]
    if isinstance(response, HttpResponseRedirect) and not url_has_allowed_host_and_scheme(
        response.url, allowed_hosts={request.get_host()}
    ):
        return redirect("home")
    return response
