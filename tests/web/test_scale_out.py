"""The scale-out topology, proven: two web processes and two workers on PostgreSQL + Redis run
the core loop. Content created through web A, a share scheduled through web B and published
exactly once to the Mastodon stand-in by one of the workers, clicks through both webs
counted once each, the dashboard's figures right.

It runs the commands docs/deploy.md gives (`chorus migrate`, `chorus collectstatic`, gunicorn
on `chorus.wsgi:application`, `chorus run_huey` with one scheduler, `chorus publish-due
--enqueue`, `chorus ingest-clicks`, `chorus rebuild-rollups`), in the PostgreSQL pass of the
suite (marker `postgres`): the processes share the test's database, which SQLite's in-memory
test database cannot be.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client, TransactionTestCase

from chorus.content.models import ContentItem
from chorus.links.models import Click
from chorus.orgs.models import Role
from chorus.sharing.models import Attempt, Connection, Share
from tests.factory import make_member, make_org, make_token, make_user
from tests.processes import (
    Process,
    chorus,
    clean_environ,
    free_port,
    start_web,
    start_worker,
    wait_for,
)
from tests.servers import local_server
from tests.sharing.mastodon_server import running_mock

pytestmark = pytest.mark.postgres

REDIS_URL = "redis://127.0.0.1:6379/14"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/{n}.0"


def database_url() -> str:
    data = connection.settings_dict
    user = data.get("USER") or ""
    password = f":{data['PASSWORD']}" if data.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = f"{data.get('HOST') or '127.0.0.1'}:{data.get('PORT') or 5432}"
    return f"postgres://{auth}{host}/{data['NAME']}"


def call(
    port: int,
    method: str,
    path: str,
    *,
    token: str = "",
    body: dict[str, Any] | None = None,
    cookie: str = "",
    user_agent: str = "",
) -> tuple[int, dict[str, str], bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if cookie:
        headers["Cookie"] = cookie
    if user_agent:
        headers["User-Agent"] = user_agent
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        client.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=headers
        )
        response = client.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        client.close()


def dashboard_figures(port: int, cookie: str) -> dict[str, str]:
    status, _, page = call(port, "GET", "/o/scale/dashboard/", cookie=cookie)
    assert status == 200, page[:500]
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', page.decode()))


class ScaleOutTests(TransactionTestCase):
    def test_two_webs_and_two_workers_run_the_core_loop(self) -> None:
        self.assertEqual(connection.vendor, "postgresql")
        queue = redis.Redis.from_url(REDIS_URL)
        queue.flushdb()
        self.addCleanup(queue.flushdb)
        tmp = Path(self.enterContext(tempfile.TemporaryDirectory(prefix="chorus-scale-")))
        mastodon = self.enterContext(running_mock(tmp))
        site = self.enterContext(local_server())
        site.respond("/launch", b"<html><head><title>Launch</title></head><body>New</body></html>")

        org = make_org("Scale", "scale")
        paul = make_member(org, Role.PROGRAM_MANAGER, make_user("paul@scale.example"))
        amy = make_member(org, Role.AMBASSADOR, make_user("amy@scale.example"))
        Connection.objects.create(
            org=org,
            membership=amy,
            network="mastodon",
            handle="@testuser",
            credentials=mastodon.credentials(),
        )
        paul_token, amy_token = make_token(paul)[1], make_token(amy)[1]
        browser = Client()
        browser.force_login(paul.user)
        cookie = f"sessionid={browser.cookies['sessionid'].value}"

        environ = clean_environ(
            DATABASE_URL=database_url(),
            REDIS_URL=REDIS_URL,
            SECRET_KEY=settings.SECRET_KEY,
            CHORUS_VAR_DIR=str(tmp / "var"),
            CHORUS_ALLOW_PRIVATE_URLS="1",  # the stand-ins listen on 127.0.0.1
            CHORUS_STATIC_MANIFEST="1",  # as in production, after collectstatic
        )
        if settings.CHORUS_ENCRYPTION_KEYS:
            environ["CHORUS_ENCRYPTION_KEYS"] = ",".join(settings.CHORUS_ENCRYPTION_KEYS)
        # The upgrade steps of docs/deploy.md: migrations (nothing left to do here), static files.
        chorus(["migrate", "--no-input"], environ)
        chorus(["collectstatic", "--no-input", "-v0"], environ)

        processes: list[Process] = []
        try:
            web_a = start_web(environ, free_port())
            processes.append(web_a)
            web_b = start_web(environ, free_port())
            processes.append(web_b)
            # One scheduler (periodic tasks) and one more consumer, as docs/deploy.md says.
            processes.append(start_worker(environ, "worker-1"))
            processes.append(start_worker(environ, "worker-2", "--no-periodic"))

            # Content through web A.
            status, _, body = call(
                web_a.port,
                "POST",
                "/api/v1/content",
                token=paul_token,
                body={"title": "Launch day", "url": site.url("/launch"), "status": "published"},
            )
            self.assertEqual(status, 201, body)
            item_id = json.loads(body)["id"]
            # A share through web B, queued at once; and every due share queued again, as a
            # retried enqueue or a second scheduler would: still published once.
            status, _, body = call(
                web_b.port,
                "POST",
                "/api/v1/shares",
                token=amy_token,
                body={"content": item_id, "network": "mastodon", "text": "Our launch, in my words"},
            )
            self.assertEqual(status, 201, body)
            share = json.loads(body)
            chorus(["publish-due", "--enqueue"], environ)
            wait_for(
                lambda: (
                    Share.objects.filter(pk=share["id"], status="published").exists()
                    or _stopped(processes)
                ),
                120,
                "the share to be published",
            )
            self.assertFalse(_stopped(processes), _logs(processes))
            posted = [s for s in mastodon.statuses() if "Our launch, in my words" in s["content"]]
            self.assertEqual(len(posted), 1, posted)
            self.assertEqual(Attempt.objects.filter(share_id=share["id"]).count(), 1)
            code = re.search(r"/l/([A-Za-z0-9]+)", share["text"]).group(1)  # type: ignore[union-attr]

            # Clicks through both webs (each a different visitor), journaled in Redis.
            for n, port in enumerate([web_a.port] * 3 + [web_b.port] * 4):
                status, headers, _ = call(
                    port, "GET", f"/l/{code}", user_agent=BROWSER.format(n=100 + n)
                )
                self.assertEqual(status, 302)
                self.assertTrue(headers["Location"].startswith(site.url("/launch")))
            # Ingested (the scheduler worker does it every minute; the command does it now, and
            # either way once) and rolled up: web B's dashboard shows them.
            chorus(["ingest-clicks"], environ)
            chorus(["rebuild-rollups", "--org", "scale"], environ)
            figures = dashboard_figures(web_b.port, cookie)
            self.assertEqual(figures["clicks"], "7", figures)
            self.assertEqual(figures["unique_visitors"], "7", figures)
            self.assertEqual(Click.objects.count(), 7)
            self.assertEqual(Click.objects.values("event_id").distinct().count(), 7)
            self.assertEqual(figures["shares"], "1")
            self.assertEqual(figures["bot_clicks"], "0")
            # `chorus ingest-clicks` finds nothing left, and counts nothing twice.
            self.assertIn("0 click(s)", chorus(["ingest-clicks"], environ))
            self.assertEqual(Click.objects.count(), 7)
            self.assertEqual(ContentItem.objects.filter(org=org).count(), 1)
            self.assertFalse(_stopped(processes), _logs(processes))
        finally:
            for process in processes:
                process.stop()
        self.assert_pg_dump_restores(tmp)

    def assert_pg_dump_restores(self, tmp: Path) -> None:
        """The PostgreSQL backup of docs/deploy.md: pg_dump, then pg_restore into a new
        database, which holds the same figures."""
        dump = tmp / "chorus.dump"
        url = database_url()
        copy = f"{connection.settings_dict['NAME']}_restored"
        copy_url = url.rsplit("/", 1)[0] + f"/{copy}"
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", url], check=True)
        psql = ["psql", url, "-v", "ON_ERROR_STOP=1", "-Atc"]
        subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{copy}"'], check=True)
        subprocess.run([*psql, f'CREATE DATABASE "{copy}"'], check=True)
        try:
            subprocess.run(
                ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={copy_url}", str(dump)],
                check=True,
            )
            counts = subprocess.run(
                [
                    "psql",
                    copy_url,
                    "-Atc",
                    "SELECT (SELECT count(*) FROM links_click),"
                    " (SELECT count(*) FROM sharing_share "
                    "WHERE status = 'published'), (SELECT sum(clicks) FROM links_linkday)",
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            self.assertEqual(counts, "7|1|7")
        finally:
            subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{copy}"'], check=True)


def _stopped(processes: list[Process]) -> bool:
    return any(process.popen.poll() is not None for process in processes)


def _logs(processes: list[Process]) -> str:
    return "\n".join(f"--- {process.name}\n{process.output()}" for process in processes)
