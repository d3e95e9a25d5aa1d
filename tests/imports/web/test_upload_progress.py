"""The upload page shows progress while a large file is on its way (a real browser, a slow link)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import login_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_slow_upload_shows_its_progress_then_opens_the_file(page, marketer, settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    login_in_browser(page, marketer)
    page.goto("/imports/new/")
    # About 1.5 MB over a link of 400 KB/s: a few seconds of upload to watch.
    rows = "".join(f"person{n:06d}@example.com;Name {n}\r\n" for n in range(50_000))
    data = ("email;lastName\r\n" + rows).encode()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 400_000},
    )
    page.get_by_label("CSV file").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name="Upload and read the file").click()

    bar = page.locator("progress.upload-progress")
    expect(bar, "the progress bar must appear while uploading").to_be_visible(timeout=10_000)
    expect(page.locator(".upload-progress-text")).to_contain_text("Uploading…")
    expect(page.get_by_role("button", name="Upload and read the file")).to_be_disabled()
    page.wait_for_url("**/imports/*/", timeout=60_000)
    expect(page.locator(".preview")).to_contain_text("person000000@example.com")
    assert page.problems == [], page.problems
