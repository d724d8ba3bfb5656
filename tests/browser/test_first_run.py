"""A company's first hour, as a new user lives it: `chorus serve` on an empty instance prints a
set-up code; the set-up page refuses a wrong one and creates the organisation with the right one
(which then cannot be used again); the admin publishes a piece of content and invites a
colleague by e-mail (received by a real SMTP server on 127.0.0.1); the colleague, on a phone,
sets a password from the mail's link, opts in and sees the content in their feed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.mail import Inbox, body, smtp_server
from tests.servers import LocalServer, free_port, local_server

pytestmark = pytest.mark.browser

CODE_LINE = re.compile(r"one-time set-up code:\s+(\S+)")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "locale": "en-US"}
ARTICLE = b"""<!doctype html><html><head><title>Acme Robotics opens its Lyon lab</title>
<meta property="og:title" content="Acme Robotics opens its Lyon lab">
<meta property="og:description" content="Forty engineers, one robot arm, a lot of coffee.">
</head><body><p>Forty engineers.</p></body></html>"""


@dataclass
class Instance:
    url: str
    inbox: Inbox
    site: LocalServer
    output: list[str] = field(default_factory=list)

    def wait_for_line(self, pattern: re.Pattern[str], timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.output):
                match = pattern.search(line)
                if match:
                    return match
            time.sleep(0.1)
        raise AssertionError("not printed:\n" + "\n".join(self.output))

    def wait_for_mail(self, address: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.inbox.to(address)
            if messages:
                return messages[-1]
            time.sleep(0.1)
        raise AssertionError(f"no mail to {address}; got {[m['To'] for m in self.inbox.messages]}")


@pytest.fixture
def empty_instance(tmp_path: Path) -> Iterator[Instance]:
    """`chorus serve` on a new, migrated, empty database; its mail goes to a local SMTP server."""
    port = free_port()
    with smtp_server() as (inbox, smtp_port), local_server() as site:
        site.respond("/news/lyon-lab", ARTICLE)
        environ = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(
                ("CHORUS_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY")
            )
        }
        environ.update(
            CHORUS_VAR_DIR=str(tmp_path),  # the SECRET_KEY is made there, as `make run` does
            CHORUS_STATIC_MANIFEST="0",
            CHORUS_ENV_FILE=os.devnull,
            DJANGO_SETTINGS_MODULE="chorus.settings",
            CHORUS_BASE_URL=f"http://127.0.0.1:{port}",
            CHORUS_EMAIL_HOST="127.0.0.1",
            CHORUS_EMAIL_PORT=str(smtp_port),
            CHORUS_EMAIL_USE_TLS="0",
            CHORUS_ALLOW_PRIVATE_URLS="1",  # the article is served on 127.0.0.1
        )
        subprocess.run(
            [sys.executable, "-m", "chorus", "migrate", "--no-input", "-v0"],
            env=environ,
            check=True,
            timeout=300,
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "chorus", "serve", "--bind", f"127.0.0.1:{port}"],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        instance = Instance(f"http://127.0.0.1:{port}", inbox, site)

        def read_output() -> None:
            assert server.stdout is not None
            for line in server.stdout:
                instance.output.append(line.rstrip("\n"))

        reader = threading.Thread(target=read_output, daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{instance.url}/healthz", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise AssertionError("\n".join(instance.output)) from None
                    time.sleep(0.2)
            yield instance
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
            reader.join(timeout=5)


def test_a_new_company_sets_up_invites_and_a_colleague_joins_on_a_phone(
    empty_instance: Instance, new_page: Any
) -> None:
    base = empty_instance.url
    code = empty_instance.wait_for_line(CODE_LINE).group(1)

    # The first visit leads to the set-up page.
    admin = new_page(**PHONE)
    admin.goto(base + "/")
    admin.wait_for_url("**/setup/")

    def fill_setup(setup_code: str) -> None:
        admin.get_by_label("Set-up code").fill(setup_code)
        admin.get_by_label("Organisation name").fill("Acme Robotics")
        admin.get_by_label("Short name in addresses").fill("acme-robotics")
        admin.get_by_label("Time zone").select_option("Europe/Paris")
        admin.get_by_label("Your first name").fill("Ada")
        admin.get_by_label("Your e-mail address").fill("ada@robotics.example")
        admin.locator("input[name=password1]").fill("a-long-admin-passphrase-2026")
        admin.get_by_label("Password (again)").fill("a-long-admin-passphrase-2026")
        admin.get_by_role("button", name="Create the organisation").click()

    # A wrong code is refused, and nothing is created.
    fill_setup("WRONG-CODE-1234")
    assert admin.url.endswith("/setup/")
    assert "code" in admin.locator("main").inner_text().lower()
    # The right one creates the organisation and signs its admin in.
    fill_setup(code)
    admin.wait_for_url(lambda url: "/setup/" not in url)
    # The code is spent: the set-up page is gone for everyone.
    assert admin.goto(base + "/setup/").status == 404

    # The admin publishes a piece of content.
    admin.goto(base + "/o/acme-robotics/content/new/")
    admin.get_by_label("URL").fill(empty_instance.site.url("/news/lyon-lab"))
    admin.get_by_label("Title").fill("Acme Robotics opens its Lyon lab")
    admin.get_by_label("Status").select_option("published")
    admin.get_by_role("button", name="Save").click()
    admin.wait_for_url("**/content/*/")

    # ... and invites a colleague to the programme.
    admin.goto(base + "/o/acme-robotics/programme/")
    admin.get_by_label("E-mail addresses").fill("noa@robotics.example")
    admin.get_by_role("button", name="Send the invitations").click()
    assert "noa@robotics.example" in admin.locator("main").inner_text()

    mail = empty_instance.wait_for_mail("noa@robotics.example")
    text = body(mail, "text/plain")
    assert "Acme Robotics" in mail["Subject"] + text
    assert "password reset" not in (mail["Subject"] + text).lower()
    link = re.search(re.escape(base) + r"/invitations/\S+", text)
    assert link, text

    # The colleague, on a phone: a password from the mail's link, the opt-in, the feed.
    noa = new_page(**PHONE)
    noa.goto(link.group(0))
    noa.locator("input[name=new_password1]").fill("noa-chooses-a-passphrase")
    noa.get_by_label("Password (again)").fill("noa-chooses-a-passphrase")
    noa.get_by_role("button", name="Choose this password and join").click()
    noa.wait_for_url("**/programme/join/")
    noa.get_by_label("I have read the above and I want to take part.").check()
    noa.get_by_role("button", name="Join the programme").click()
    noa.goto(base + "/o/acme-robotics/feed/")
    assert "Acme Robotics opens its Lyon lab" in noa.locator("main").inner_text()
    # A phone-sized page: nothing wider than the screen.
    assert noa.evaluate("document.documentElement.scrollWidth") <= 390
    # The link was for one use.
    other = new_page(**PHONE)
    other.goto(link.group(0))
    assert "already been used" in other.locator("main").inner_text()
