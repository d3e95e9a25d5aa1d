"""Events read as sentences; targets link where a page for them exists."""

from __future__ import annotations

import pytest

from actito_admin.audit.actions import Action
from actito_admin.audit.models import AuditEvent
from actito_admin.audit.sentences import SENTENCES, _fallback, describe, target_url
from actito_admin.audit.services import record_event

ANNA = {"actor_username": "anna"}


def _event(action: str, data: dict | None = None, **fields) -> AuditEvent:
    return AuditEvent(action=action, data=data or {}, **(ANNA | fields))


@pytest.mark.parametrize(
    ("action", "data", "fields", "expected"),
    [
        ("auth.login", {}, {}, "anna logged in"),
        ("auth.logout", {}, {}, "anna logged out"),
        ("auth.login_failed", {"username": "bob"}, {}, "Failed log-in as «bob»"),
        (
            "auth.locked_out",
            {"username": "bob"},
            {},
            "«bob» was locked out after too many failed log-ins",
        ),
        (
            "connection.updated",
            {"changed": ["entity"]},
            {},
            "anna changed the ACTITO connection settings (entity)",
        ),
        (
            "connection.tested",
            {"error": "401"},
            {"outcome": "failure"},
            "anna tested the ACTITO connection: it failed: 401",
        ),
        (
            "scenario.trigger.performed",
            {"scenario_name": "Welcome", "profile_label": "john.smith@example.com"},
            {},
            "anna started «Welcome» for john.smith@example.com",
        ),
        ("scenario.trigger.requested", {}, {}, "anna asked to start a scenario for a profile"),
        (
            "scenario.trigger.cancelled",
            {"scenario_name": "W"},
            {},
            "anna cancelled starting «W» for a profile",
        ),
        (
            "scenario.trigger.retried",
            {"scenario_name": "W", "profile_label": "p"},
            {},
            "anna retried starting «W» for p",
        ),
        (
            "import.uploaded",
            {"file_name": "c.csv", "table_name": "Customers"},
            {},
            "anna uploaded «c.csv» into table «Customers»",
        ),
        (
            "import.validated",
            {"file_name": "c.csv", "rows_valid": 9, "rows_invalid": 1},
            {},
            "«c.csv» was checked: 9 valid rows, 1 with errors",
        ),
        (
            "import.submitted",
            {"file_name": "c.csv", "row_count": 9},
            {},
            "anna imported «c.csv» (9 rows)",
        ),
        (
            "import.finished",
            {"file_name": "c.csv", "rows_created": 3, "rows_updated": 6},
            {},
            "Import of «c.csv» finished: 3 created, 6 updated",
        ),
        (
            "import.failed",
            {"file_name": "c.csv", "error": "quota"},
            {},
            "Import of «c.csv» failed: quota",
        ),
        (
            "import.file_downloaded",
            {"file_name": "c.csv", "file_kind": "errors"},
            {},
            "anna downloaded the errors file of import «c.csv»",
        ),
        ("audit.exported", {"format": "jsonl"}, {}, "anna exported the audit log as JSONL"),
        (
            "audit.purged",
            {"count": 12},
            {"actor_username": ""},
            "The system archived and removed 12 events",
        ),
    ],
)
def test_known_actions_read_as_sentences_with_the_username_as_written(
    action, data, fields, expected
):
    assert describe(_event(action, data, **fields)) == expected


def test_every_action_named_in_the_issue_has_a_sentence():
    for action in [
        "auth.login", "auth.logout", "auth.login_failed", "auth.locked_out",
        "connection.updated", "connection.tested",
        "scenario.trigger.requested", "scenario.trigger.performed",
        "scenario.trigger.cancelled", "scenario.trigger.retried",
        "import.uploaded", "import.validated", "import.submitted", "import.finished",
        "import.failed", "import.file_downloaded", "audit.exported", "audit.purged",
    ]:  # fmt: skip
        assert action in SENTENCES, action


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_every_action_that_can_be_recorded_reads_as_its_own_sentence(action):
    """record_event takes only declared actions, so this covers everything in the log."""
    event = _event(action.value, {}, target_label="something", target_id="1")
    assert action.value in SENTENCES, f"{action.value} has no sentence in audit/sentences.py"
    assert describe(event) != _fallback(event)
    assert action.value not in describe(event), "a sentence, not the action's code"


def test_every_sentence_describes_an_action_that_can_be_recorded():
    assert set(SENTENCES) <= {a.value for a in Action}, set(SENTENCES) - set(Action)


def test_recording_an_undeclared_action_is_refused_with_a_clear_error(db):
    with pytest.raises(ValueError, match="declare it in actito_admin/audit/actions.py"):
        record_event(actor=None, action="import.rolled_back")
    assert not AuditEvent.objects.exists()


def test_an_unknown_action_still_reads_sensibly():
    event = _event("import.rolled_back", target_type="imports.importjob", target_id="12")
    assert describe(event) == "anna: import.rolled_back on imports.importjob 12"


def test_a_target_links_only_when_its_page_exists(db):
    assert target_url(_event("x", target_type="auth.user", target_id="3")) == (
        "/django-admin/auth/user/3/change/"
    )
    assert target_url(_event("x", target_type="scenario", target_id="11160")) is None
