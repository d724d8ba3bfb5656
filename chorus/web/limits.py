"""Request body limits, checked against the declared length before any of the body is read.

Django bounds form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but not files: a multipart body is
streamed to a temporary file whole, and CSRF's check is what reads it (it looks for the form's
token in request.POST). So a 300 MB POST to the login page used to be written to disk before its
403. This middleware comes first in MIDDLEWARE and answers 413 when Content-Length exceeds the
limit of the page asked for, before CSRF or the view reads anything:

- every page and API call: `CHORUS_MAX_BODY_BYTES` (1 MiB by default);
- pages that take a file: that file's own limit plus `CHORUS_MAX_BODY_BYTES` for the rest of the
  form (see PAGE_LIMITS: logos 512 KB, the programme's invitation CSV 512 KB, the content CSV
  import 2 MB, a content item's image `CHORUS_MAX_UPLOAD_BYTES`, 10 MiB by default);
- `chorus serve` (waitress, chorus.web.server) applies the same limits itself as soon as it has
  read a request's headers, so a body over its page's limit is never even buffered, and it
  counts a chunked body as it arrives (nothing over `largest_limit()`).

A body sent without Content-Length (Transfer-Encoding: chunked) is refused with 411 by this
middleware when the server passed it on undecoded: Django would read it as empty (gunicorn in
the scale-out profile, behind a proxy that should have buffered it). Waitress decodes chunked
bodies itself, within its limit, and gives Django their length.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from chorus.content.importing import MAX_BYTES as CONTENT_IMPORT_MAX_BYTES
from chorus.orgs.validators import LOGO_MAX_BYTES
from chorus.program.forms import MAX_CSV_BYTES


def page_limits() -> dict[str, int]:
    """URL name → the largest body that page accepts (the pages that take a file)."""
    rest = settings.CHORUS_MAX_BODY_BYTES
    return {
        "setup": LOGO_MAX_BYTES + rest,
        "org_settings_organisation": LOGO_MAX_BYTES + rest,
        "programme": MAX_CSV_BYTES + rest,
        "item_import": CONTENT_IMPORT_MAX_BYTES + rest,
        "item_create": settings.CHORUS_MAX_UPLOAD_BYTES,
        "item_edit": settings.CHORUS_MAX_UPLOAD_BYTES,
    }


def limit_for_path(path: str) -> int:
    """The body limit of the page at `path` (the default one when no page matches)."""
    try:
        name = resolve(path).url_name
    except Resolver404:
        name = None
    return page_limits().get(name or "", settings.CHORUS_MAX_BODY_BYTES)


def largest_limit() -> int:
    """The most any request may carry (the server's own limit)."""
    return max(settings.CHORUS_MAX_BODY_BYTES, *page_limits().values())


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = _("This request is too large: %(max)s at most.") % {"max": filesizeformat(limit)}
    return refuse(request, message, 413)


def refuse(request: HttpRequest, message: str, status: int) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": message, "errors": {"__all__": [message]}}, status=status
        )
    else:
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    # The unread body is still on the connection: do not keep it for another request.
    response["Connection"] = "close"
    return response


class BodyLimitMiddleware:
    """413 for a body over the page's limit, judged by Content-Length alone (see above)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    @staticmethod
    def declared_length(request: HttpRequest) -> int | None:
        value = request.META.get("CONTENT_LENGTH") or ""
        return int(value) if value.isdigit() else None

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        value = request.META.get("CONTENT_LENGTH") or ""
        length = self.declared_length(request)
        if value and length is None:
            return refuse(request, _("The Content-Length header is not a number."), 400)
        if length is None and request.META.get("HTTP_TRANSFER_ENCODING"):
            return refuse(request, _("A request body needs a Content-Length header."), 411)
        if length is not None and length > largest_limit():
            # Over every page's limit; the message gives this page's.
            return too_large(request, limit_for_path(request.path_info))
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        length = self.declared_length(request)
        if not length:
            return None
        match = request.resolver_match
        name = match.url_name if match is not None else None
        limit = page_limits().get(name or "", settings.CHORUS_MAX_BODY_BYTES)
        if length > limit:
            return too_large(request, limit)
        return None
