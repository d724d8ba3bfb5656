"""The UI in real Chromium: phone and desktop, French and English, htmx under a strict CSP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import login
from tests.browser.i18n_check import assert_page_in, wrong_language_texts

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def switch_language(page: Any, language: str) -> None:
    page.locator(f"form.language button[value={language}]").click()
    page.wait_for_function(f"document.documentElement.lang === '{language}'")


def assert_fits_the_screen(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_ambassador_on_a_phone_in_english_and_french(demo: str, new_page: Any) -> None:
    page = new_page(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    login(page, demo, "ambassador@acme.example")
    assert page.url.endswith("/o/acme/")
    assert page.get_by_role("heading", level=1).inner_text() == "My feed"

    pages = [
        "/o/acme/",
        "/profile/",
        "/orgs/",
        "/o/acme/members/",
        "/o/acme/content/",
        "/o/acme/content/2/",
        "/o/acme/suggestions/",
        "/o/acme/links/",
        "/o/acme/feed/",
        "/o/acme/me/",
        "/o/acme/start/",
        "/o/acme/resources/",
        "/o/acme/resources/1/",
        "/o/acme/workshops/",
        "/o/acme/workshops/1/",
        "/o/acme/questions/",
        "/o/acme/questions/ask/",
        "/o/acme/faq/",
        "/o/acme/notifications/",
        "/o/acme/networks/",
        "/o/acme/shares/",
        "/o/acme/compose/2/",
    ]
    for language in ("en", "fr", "en"):
        if language != page.evaluate("document.documentElement.lang"):
            switch_language(page, language)
        for path in pages:
            page.goto(demo + path)
            assert_page_in(page, language)
            assert_fits_the_screen(page)

    # The navigation folds into a menu on a phone and opens with a tap.
    page.goto(demo + "/o/acme/")
    nav_link = page.get_by_role("link", name="Profile", exact=True)
    assert not nav_link.is_visible()
    page.get_by_text("Menu", exact=True).click()
    nav_link.click()
    page.wait_for_url("**/profile/")
    # An ambassador does not manage members: a translated 403 page, no menu entry.
    response = page.goto(demo + "/o/acme/members/")
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Not allowed"


def test_language_choice_follows_the_person_to_a_new_browser(demo: str, new_page: Any) -> None:
    page = new_page(viewport=PHONE, locale="en-US")
    login(page, demo, "ambassador@acme.example")
    switch_language(page, "fr")
    other = new_page(viewport=DESKTOP, locale="en-US")
    other.goto(demo + "/accounts/login/")
    assert_page_in(other, "en")
    login(other, demo, "ambassador@acme.example")
    assert_page_in(other, "fr")


def test_program_manager_on_a_desktop_in_french_and_english(demo: str, new_page: Any) -> None:
    page = new_page(viewport=DESKTOP, locale="fr-FR")
    page.goto(demo + "/accounts/login/")
    assert_page_in(page, "fr")  # the browser's language by default
    login(page, demo, "pm@acme.example")
    page.goto(demo + "/o/acme/")

    page.get_by_role("link", name="Programme").first.click()
    page.get_by_role("navigation", name="Programme").get_by_role("link", name="Équipes").click()
    page.get_by_role("link", name="Sales").click()
    team_path = page.url.removeprefix(demo)
    page.goto(demo + "/o/acme/members/")
    page.get_by_role("link", name="Camille Durand").click()
    member_path = page.url.removeprefix(demo)

    pages = [
        "/o/acme/",
        "/o/acme/members/",
        member_path,
        "/o/acme/teams/",
        team_path,
        "/profile/",
        "/orgs/",
        "/o/northwind/",
        "/o/acme/content/",
        "/o/acme/content/2/",
        "/o/acme/content/new/",
        "/o/acme/campaigns/",
        "/o/acme/campaigns/new/",
        "/o/acme/topics/",
        "/o/acme/personas/",
        "/o/acme/sources/",
        "/o/acme/curation/",
        "/o/acme/suggestions/",
        "/o/acme/content/import/",
        "/o/acme/links/",
        "/o/acme/links/settings/",
        "/o/acme/programme/",
        "/o/acme/programme/join/",
        "/o/acme/programme/leave/",
        "/o/acme/me/",
        "/o/acme/programme/onboarding/",
        "/o/acme/resources/new/",
        "/o/acme/resources/1/edit/",
        "/o/acme/workshops/",
        "/o/acme/workshops/1/",
        "/o/acme/questions/",
        "/o/acme/questions/4/",
        "/o/acme/faq/",
    ]
    for language in ("fr", "en"):
        if language != page.evaluate("document.documentElement.lang"):
            switch_language(page, language)
        for path in pages:
            page.goto(demo + path)
            assert_page_in(page, language)
            assert_fits_the_screen(page)


def test_member_search_updates_the_list_with_htmx(demo: str, new_page: Any) -> None:
    page = new_page(viewport=DESKTOP, locale="en-US")
    login(page, demo, "admin@acme.example")
    page.goto(demo + "/o/acme/members/")
    rows = page.locator("#member-rows tbody tr")
    assert rows.count() == 25
    with page.expect_response(lambda response: "q=nguyen" in response.url):
        page.get_by_label("Search members").fill("nguyen")
    page.wait_for_function("document.querySelectorAll('#member-rows tbody tr').length === 1")
    assert "Sarah Nguyen" in rows.first.inner_text()
    assert page.url.endswith("?q=nguyen")  # the filtered list can be bookmarked


def test_admin_adds_a_member_and_sees_it_in_the_audit_log(demo: str, new_page: Any) -> None:
    page = new_page(viewport=PHONE, locale="en-US")
    login(page, demo, "admin@acme.example")
    page.goto(demo + "/o/acme/members/")
    page.get_by_label("E-mail address").fill("new.hire@acme.example")
    page.get_by_label("Role").select_option("ambassador")
    page.get_by_label("Team").select_option(label="Engineering")
    page.get_by_role("button", name="Add member").click()
    assert "new.hire@acme.example was added" in page.locator(".messages").inner_text()
    page.goto(demo + "/o/acme/audit/")
    assert "new.hire@acme.example" in page.locator("table").inner_text()


def test_keyboard_users_can_skip_to_the_content(demo: str, new_page: Any) -> None:
    page = new_page(viewport=DESKTOP, locale="en-US")
    login(page, demo, "pm@acme.example")
    page.goto(demo + "/o/acme/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") in (
        "Skip to content",
        "Aller au contenu",
    )
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    # Every form field has a label a screen reader can announce.
    page.goto(demo + "/profile/")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
              .map(el => el.name)"""
    )
    assert unlabelled == []


def test_the_app_installs_a_service_worker(demo: str, new_page: Any) -> None:
    page = new_page(viewport=PHONE, locale="en-US")
    page.goto(demo + "/accounts/login/")
    script = page.evaluate(
        "navigator.serviceWorker.ready.then(registration => registration.active.scriptURL)"
    )
    assert script.endswith("/sw.js")
    manifest = page.evaluate("document.querySelector('link[rel=manifest]').href")
    assert manifest.endswith("/manifest.webmanifest")


def test_the_language_check_catches_an_untranslated_string(demo: str, new_page: Any) -> None:
    page = new_page(viewport=DESKTOP, locale="fr-FR")
    login(page, demo, "pm@acme.example")
    page.goto(demo + "/o/acme/")
    assert wrong_language_texts(page, "fr") == []
    page.evaluate("document.querySelector('main h1').textContent = 'Your programme'")
    assert wrong_language_texts(page, "fr") == ["Your programme"]
    page.evaluate("document.querySelector('main h1').textContent = 'Members'")
    assert wrong_language_texts(page, "fr") == ["Members"]


def test_onboarding_sources_and_link_settings_hold_on_a_phone(demo: str, new_page: Any) -> None:
    page = new_page(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    login(page, demo, "admin@acme.example")
    for path in (
        "/o/acme/",
        "/o/acme/programme/onboarding/",
        "/o/acme/start/",
        "/o/acme/sources/",
        "/o/acme/links/settings/",
        "/o/acme/settings/",
    ):
        page.goto(demo + path)
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
                  .filter(el => !el.closest('.table-wrap, .subnav'))
                  .slice(0, 5).map(el => el.tagName + '.' + el.className)"""
        )
        assert_fits_the_screen(page)
        assert wide == [], f"{path}: {wide}"
