"""Every page and the states a marketer meets, in a real browser: no accessibility violation
(axe-core, vendored from npm in tests/vendor/), no sideways scrolling and nothing clipped, at
1280 px and 390 px, with the operating system in light and in dark mode, and (light) in French
and Dutch, whose sentences run longer.

The console has one (light) theme: it says so to the browser (color-scheme), so a dark system
setting must not change any contrast. Checked here by running every page in both."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
WIDTHS = (1280, 390)
# French and Dutch sentences run longer than English: they must fit a phone too.
LOOKS = [("light", "en-gb"), ("dark", "en-gb"), ("light", "fr"), ("light", "nl")]


def _log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def _violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            const where = v => v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ");
            return result.violations.map(v => `${v.id} (${v.impact}): ${where(v)}`);
        }"""
    )
    return list(found)


def _overflow(page) -> list[str]:
    """The page scrolls sideways, or an element sticks out of the window (not inside a box that
    scrolls on purpose, such as a wide table's own scroller)."""
    return list(
        page.evaluate(
            """() => {
                const width = document.documentElement.clientWidth;
                const problems = [];
                if (document.documentElement.scrollWidth > width + 1) {
                    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                    const wide = [];
                    while (walker.nextNode() && wide.length < 4) {
                        const range = document.createRange();
                        range.selectNodeContents(walker.currentNode);
                        if (range.getBoundingClientRect().right > width + 1)
                            wide.push(`“${walker.currentNode.textContent.trim().slice(0, 40)}” in `
                                + walker.currentNode.parentElement.tagName.toLowerCase());
                    }
                    problems.push(`page is ${document.documentElement.scrollWidth}px wide: `
                        + wide.join(", "));
                }
                for (const el of document.querySelectorAll("main *, header *")) {
                    const box = el.getBoundingClientRect();
                    if (!box.width || getComputedStyle(el).visibility === "hidden") continue;
                    let scroller = el.parentElement, inside = false;
                    while (scroller) {
                        const o = getComputedStyle(scroller).overflowX;
                        if (["auto", "scroll", "hidden"].includes(o)) { inside = true; break; }
                        scroller = scroller.parentElement;
                    }
                    if (!inside && (box.right > width + 1 || box.left < -1))
                        problems.push(`${el.tagName.toLowerCase()}.${el.className} at `
                            + `${Math.round(box.left)}–${Math.round(box.right)}px`);
                    if (problems.length > 5) break;
                }
                return problems;
            }"""
        )
    )


@pytest.mark.parametrize(("scheme", "language"), LOOKS)
def test_every_page_has_no_axe_violation_and_fits_the_screen(
    browser, live_server, admin_user, states, scheme, language
):
    problems: list[str] = []
    for width in WIDTHS:
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": 900},
            color_scheme=scheme,
            bypass_csp=True,  # to inject axe; the pages' own CSP is tested elsewhere
        )
        page = context.new_page()
        _log_in(page, admin_user)
        for name, url in states.items():
            page.goto(url)
            page.wait_for_load_state("networkidle")
            # The layout is measured before axe runs: axe scrolls and probes the page.
            for overflow in _overflow(page):
                problems.append(f"{name} ({url}) at {width}px, {scheme}, {language}: {overflow}")
            for violation in _violations(page):
                problems.append(f"{name} ({url}) at {width}px, {scheme}, {language}: {violation}")
        context.close()
    assert problems == [], "\n".join(problems)


def test_the_login_page_has_no_axe_violation(browser, live_server):
    for width in WIDTHS:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}, bypass_csp=True
        )
        page = context.new_page()
        page.goto("/accounts/login/")
        assert _overflow(page) == [] and _violations(page) == [], width
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_confirmation_dialog_has_no_axe_violation(
    browser, live_server, admin_user, states, width
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    _log_in(page, admin_user)
    page.goto(states["import checked"])
    page.get_by_role("button", name="Send to ACTITO").click()
    page.locator("#confirm-dialog").wait_for(state="visible")
    problems = _overflow(page) + _violations(page)
    context.close()
    assert problems == [], "\n".join(problems)
