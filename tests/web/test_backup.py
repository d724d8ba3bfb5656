"""`chorus backup` while Chorus serves and writes, `chorus restore` into a new directory: every
figure equal, the journal's not-yet-ingested clicks included, none counted twice."""

from __future__ import annotations

import http.client
import json
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from tests.processes import Process, chorus, clean_environ, free_port, start_web, wait_for

# The SQLite pass runs it; it does not use the suite's database (see the Makefile).
pytestmark = pytest.mark.embedded

SETUP = """
import json
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from chorus.content.models import ContentItem
from chorus.links.actions import link_for
from chorus.orgs.actions import do_create_organization
from chorus.orgs.models import Membership
from chorus.program.models import Participation
from chorus.sharing.models import Connection
user = get_user_model().objects.create_user("amb@example.com", "x" * 12)
org = do_create_organization("Backup", "backup", user)
member = Membership.objects.get(org=org, user=user)
Participation.objects.create(org=org, membership=member, status="active")
items = [
    ContentItem.objects.create(
        org=org, title=f"Item {n}", url=f"https://example.com/{n}", status="published"
    )
    for n in range(2)
]
Connection.objects.create(
    org=org, membership=member, network="mastodon", handle="@amb",
    credentials={"access_token": "kept-secret-token"},
)
org.logo.save("logo.png", ContentFile(b"\\x89PNG not really a picture"))
print(json.dumps({
    "quiet": link_for(member, "x", item=items[0]).code,
    "busy": link_for(member, "linkedin", item=items[1]).code,
}))
"""

# Items written in a loop while the backup runs (each its own transaction).
WRITER = """
import itertools, time
from chorus.content.models import ContentItem
from chorus.orgs.models import Organization
org = Organization.objects.get(slug="backup")
for n in itertools.count():
    ContentItem.objects.create(org=org, title=f"during {n}", status="draft")
    time.sleep(0.005)
"""

FIGURES = """
import json
from datetime import timedelta
from django.core.management import call_command
from django.db.models import Sum
from chorus.analytics.figures import Scope, totals, utc_today
from chorus.content.models import ContentItem
from chorus.links.ingest import ingest
from chorus.links.models import Click, LinkDay, TrackedLink
from chorus.orgs.models import Organization
from chorus.sharing.models import Connection
ingest()
call_command("rebuild-rollups", verbosity=0)
org = Organization.objects.get(slug="backup")
def link_figures(code):
    link = TrackedLink.objects.get(code=code)
    days = LinkDay.objects.filter(link=link).aggregate(
        clicks=Sum("clicks"), bots=Sum("bot_clicks"), visitors=Sum("unique_visitors")
    )
    events = list(Click.objects.filter(link=link).values_list("event_id", flat=True))
    return {**days, "rows": len(events), "distinct": len(set(events))}
today = utc_today()
print(json.dumps({
    "quiet": link_figures(QUIET),
    "busy": link_figures(BUSY),
    "dashboard_x": totals(Scope(org.pk, today - timedelta(days=6), today, network="x")).as_dict(),
    "items": sorted(ContentItem.objects.filter(org=org).values_list("title", flat=True)),
    "token": Connection.objects.get(org=org).credentials["access_token"],
    "logo": org.logo.read().hex(),
}, default=str))
"""

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/{n}.0"
BOT = "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"


def click(port: int, code: str, user_agent: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", f"/l/{code}", headers={"User-Agent": user_agent})
        response = connection.getresponse()
        response.read()
        return response.status == 302
    finally:
        connection.close()


def figures(environ: dict[str, str], codes: dict[str, str]) -> dict[str, object]:
    script = FIGURES.replace("QUIET", repr(codes["quiet"])).replace("BUSY", repr(codes["busy"]))
    return json.loads(chorus(["shell", "-c", script], environ).strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_backup_while_serving_and_restore_elsewhere(tmp_path: Path) -> None:
    secret = "backup-test-secret-key-0123456789-abcdefghij"
    # The embedded profile's own secret key (var/secret_key), as `make run` uses it.
    source = clean_environ(CHORUS_VAR_DIR=str(tmp_path / "a"))
    chorus(["migrate", "--no-input", "-v0"], source)
    codes = json.loads(chorus(["shell", "-c", SETUP], source).strip().splitlines()[-1])
    processes: list[Process] = []
    stop = threading.Event()
    busy_clicks = {"before_backup": 0, "all": 0}
    try:
        web = start_web(source, free_port())
        processes.append(web)
        # The quiet link: 20 people and 2 crawler visits, ingested; then 15 more people whose
        # clicks are still in the journal when the backup is taken.
        for n in range(20):
            assert click(web.port, codes["quiet"], BROWSER.format(n=100 + n))
        for _ in range(2):
            assert click(web.port, codes["quiet"], BOT)
        assert chorus(["ingest-clicks"], source).startswith("22 click(s)")
        for n in range(15):
            assert click(web.port, codes["quiet"], BROWSER.format(n=200 + n))

        # While the backup runs: clicks on the busy link, and items written to the database.
        def keep_clicking() -> None:
            n = 0
            while not stop.is_set():
                if click(web.port, codes["busy"], BROWSER.format(n=n % 50)):
                    busy_clicks["all"] += 1
                n += 1

        clicker = threading.Thread(target=keep_clicking)
        clicker.start()
        processes.append(
            Process([sys.executable, "-m", "chorus", "shell", "-c", WRITER], source, "w")
        )
        wait_for(lambda: busy_clicks["all"] >= 10, 60, "clicks on the busy link")
        for process in processes:
            assert process.popen.poll() is None, process.output()
        busy_clicks["before_backup"] = busy_clicks["all"]
        out = chorus(["backup", str(tmp_path / "backup")], source)
        assert out.startswith("Backed up"), out
        stop.set()
        clicker.join(timeout=30)
        assert processes[-1].popen.poll() is None, processes[-1].output()
    finally:
        stop.set()
        for process in processes:
            process.stop()
    assert busy_clicks["all"] > busy_clicks["before_backup"] > 0
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert {"chorus.sqlite3", "huey.sqlite3", "secret_key"} <= set(manifest["files"])
    assert any(name.startswith("media/") for name in manifest["files"])
    assert any(name.startswith("clicks/") for name in manifest["files"])

    # Restore into a new directory; the settings there point at it.
    target = clean_environ(CHORUS_VAR_DIR=str(tmp_path / "b"))
    assert "Restored" in chorus(["restore", str(tmp_path / "backup")], target)
    chorus(["migrate", "--no-input", "-v0"], target)
    restored = figures(target, codes)
    original = figures(source, codes)

    # The quiet link's figures and the dashboard's are equal, clicks of the journal included.
    assert restored["quiet"] == original["quiet"]
    assert restored["quiet"] == {
        "clicks": 35,
        "bots": 2,
        "visitors": 35,
        "rows": 37,
        "distinct": 37,
    }
    assert restored["dashboard_x"] == original["dashboard_x"]
    assert restored["dashboard_x"]["clicks"] == 35  # type: ignore[index]
    # The busy link: every click received before the backup began, none twice.
    busy = restored["busy"]
    assert busy["rows"] == busy["distinct"]  # type: ignore[index]
    assert busy_clicks["before_backup"] <= busy["rows"] <= original["busy"]["rows"]  # type: ignore[index]
    assert original["busy"]["rows"] == busy_clicks["all"]  # type: ignore[index]
    # Items written during the backup: a prefix of the source's, in one piece.
    items, kept = original["items"], restored["items"]
    assert any(title.startswith("during") for title in items)  # type: ignore[union-attr]
    assert set(kept) <= set(items)  # type: ignore[arg-type]
    assert {"Item 0", "Item 1"} <= set(kept)  # type: ignore[arg-type]
    during = sorted(int(title.split()[1]) for title in kept if title.startswith("during"))  # type: ignore[union-attr]
    assert during == list(range(len(during)))
    # Encrypted tokens decrypt with the restored secret key; the uploaded logo is back.
    assert restored["token"] == original["token"] == "kept-secret-token"
    assert restored["logo"] == original["logo"]
    assert (tmp_path / "b" / "secret_key").read_bytes() == (
        tmp_path / "a" / "secret_key"
    ).read_bytes()

    # A second restore there would overwrite the database: refused.
    with pytest.raises(AssertionError, match="A database exists"):
        chorus(["restore", str(tmp_path / "backup")], target)
    # A damaged backup is refused before anything is written.
    (tmp_path / "backup" / "secret_key").write_text("tampered")
    fresh = clean_environ(SECRET_KEY=secret, CHORUS_VAR_DIR=str(tmp_path / "c"))
    with pytest.raises(AssertionError, match="missing or damaged"):
        chorus(["restore", str(tmp_path / "backup")], fresh)
    assert not (tmp_path / "c" / "chorus.sqlite3").exists()


@override_settings(REDIS_URL="redis://127.0.0.1:6379/14", CHORUS_CLICK_JOURNAL="redis")
def test_the_scale_out_profile_is_pointed_at_the_deployment_guide(tmp_path: Path) -> None:
    for command in ("backup", "restore"):
        with pytest.raises(CommandError, match=r"docs/deploy\.md"):
            call_command(command, str(tmp_path / "copy"))
    assert not (tmp_path / "copy").exists()
