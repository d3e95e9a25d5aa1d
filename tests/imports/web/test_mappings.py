"""Saved mappings: listed, changed by a marketer, applied to the next file with the same headers."""

from __future__ import annotations

import pytest

from actito_admin.audit.models import AuditEvent
from actito_admin.audit.sentences import describe
from actito_admin.imports.models import MappingTemplate
from tests.imports.web._web import (
    DEMODOC,
    choose_demodoc,
    import_through,
    mapping_post,
    uploaded_job,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("upload_dir", "fresh_cache")]

# The headers of semicolon_cp1252_bytes(): E-mail;Prénom;Nom;Langue.
EDITED = {
    "col0_target": "emailAddress",
    "col0_ignore_empty_values": "on",
    "col1_target": "",  # Prénom: don't import
    "col2_target": "lastName",
    "col3_target": "subscriptions#Newsletter",
    "mode": "CREATE_OR_UPDATE",
    "report_recipients": "crm@example.com",
}


def _saved_mapping(client) -> MappingTemplate:
    """Import a file with "Remember this mapping" ticked, as a marketer does."""
    job = choose_demodoc(client, uploaded_job(client))
    import_through(client, job, mapping_post(job))
    return MappingTemplate.objects.get()


def _edit(client, template: MappingTemplate, **changes: str):
    return client.post(f"/imports/mappings/{template.pk}/", EDITED | changes)


def test_the_edit_page_offers_a_labelled_choice_per_column_and_a_way_back(
    client_as_marketer, sandbox
):
    template = _saved_mapping(client_as_marketer)
    response = client_as_marketer.get(f"/imports/mappings/{template.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    for header in ("E-mail", "Prénom", "Nom", "Langue"):
        assert f"Column “{header}” goes to" in page
    assert "emailAddress (key, mandatory)" in page
    assert "Subscription Newsletter" in page and "Segmentation ClientType" in page
    assert "Don&#x27;t import" in page and "csrfmiddlewaretoken" in page
    assert 'href="/imports/mappings/" role="button" class="secondary outline">Cancel' in page
    assert "<script" not in page.split("<main", 1)[1] and "style=" not in page


def test_a_marketer_changes_a_saved_mapping_and_the_next_file_with_those_headers_gets_it(
    client_as_marketer, sandbox
):
    template = _saved_mapping(client_as_marketer)
    response = _edit(client_as_marketer, template)
    assert response.status_code == 302 and response["Location"] == "/imports/mappings/"

    again = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "again.csv"))
    targets = {m["header"]: m["target"] for m in again.mapping}
    assert targets == {
        "E-mail": "emailAddress",
        "Nom": "lastName",
        "Langue": "subscriptions#Newsletter",
    }
    email = next(m for m in again.mapping if m["header"] == "E-mail")
    assert email["ignore_empty_values"] is True and email["ignore_invalid_values"] is False
    assert again.report_recipients == ["crm@example.com"]


def test_remembering_a_mapping_on_an_import_still_replaces_an_edited_one(
    client_as_marketer, sandbox
):
    template = _saved_mapping(client_as_marketer)
    _edit(client_as_marketer, template)
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "again.csv"))
    import_through(client_as_marketer, job, mapping_post(job, col3_target=""))
    template.refresh_from_db()
    assert "Langue" not in {m["header"] for m in template.mapping}
    assert MappingTemplate.objects.count() == 1


def test_a_viewer_can_neither_open_nor_save_a_saved_mapping(client_as_viewer, marketer):
    template = MappingTemplate.objects.create(
        scope="x", table_id=DEMODOC, table_name="demodoc", header_key="k", headers=["E-mail"]
    )
    assert client_as_viewer.get(f"/imports/mappings/{template.pk}/").status_code == 403
    assert _edit(client_as_viewer, template).status_code == 403
    template.refresh_from_db()
    assert template.mapping == []
    page = client_as_viewer.get("/imports/mappings/").content.decode()
    assert "demodoc" in page and f"/imports/mappings/{template.pk}/" not in page


def test_the_list_links_each_saved_mapping_to_its_edit_page(client_as_marketer, sandbox):
    template = _saved_mapping(client_as_marketer)
    page = client_as_marketer.get("/imports/mappings/").content.decode()
    assert f'href="/imports/mappings/{template.pk}/"' in page


def test_an_unknown_field_is_refused_next_to_its_column_and_the_saved_mapping_is_kept(
    client_as_marketer, sandbox
):
    template = _saved_mapping(client_as_marketer)
    before = template.mapping
    response = _edit(client_as_marketer, template, col2_target="shoeSize")
    page = response.content.decode()
    assert response.status_code == 422
    assert "Table demodoc has no field “shoeSize”" in page and "Nothing was saved" in page
    # What the marketer chose elsewhere is still there to fix and send again.
    assert '<option value="subscriptions#Newsletter" selected>' in page
    assert "crm@example.com" in page
    template.refresh_from_db()
    assert template.mapping == before
    assert not AuditEvent.objects.filter(action="import.template_updated").exists()


def test_a_mapping_that_could_never_be_checked_is_not_saved(client_as_marketer, sandbox):
    template = _saved_mapping(client_as_marketer)
    response = _edit(client_as_marketer, template, col0_target="", mode="UPDATE_ONLY")
    assert response.status_code == 422
    assert "key field" in response.content.decode()
    template.refresh_from_db()
    assert template.mode == "CREATE_OR_UPDATE"


def test_changing_a_saved_mapping_is_audited_in_plain_words(client_as_marketer, marketer, sandbox):
    template = _saved_mapping(client_as_marketer)
    _edit(client_as_marketer, template)
    event = AuditEvent.objects.get(action="import.template_updated")
    assert event.actor == marketer and event.target_id == str(template.pk)
    assert event.data["changed_columns"] == ["E-mail", "Prénom", "Langue"]
    assert describe(event) == (
        f"{marketer.username} changed the saved mapping for table «demodoc» "
        "(columns E-mail, Prénom, Langue)"
    )


def test_a_mapping_whose_table_is_unknown_says_how_to_change_it(client_as_marketer):
    template = MappingTemplate.objects.create(
        scope="x", table_id="77", table_name="partners", header_key="k", headers=["E-mail"]
    )
    response = client_as_marketer.get(f"/imports/mappings/{template.pk}/")
    assert response.status_code == 409
    assert "no import into partners is left" in response.content.decode()
    assert _edit(client_as_marketer, template).status_code == 409


def test_a_link_to_a_field_the_table_no_longer_has_is_pointed_out(client_as_marketer, sandbox):
    template = _saved_mapping(client_as_marketer)
    template.mapping = [*template.mapping[:3], {"header": "Langue", "target": "shoeSize"}]
    template.save()
    page = client_as_marketer.get(f"/imports/mappings/{template.pk}/").content.decode()
    assert "demodoc no longer has <code>shoeSize</code> (column “Langue”)" in page


def test_a_second_upload_with_the_same_columns_has_the_saved_mappings_table_chosen(
    client_as_marketer, sandbox
):
    _saved_mapping(client_as_marketer)
    job = uploaded_job(client_as_marketer, "again.csv")
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert f'<option value="{DEMODOC}" selected>demodoc</option>' in page, (
        "the table of the saved mapping should be chosen for the marketer"
    )
    assert "Chosen for you: the mapping saved for files with these columns goes to demodoc" in (
        page
    )


def test_a_saved_mapping_remembers_how_each_columns_values_are_written(client_as_marketer, sandbox):
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer))
    import_through(client_as_marketer, job, mapping_post(job, col0_value_format="as_is"))
    saved = MappingTemplate.objects.get()
    assert saved.mapping[0]["value_format"] == "as_is", saved.mapping
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "again.csv"))
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert '<option value="as_is" selected>' in page, "the saved value format was not applied"
