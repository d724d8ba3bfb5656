"""The application shell: health check, web-app manifest, service worker, offline page."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET
from django.views.static import serve

from chorus.lib.locks import iso, lease_report, seconds_since_completed
from chorus.web.tasks import HEARTBEAT


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the app, its database and the worker answer, 503 otherwise.

    The worker beats every minute (chorus.web.tasks.worker_heartbeat); a last beat older than
    CHORUS_WORKER_SILENT_AFTER seconds answers 503 with `"worker": {"state": "silent", ...}`,
    for an orchestrator or a monitoring probe to act. No beat at all yet ("unknown": a new
    instance, or one run without its worker) is not an error.

    The body also gives the state of each leased background task ("ok", "running", "not_run"
    or "stuck", see chorus.lib.locks), for an operator to see; a stuck task does not turn the
    answer into a 503, since the web app itself still serves.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any database failure means "not healthy"
        return JsonResponse(
            {"status": "error", "database": str(error.__class__.__name__)}, status=503
        )
    body: dict[str, object] = {"status": "ok", "database": "ok"}
    status = 200
    try:
        body["tasks"] = lease_report()
        beat = seconds_since_completed(HEARTBEAT)
    except Exception as error:  # the task queue's backend is down: say so, still serve
        body["tasks_error"] = error.__class__.__name__
    else:
        limit = settings.CHORUS_WORKER_SILENT_AFTER
        if beat is None:
            body["worker"] = {"state": "unknown", "last_heartbeat": None}
        else:
            age, at = beat
            body["worker"] = {
                "state": "silent" if age > limit else "ok",
                "last_heartbeat": iso(at),
                "seconds_since_heartbeat": round(age, 1),
            }
            if age > limit:
                body["status"] = "error"
                body["error"] = f"worker: no heartbeat for {round(age)} s (limit {limit} s)"
                status = 503
    return JsonResponse(body, status=status)


@require_GET
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": "Chorus",
        "short_name": "Chorus",
        "description": _("Share your company's news in your own voice."),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#4338ca",
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": static("web/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {
                "src": static("web/icon-maskable.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "maskable",
            },
        ],
    }
    return HttpResponse(json.dumps(data), content_type="application/manifest+json")


@require_GET
@cache_control(max_age=0, no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the root so its scope covers the whole app."""
    context = {
        "shell": [static("dist/app.js"), static("dist/app.css"), static("web/icon.svg")],
        "offline_url": "/offline/",
    }
    response = render(request, "web/sw.js", context, content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Uploaded and fetched images (the embedded profile has no other web server)."""
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "web/offline.html")
