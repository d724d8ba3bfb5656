"""The programme dashboard in real Chromium: charts drawn under the strict CSP, no console
error, filters that change the figures, and a page that fits a phone."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CHARTS = ["over_time", "networks", "teams", "campaigns", "funnel", "retention"]
# How many pixels of a canvas are painted (not transparent).
PAINTED = """(canvas) => {
  const context = canvas.getContext("2d");
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let index = 3; index < pixels.length; index += 4) if (pixels[index] > 0) painted++;
  return painted;
}"""


@pytest.fixture
def results(demo: str) -> str:
    from chorus.analytics.demo import load_analytics_demo
    from chorus.orgs.models import Organization

    load_analytics_demo(Organization.objects.get(slug="acme"), random.Random(2026))
    return demo


def watch_console(page: Any) -> list[str]:
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def figure(page: Any, name: str) -> int:
    """A key figure as a number, whatever the language's thousand separator."""
    text = page.locator(f'[data-figure="{name}"]').inner_text()
    return int("".join(character for character in text if character.isdigit()))


def in_english(page: Any) -> None:
    """The demo program manager reads French; these checks read English labels."""
    if page.evaluate("document.documentElement.lang") != "en":
        page.locator("form.language button[value=en]").click()
        page.wait_for_function("document.documentElement.lang === 'en'")


def assert_charts_drawn(page: Any) -> None:
    for name in CHARTS:
        canvas = page.locator(f'canvas[data-chart="{name}"]')
        canvas.scroll_into_view_if_needed()
        page.wait_for_selector(f'canvas[data-chart="{name}"][data-drawn="true"]')
        assert canvas.evaluate(PAINTED) > 500, f"the {name} chart is blank"


def test_a_program_manager_reads_the_dashboard_and_filters_by_team(
    results: str, new_page: Any
) -> None:
    page = new_page(viewport=DESKTOP, locale="en-US")
    errors = watch_console(page)
    login(page, results, "pm@acme.example")
    page.goto(results + "/o/acme/dashboard/?period=90")
    in_english(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Programme results"
    assert_charts_drawn(page)
    everyone = figure(page, "shares")
    assert everyone > 50
    assert figure(page, "clicks") > 0
    # Each chart has its figures as a table too.
    teams_table = page.get_by_role("table", name="Per team")
    assert "Sales" in teams_table.inner_text()

    page.get_by_label("Team", exact=True).select_option(label="Sales")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**team=*")
    sales = figure(page, "shares")
    assert 0 < sales < everyone
    rows = page.get_by_role("table", name="Per team").locator("tbody th")
    assert rows.all_inner_texts() == ["Sales"]
    assert_charts_drawn(page)
    assert page.get_by_label("Team", exact=True).input_value() != ""

    # A filter the page cannot use is said, not a crash.
    page.goto(results + "/o/acme/dashboard/?team=nope&period=90")
    assert "not understood" in page.get_by_test_id("filter-errors").inner_text()
    assert figure(page, "shares") == everyone
    assert errors == [], errors


def test_the_dashboard_on_a_phone_in_french(results: str, new_page: Any) -> None:
    page = new_page(viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True)
    errors = watch_console(page)
    login(page, results, "pm@acme.example")
    page.goto(results + "/o/acme/dashboard/")
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert figure(page, "shares") > 0
    page.wait_for_selector('canvas[data-chart="over_time"][data-drawn="true"]')
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the dashboard scrolls sideways by {overflow}px"
    assert errors == [], errors
