"""When an import or a list of starts ends, the person who started it gets an e-mail with the
outcome, the counts and a link — if they asked (on by default) and the work took over a minute.

A real SMTP server on loopback (aiosmtpd) receives the messages; the test reads them."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from actito_admin.accounts.models import Preferences
from actito_admin.audit.models import AuditEvent
from actito_admin.scenarios import services, tasks
from tests.imports.web._web import (  # noqa: F401 - fixtures too
    choose_demodoc,
    fresh_cache,
    import_through,
    mapping_post,
    upload_dir,
    uploaded_job,
)
from tests.scenarios._helpers import confirmed_list, doc_scenario

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("upload_dir", "fresh_cache")]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd API
        message = message_from_bytes(envelope.content)
        message["X-Rcpt-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(settings):
    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.SITE_URL = "https://console.example.be"
    yield handler
    controller.stop()


def _subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _text(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def _finished_import(client, marketer, settings):
    marketer.email = "sophie@example.be"
    marketer.save()
    settings.IMPORT_POLL_FAST_SECONDS = 0
    data = b"email;name\r\nzoe@example.com;Zoe\r\nnot-an-email;Bad\r\nann@example.com;Ann\r\n"
    job = choose_demodoc(client, uploaded_job(client, "contacts_fr.csv", data))
    return import_through(client, job, mapping_post(job, leave_out_invalid=""))


def test_the_sender_of_a_long_import_reads_its_outcome_by_email(
    client_as_marketer, marketer, sandbox, settings, inbox
):
    settings.NOTIFY_AFTER_SECONDS = 0  # the sandbox is quick; a real import takes minutes
    job = _finished_import(client_as_marketer, marketer, settings)
    assert job.status == "partly_refused", job.status
    assert len(inbox.messages) == 1, "one e-mail per ended import"
    message = inbox.messages[0]
    assert message["X-Rcpt-To"] == "sophie@example.be"
    assert _subject(message) == "Import of contacts_fr.csv: some rows were refused"
    body = _text(message)
    assert "ACTITO refused 1 of 3 rows; 2 were added and 0 updated." in body, body
    assert "Table: demodoc." in body
    assert f"https://console.example.be/imports/{job.pk}/" in body, "the e-mail needs a link"


def test_work_that_ended_within_a_minute_sends_no_email(
    client_as_marketer, marketer, sandbox, settings, inbox
):
    settings.NOTIFY_AFTER_SECONDS = 60
    _finished_import(client_as_marketer, marketer, settings)
    assert inbox.messages == [], "a marketer watching the page needs no e-mail"


def test_no_email_for_someone_who_turned_it_off(
    client_as_marketer, marketer, sandbox, settings, inbox
):
    settings.NOTIFY_AFTER_SECONDS = 0
    Preferences.objects.create(user=marketer, email_when_done=False)
    _finished_import(client_as_marketer, marketer, settings)
    assert inbox.messages == []


def test_a_list_run_that_ends_partly_done_is_told_by_email(marketer, sandbox, settings, inbox):
    settings.NOTIFY_AFTER_SECONDS = 0
    marketer.email = "sophie@example.be"
    marketer.save()
    run = confirmed_list(marketer, doc_scenario(), "147471\n147472\n999\n")
    services.trigger_list_confirm(actor=marketer, run=run)
    tasks.trigger_run_task(run.pk)
    run.refresh_from_db()
    assert run.status == "finished", run.status
    (message,) = inbox.messages
    assert _subject(message) == "«DocScenarioAPI»: your list is partly done", _subject(message)
    body = _text(message)
    assert "Started: 2 · failed: 1 · outcome unknown: 0" in body, body
    assert f"/scenarios/runs/{run.pk}/" in body


def test_the_settings_page_saves_the_choice_and_audits_it(client_as_marketer, marketer):
    page = client_as_marketer.get("/accounts/settings/").content.decode()
    assert "E-mail me when an import or a list of starts I began ends" in page
    assert 'name="email_when_done" checked' in page or "checked" in page, "on by default"
    response = client_as_marketer.post("/accounts/settings/", {"email": "me@example.be"})
    assert response.status_code == 302
    assert Preferences.of(marketer).email_when_done is False
    marketer.refresh_from_db()
    assert marketer.email == "me@example.be"
    event = AuditEvent.objects.get(action="accounts.settings_changed")
    assert "me@example.be" not in str(event.data), "the audit log must not hold the address"
