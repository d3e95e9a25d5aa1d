"""Fixtures of the web tests. `states`: the pages of the console in the states people meet,
shared by the every-page browser test and the language sweep: an import at each step, a
finished list run, audit events, ExpertSender CDP."""

from __future__ import annotations

import pytest

from actito_admin.imports.models import ImportJob
from actito_admin.scenarios import services
from actito_admin.scenarios.models import TriggerRun
from tests.imports.web._web import (  # noqa: F401 - fixtures too
    choose_demodoc,
    fresh_cache,
    mapping_post,
    run_send_and_follow,
    run_validation,
    upload_dir,
    uploaded_job,
)
from tests.scenarios._helpers import confirmed_list, doc_scenario


@pytest.fixture
def language() -> str:
    """The console's language while the states are made and read (a test may parametrize it)."""
    return "en-gb"


@pytest.fixture
def no_queue(monkeypatch):
    """The tasks run here, in this process. In the PostgreSQL + Redis run an earlier test's task
    cluster is still up and would take them first, with another upload folder and sandbox."""
    from actito_admin.imports import services as import_services

    for module in (import_services, services):
        monkeypatch.setattr(module, "async_task", lambda *args, **kwargs: None)


def _checked(client, job: ImportJob, data: dict[str, str]) -> ImportJob:
    response = client.post(f"/imports/{job.pk}/validate/", data)
    assert response.status_code == 200, response.content.decode()[:2000]
    job = run_validation(ImportJob.objects.get(pk=job.pk))
    assert job.status == ImportJob.Status.VALIDATED, (job.status, job.report)
    return job


@pytest.fixture
def states(client_as_admin, admin_user, sandbox, settings, upload_dir, no_queue, language):  # noqa: F811
    """Pages in the states people see: an import at each step, a finished list run, events."""
    from actito_admin.accounts.models import Preferences

    settings.IMPORT_POLL_FAST_SECONDS = 0
    client = client_as_admin
    preferences = Preferences.of(admin_user)
    preferences.language = language
    preferences.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    data = b"email;name;lang\r\nzoe@example.com;Zo\xc3\xab;NL\r\nnot-an-email;Bad;FR\r\n"
    mapping = choose_demodoc(client, uploaded_job(client, "mapping.csv", data))
    checked = choose_demodoc(client, uploaded_job(client, "checked.csv", data))
    checked = _checked(client, checked, mapping_post(checked))
    ended = choose_demodoc(client, uploaded_job(client, "ended.csv", data))
    ended = _checked(client, ended, mapping_post(ended, leave_out_invalid=""))
    assert ended.can_submit, ended.report
    client.post(f"/imports/{ended.pk}/submit/")
    ended = run_send_and_follow(ImportJob.objects.get(pk=ended.pk))
    assert not ended.is_live, ended.status
    run = confirmed_list(admin_user, doc_scenario(), "147471\n999\n")
    services.trigger_list_confirm(actor=admin_user, run=run)
    from actito_admin.scenarios import tasks

    tasks.trigger_run_task(run.pk)
    assert not TriggerRun.objects.get(pk=run.pk).is_live, "the list run has ended"
    from actito_admin.audit.models import AuditEvent
    from actito_admin.imports.models import MappingTemplate

    template = MappingTemplate.objects.first()
    client.get("/scenarios/ecdp/")  # creates the demo business unit from the sandbox
    from actito_admin.ecdp.models import BusinessUnit

    unit = BusinessUnit.objects.first()
    pages = {
        "home": "/",
        "scenario search": "/scenarios/?q=Doc",
        "scenario": f"/scenarios/{run.scenario_id}/",
        "list form": f"/scenarios/{run.scenario_id}/list/",
        "list run": f"/scenarios/runs/{run.pk}/",
        "history": "/scenarios/history/",
        "imports": "/imports/",
        "upload": "/imports/new/",
        "import mapping": f"/imports/{mapping.pk}/",
        "import checked": f"/imports/{checked.pk}/",
        "import ended": f"/imports/{ended.pk}/",
        "saved mappings": "/imports/mappings/",
        "audit": "/audit/",
        "audit event": f"/audit/{AuditEvent.objects.order_by('-pk').first().pk}/",
        "connection settings": "/settings/",
        "your settings": "/accounts/settings/",
        "ecdp events": "/scenarios/ecdp/",
        "ecdp units": "/settings/ecdp/",
        "not found": "/imports/999999/",
    }
    if template is not None:
        pages["saved mapping"] = f"/imports/mappings/{template.pk}/"
    if unit is not None:
        pages["ecdp unit"] = f"/settings/ecdp/{unit.pk}/"
        event = unit.events.first()
        if event is not None:
            pages["ecdp event"] = f"/scenarios/ecdp/events/{event.pk}/"
    return pages
