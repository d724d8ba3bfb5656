"""WSGI entry point. Tracked-link redirects take a short path; everything else is Django."""

import os
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
django_application = get_wsgi_application()

from chorus.links.redirect import wsgi_redirect  # noqa: E402 - needs Django set up


def application(environ: dict[str, Any], start_response: Any) -> Any:
    # The redirect is the one path that takes internet-scale traffic: it skips the
    # middleware stack (sessions, CSRF, templates…) it does not use.
    path = environ.get("PATH_INFO", "")
    if path.startswith("/l/") and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
        response = wsgi_redirect(path[3:], environ, start_response)
        if response is not None:
            return response
    return django_application(environ, start_response)
