"""Accessibility: axe-core's WCAG 2.1 A/AA rules (labels, names, contrast…) on every main page,
on a phone and a desktop, in light and dark colour schemes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """
async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
  });
  return result.violations.map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
}
"""


def violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return list(page.evaluate(RUN_AXE))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_main_pages_pass_axe(demo: str, new_page: Any, scheme: str) -> None:
    checks = [
        (
            "ambassador@acme.example",
            {"width": 390, "height": 844},
            [
                "/o/acme/",
                "/profile/",
                "/orgs/",
                "/o/acme/content/",
                "/o/acme/content/2/",
                "/o/acme/suggestions/",
                "/o/acme/links/",
                "/o/acme/programme/join/",
                "/o/acme/programme/leave/",
                "/o/acme/feed/",
                "/o/acme/me/",
                "/o/acme/start/",
                "/o/acme/resources/1/",
                "/o/acme/workshops/1/",
                "/o/acme/questions/ask/",
                "/o/acme/faq/",
                "/o/acme/notifications/",
                "/o/acme/networks/",
                "/o/acme/shares/",
                "/o/acme/compose/2/",
            ],
        ),
        (
            "admin@acme.example",
            {"width": 1280, "height": 800},
            [
                "/o/acme/",
                "/o/acme/members/",
                "/o/acme/teams/",
                "/o/acme/audit/",
                "/profile/",
                "/o/acme/content/",
                "/o/acme/content/2/",
                "/o/acme/content/new/",
                "/o/acme/campaigns/",
                "/o/acme/campaigns/new/",
                "/o/acme/topics/",
                "/o/acme/sources/",
                "/o/acme/curation/",
                "/o/acme/suggestions/",
                "/o/acme/content/import/",
                "/o/acme/links/",
                "/o/acme/links/settings/",
                "/o/acme/programme/",
                "/o/acme/programme/join/",
                "/o/acme/programme/onboarding/",
                "/o/acme/resources/new/",
                "/o/acme/workshops/",
                "/o/acme/questions/",
                "/o/acme/questions/4/",
            ],
        ),
    ]
    found: dict[str, list[str]] = {}
    page = new_page(viewport={"width": 390, "height": 844}, color_scheme=scheme, bypass_csp=True)
    page.goto(demo + "/accounts/login/")
    found["/accounts/login/"] = violations(page)
    for email, viewport, paths in checks:
        page = new_page(viewport=viewport, color_scheme=scheme, bypass_csp=True)
        login(page, demo, email)
        for path in paths:
            page.goto(demo + path)
            found[f"{email} {path}"] = violations(page)
    assert {where: problems for where, problems in found.items() if problems} == {}
