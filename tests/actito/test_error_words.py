"""ACTITO's own words about an error are shown whatever field they come in."""

from __future__ import annotations

import httpx
import pytest

from actito_admin.actito.client import actito_words


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"message": "Profile not found"}, "Profile not found"),
        ({"errorMessage": "Table is locked"}, "Table is locked"),
        ({"error": "invalid_grant", "error_description": "Key revoked"}, "Key revoked"),
        ({"errors": [{"field": "x", "message": "x must be a number"}]}, "x must be a number"),
        ({"violations": [{"reason": "?", "description": "Bad mapping"}]}, "Bad mapping"),
        ({"error": "Entity unknown"}, "Entity unknown"),
        ({"status": 400}, ""),
    ],
)
def test_actito_s_words_are_found_in_any_usual_field(body, words):
    assert actito_words(httpx.Response(400, json=body)) == words


def test_a_plain_text_body_is_shown_and_an_html_page_is_not():
    plain = httpx.Response(400, text="  Separator not supported  ")
    assert actito_words(plain) == "Separator not supported"
    page = httpx.Response(502, text="<html><body>Bad gateway</body></html>",
                          headers={"Content-Type": "text/html"})  # fmt: skip
    assert actito_words(page) == ""
