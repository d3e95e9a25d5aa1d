"""Tables sort by their columns, and the three filter bars (audit, history, imports) behave the
same way: they filter as you type or choose, with the same Filter button and way back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import login_in_browser
from tests.imports.web._web import (  # noqa: F401 - fixtures too
    fresh_cache,
    upload_dir,
    uploaded_job,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def three_imports(client_as_admin, upload_dir):  # noqa: F811
    for name in ("beta.csv", "alpha.csv", "gamma.csv"):
        uploaded_job(client_as_admin, name, b"email;name\r\na@example.be;A\r\n")


def _files(page) -> list[str]:
    return page.locator("table.import-jobs tbody tr td:first-child").all_inner_texts()


def test_a_table_sorts_by_a_column_both_ways_from_the_keyboard(page, admin_user, three_imports):
    login_in_browser(page, admin_user)
    page.goto("/imports/")
    assert _files(page) == ["gamma.csv", "alpha.csv", "beta.csv"], "newest first by default"
    header = page.get_by_role("button", name="File", exact=True)
    header.focus()
    page.keyboard.press("Enter")
    assert _files(page) == ["alpha.csv", "beta.csv", "gamma.csv"]
    expect(page.locator("th[aria-sort=ascending]")).to_have_text("File")
    page.keyboard.press("Enter")
    assert _files(page) == ["gamma.csv", "beta.csv", "alpha.csv"]
    expect(page.locator("th[aria-sort=descending]")).to_have_text("File")


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("/audit/", "#audit-filters"),
        ("/scenarios/history/", "#history-filters"),
        ("/imports/", "#import-filters"),
    ],
)
def test_the_filter_bars_have_the_same_actions(page, admin_user, three_imports, url, form):
    login_in_browser(page, admin_user)
    page.goto(url)
    bar = page.locator(form)
    expect(bar.get_by_role("button", name="Filter")).to_be_visible()
    expect(bar).to_contain_text("The list updates as you type or choose.")
    assert bar.get_attribute("hx-trigger") == "submit, change, input delay:400ms", (
        f"the filter bar of {url} does not filter as you type and choose like the others"
    )
