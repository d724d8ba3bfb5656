"""Send the first visitor of an empty instance to the set-up page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from chorus.orgs.setup import instance_is_empty

# Paths that work the same on an empty instance: machines (health checks, the API, tracked
# links, the tracking script), files, the service worker's shell, and the set-up page itself
# with the language switch it offers.
EXEMPT_PREFIXES = (
    "/setup/",
    "/healthz",
    "/static/",
    "/media/",
    "/l/",
    "/t/",
    "/api/",
    "/i18n/",
    "/manifest.webmanifest",
    "/sw.js",
    "/offline/",
)


class SetupRedirectMiddleware:
    """While no organisation exists, a page visit leads to /setup/.

    Only anonymous visits (and anyone's visit to the home page) are checked: that is how
    the first visit to an empty instance arrives, and it keeps the extra query off the
    pages of people who are signed in to an organisation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method in ("GET", "HEAD")
            and not request.path.startswith(EXEMPT_PREFIXES)
            and (request.path == "/" or not request.user.is_authenticated)
            and instance_is_empty()
        ):
            return redirect("setup")
        return self.get_response(request)
