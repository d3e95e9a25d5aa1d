"""An import ends only on a word the documents give for an end; anything else is followed, and
an answer without a status says what ACTITO answered."""

from __future__ import annotations

import httpx
import pytest

from actito_admin.actito.errors import ActitoError
from tests.actito.helpers import make_client, token_or


def _answering(body):
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/etl-executions/7/integration-results"), request.url
        return httpx.Response(200, json=body)

    return make_client(token_or(handler), max_attempts=1)


@pytest.mark.parametrize("word", ["FINISHED", "FAILED", "SUCCESS", "WITH_ERROR", "finished"])
def test_the_documented_end_words_end_an_import(word):
    assert _answering({"status": word}).get_execution("7").is_terminal


@pytest.mark.parametrize("word", ["IN_PROGRESS", "VALIDATING", "DONE_PARTIALLY", "QUEUED"])
def test_any_other_word_is_shown_as_it_is_and_followed(word):
    execution = _answering({"status": word}).get_execution("7")
    assert execution.status == word and not execution.is_terminal


@pytest.mark.parametrize("body", [{"state": "FINISHED"}, {"status": ""}, [], {}])
def test_an_answer_without_a_status_is_an_error_quoting_actito(body):
    with pytest.raises(ActitoError) as caught:
        _answering(body).get_execution("7")
    assert "gives no status" in caught.value.user_message
    assert caught.value.retryable, "the import keeps being followed"
