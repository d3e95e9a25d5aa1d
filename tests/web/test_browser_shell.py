"""A real browser logs in and sees the console shell."""

from __future__ import annotations

import pytest

from tests.conftest import login_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_marketer_logs_in_and_sees_the_shell(page, marketer):
    page.goto("/")
    assert "/accounts/login/" in page.url, "an anonymous visitor must land on the login page"
    login_in_browser(page, marketer)
    assert page.get_by_role("heading", name="Welcome, Mark").is_visible()
    nav = page.get_by_role("navigation", name="Main")
    for label in ["Home", "Scenarios", "Imports", "Audit log"]:
        assert nav.get_by_role("link", name=label).is_visible(), f"navigation lacks {label}"
    assert page.get_by_text("Marketer").first.is_visible(), "the role must be shown"
    # Log-ins do not crowd the home page's recent activity (they stay in the audit log).
    assert page.get_by_role("heading", name="Recent activity").is_visible()
    assert page.get_by_role("cell", name="auth.login").count() == 0
    assert page.problems == [], f"the page reported errors (CSP?): {page.problems}"


def test_the_shell_is_usable_on_a_phone_and_with_the_keyboard(page, viewer):
    page.set_viewport_size({"width": 375, "height": 740})
    login_in_browser(page, viewer)
    # Nothing may be wider than the screen: no sideways scrolling of the page.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide on a 375px screen"
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to content", "the first Tab must reach the skip link"
    page.keyboard.press("Enter")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/audit/")
    assert page.problems == [], f"the page reported errors (CSP?): {page.problems}"


def test_logging_out_from_the_shell_returns_to_login(page, viewer):
    login_in_browser(page, viewer)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    page.goto("/")
    assert "/accounts/login/" in page.url
