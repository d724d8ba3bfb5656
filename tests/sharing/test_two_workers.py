"""Two worker processes on PostgreSQL + Redis publish 1,000 due shares against the LinkedIn
and X stand-ins: every share exactly once, even with every share queued twice.

Runs in the PostgreSQL pass of the suite (marker `postgres`): worker processes need a
database they can share with the test, which SQLite's in-memory test database is not.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import TransactionTestCase
from django.utils import timezone

from chorus.sharing.models import Connection, Share
from tests.factory import make_item, make_member, make_org, make_user
from tests.servers import wait_for
from tests.sharing.standins import LinkedInStandIn, XStandIn

pytestmark = pytest.mark.postgres

REDIS_URL = os.environ.get("CHORUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
PEOPLE = int(os.environ.get("CHORUS_TEST_WORKER_PEOPLE", "100"))
PER_PERSON = 5  # per network: 100 people, 5 each, 2 networks: 1,000 shares
CHORUS = str(Path(sys.executable).with_name("chorus"))


def _database_url() -> str:
    data = connection.settings_dict
    user = data.get("USER") or ""
    password = f":{data['PASSWORD']}" if data.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = f"{data.get('HOST') or '127.0.0.1'}:{data.get('PORT') or 5432}"
    return f"postgres://{auth}{host}/{data['NAME']}"


class TwoWorkersTests(TransactionTestCase):
    def test_two_workers_publish_a_thousand_due_shares_exactly_once(self) -> None:
        self.assertEqual(connection.vendor, "postgresql")
        queue = redis.Redis.from_url(REDIS_URL)
        queue.flushdb()
        self.addCleanup(queue.flushdb)
        with LinkedInStandIn() as linkedin, XStandIn() as x_api:
            shares = self._create_shares(linkedin, x_api)
            env = {
                **os.environ,
                **linkedin.settings(),
                **x_api.settings(),
                "DATABASE_URL": _database_url(),
                "REDIS_URL": REDIS_URL,
                "SECRET_KEY": settings.SECRET_KEY,
                "CHORUS_ALLOW_PRIVATE_URLS": "1",
                "CHORUS_WORKER_THREADS": "4",
                "CHORUS_FETCH_TIMEOUT": "20",
                "DJANGO_SETTINGS_MODULE": "chorus.settings",
            }
            # Every due share is queued twice, as a retried enqueue or a second
            # scheduler would: the claim must still let exactly one worker publish it.
            for _round in range(2):
                subprocess.run(
                    [CHORUS, "publish-due", "--enqueue", "--limit", "5000"],
                    env=env,
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
            # Worker logs go to files: an unread pipe would fill up and stall them.
            logs = [tempfile.TemporaryFile() for _ in range(2)]  # noqa: SIM115 - closed below
            workers = [
                subprocess.Popen(
                    [CHORUS, "run_huey", "--no-periodic"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
                for log in logs
            ]
            try:
                wait_for(
                    lambda: not Share.objects.filter(status__in=Share.PENDING).exists(),
                    300,
                    "the workers to publish every due share",
                    interval=1,
                )
            finally:
                for worker in workers:
                    worker.terminate()
                for worker in workers:
                    try:
                        worker.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        worker.kill()
            statuses = dict(
                Share.objects.values_list("status").annotate(n=models_count()).order_by()
            )
            problems = list(
                Share.objects.exclude(status=Share.Status.PUBLISHED)
                .values_list("status", "error_code", "error", "attempts")
                .distinct()[:10]
            )
            errors = []
            for log in logs:
                log.seek(0)
                errors.append(log.read().decode(errors="replace")[-2000:])
                log.close()
            self.assertEqual(
                statuses, {Share.Status.PUBLISHED: len(shares)}, (statuses, problems, errors)
            )
            for share in shares:
                count = (linkedin if share["network"] == "linkedin" else x_api).count_posts(
                    text=share["text"]
                )
                self.assertEqual(count, 1, share)
            self.assertEqual(len(linkedin.posts) + len(x_api.tweets), len(shares))
            claimed_by = set(Share.objects.values_list("claimed_by", flat=True))
            self.assertEqual(len(claimed_by), 2, "both workers took part")

    def _create_shares(self, linkedin: LinkedInStandIn, x_api: XStandIn) -> list[dict[str, Any]]:
        org = make_org("Load", "load")
        item = make_item(org, url="")
        now = timezone.now()
        rows = []
        for number in range(PEOPLE):
            member = make_member(org, user=make_user(f"w{number}@load.example"))
            ada = linkedin.add_member(name=f"Person {number}")
            li = Connection.objects.create(
                org=org,
                membership=member,
                network="linkedin",
                handle=ada.name,
                credentials={
                    "access_token": linkedin.issue_token(ada),
                    "member_id": ada.sub,
                    "expires_at": (now + timezone.timedelta(days=50)).isoformat(),
                },
            )
            user = x_api.add_user(username=f"person{number}")
            tokens = x_api.issue_tokens(user)
            xc = Connection.objects.create(
                org=org,
                membership=member,
                network="x",
                handle=f"@{user.username}",
                credentials={
                    "access_token": tokens["access_token"],
                    "refresh_token": tokens["refresh_token"],
                    "expires_at": (now + timezone.timedelta(hours=2)).isoformat(),
                    "user_id": user.id,
                    "username": user.username,
                },
            )
            for index in range(PER_PERSON):
                for network, conn in (("linkedin", li), ("x", xc)):
                    text = f"Post {index} by person {number} on {network}"
                    rows.append(
                        Share(
                            org=org,
                            membership=member,
                            item=item,
                            network=network,
                            connection=conn,
                            text=text,
                            status=Share.Status.SCHEDULED,
                            scheduled_for=now,
                        )
                    )
        Share.objects.bulk_create(rows)
        return [{"network": share.network, "text": share.text} for share in rows]


def models_count() -> Any:
    from django.db.models import Count

    return Count("id")
