"""Browser input for imports: upload, file format, table, mapping, submission."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from actito_admin.listing import DateRangeForm

from .conf import max_import_bytes
from .conversions import AUTO, FORMAT_CHOICES
from .csvfile import ENCODING_LABELS, human_size
from .mapping import (
    IMPORT_MODES,
    MODE_HELP,
    OPTION_FIELDS,
    ImportTable,
    job_mapping_from,
    plain_label,
)
from .models import ImportJob
from .validation import check_mapping

SKIP = ""  # "don't import this column"

OPTION_LABELS = {
    "ignore_empty_values": _("Keep the current value when the cell is empty"),
    "ignore_invalid_values": _("Skip invalid values instead of refusing the row"),
    "ignore_values_when_already_known": _("Do not overwrite a value the profile already has"),
    "merge_values_when_multivalued": _("Add to the existing values (multi-valued fields)"),
}

ENCODING_CHOICES = [
    ("utf-8", "UTF-8"),
    ("cp1252", _("Windows-1252 (Excel on Windows)")),
    ("latin-1", "ISO-8859-1 (Latin-1)"),
    ("utf-16", "UTF-16"),
]
SEPARATOR_CHOICES = [
    (",", _("Comma ,")),
    (";", _("Semicolon ;")),
    ("\t", _("Tab")),
    ("|", _("Pipe |")),
]
QUOTE_CHOICES = [('"', _('Double quote "')), ("'", _("Single quote '"))]


def _choices(form: forms.Form, name: str) -> forms.ChoiceField:
    """A choice field of `form`, for setting its choices (fields are typed as plain Field)."""
    return cast(forms.ChoiceField, form.fields[name])


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file or Excel workbook"),
        error_messages={
            "empty": _(
                "This file is empty: it has no column names and no rows. Export it again "
                "from your tool and upload the new file."
            ),
            "required": _("Choose a file to upload (or drop it on this box)."),
            "invalid": _("No file came with the form. Choose the file again."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The limit is a setting, so the sentence is made per form, not at import time.
        limit = max_import_bytes()
        self.fields["file"].help_text = gettext(
            "A .csv, .tsv or .txt file, an Excel .xlsx (its first sheet), a .csv.gz, or a .zip "
            "holding exactly one CSV. Large files are fine: what ACTITO receives is compressed "
            "again and must stay under %(size)s (about ten times that much plain CSV)."
        ) % {"size": human_size(limit)}


class FormatForm(forms.Form):
    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODING_CHOICES)
    separator = forms.ChoiceField(label=_("Separator"), choices=SEPARATOR_CHOICES)
    quotechar = forms.ChoiceField(label=_("Quote character"), choices=QUOTE_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A detected encoding outside the short list (e.g. "UTF-8 with BOM") stays selectable.
        current = (self.initial or {}).get("encoding") or (self.data or {}).get("encoding")
        field = _choices(self, "encoding")
        if current in ENCODING_LABELS and current not in dict(ENCODING_CHOICES):
            label = ENCODING_LABELS.get(current, current)
            field.choices = [(current, label), *ENCODING_CHOICES]


class TableForm(forms.Form):
    table = forms.ChoiceField(label=_("Profile table"))

    def __init__(self, *args: Any, tables: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "table").choices = [("", gettext("Choose a table…"))] + [
            (str(t.get("id")), str(t.get("name"))) for t in tables
        ]


def target_choices(table: ImportTable) -> list[tuple[str, Any]]:
    attributes, subscriptions, segmentations = [], [], []
    for target in table.targets():
        if target.attribute is not None:
            a = target.attribute
            marks = [
                m
                for m, on in ((gettext("key"), a.unique), (gettext("mandatory"), a.mandatory))
                if on
            ]
            # Plain words first; the technical name after, for who needs it.
            label = f"{plain_label(a)} · {target.name}" + (
                f" ({', '.join(marks)})" if marks else ""
            )
            attributes.append((target.name, label))
        elif target.kind == "subscription":
            label = gettext("Subscription %(name)s") % {"name": target.label}
            subscriptions.append((target.name, label))
        else:
            label = gettext("Segmentation %(name)s") % {"name": target.label}
            segmentations.append((target.name, label))
    return [
        (SKIP, gettext("Don't import")),
        (gettext("Fields"), attributes),
        (gettext("Subscriptions"), subscriptions),
        (gettext("Segmentations"), segmentations),
    ]


class MappingForm(forms.Form):
    """One target and four options per CSV column, plus the mode and report recipients."""

    mode = forms.ChoiceField(
        label=_("What should the import do?"),
        choices=[(m, MODE_HELP[m][0]) for m in IMPORT_MODES],
        widget=forms.RadioSelect,
    )
    report_recipients = forms.CharField(
        label=_("Send ACTITO's report to"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E-mail addresses, one per line or separated by commas. Optional."),
    )
    leave_out_invalid = forms.BooleanField(
        label=_("Leave rows with errors out of the upload"),
        required=False,
        help_text=_("Unticked, they are sent anyway and ACTITO lists them in its error file."),
    )
    save_template = forms.BooleanField(
        label=_("Remember this mapping for files with the same columns"),
        required=False,
        help_text=_(
            "It is saved once ACTITO has imported the file, not before: a mapping "
            "ACTITO refuses is never remembered."
        ),
    )

    def __init__(self, *args: Any, headers: list[str], table: ImportTable, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        self.table = table
        choices = target_choices(table)
        table_name = table.name.replace("%", "%%")  # the message is %-formatted with the value
        no_field = gettext(
            "Table %(table)s has no field “%(value)s”. Choose one from the list, or “Don't import”."
        )
        for i, header in enumerate(headers):
            self.fields[f"col{i}_target"] = forms.ChoiceField(
                label=gettext("Column “%(header)s” goes to") % {"header": header},
                choices=choices,
                required=False,
                error_messages={
                    # Django fills in %(value)s itself: it is put back as it was.
                    "invalid_choice": no_field % {"table": table_name, "value": "%(value)s"}
                },
            )
            for option in OPTION_FIELDS:
                self.fields[f"col{i}_{option}"] = forms.BooleanField(
                    label=OPTION_LABELS[option], required=False
                )
            self.fields[f"col{i}_value_format"] = forms.ChoiceField(
                label=gettext("Values are written as"),
                choices=FORMAT_CHOICES,
                required=False,
                initial=AUTO,
                help_text=gettext(
                    "Dates, numbers and phone numbers are converted to what ACTITO "
                    "expects (1967-05-26, 12.50, +32498792185)."
                ),
            )

    def columns(self) -> list[dict[str, Any]]:
        """Per column: header, its target field and its option fields (for the template)."""
        return [
            {
                "index": i,
                "header": header,
                "target": self[f"col{i}_target"],
                "options": [self[f"col{i}_{option}"] for option in OPTION_FIELDS],
                "value_format": self[f"col{i}_value_format"],
            }
            for i, header in enumerate(self.headers)
        ]

    def clean_report_recipients(self) -> list[str]:
        raw = self.cleaned_data.get("report_recipients") or ""
        addresses = [a.strip() for a in raw.replace(",", "\n").splitlines() if a.strip()]
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError as exc:
                raise forms.ValidationError(
                    gettext("“%(address)s” is not an e-mail address.") % {"address": address}
                ) from exc
        return addresses

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        mapping = []
        for i, header in enumerate(self.headers):
            target = data.get(f"col{i}_target")
            if target:
                mapping.append(
                    {
                        "header": header,
                        "target": target,
                        **{o: bool(data.get(f"col{i}_{o}")) for o in OPTION_FIELDS},
                        "value_format": data.get(f"col{i}_value_format") or AUTO,
                    }
                )
        data["mapping"] = mapping
        mode = data.get("mode")
        if mode:
            problems = check_mapping(self.headers, job_mapping_from(mapping), self.table, mode)
            for problem in problems:
                if problem.blocking:
                    self.add_error(None, problem.message)
            data["warnings"] = [p.message for p in problems if not p.blocking]
        return data

    @staticmethod
    def initial_for(job: Any) -> dict[str, Any]:
        return _mapping_initial(job) | {
            "leave_out_invalid": job.leave_out_invalid,
            "save_template": True,
        }


class TemplateForm(MappingForm):
    """A saved mapping: the columns, options, mode and recipients of MappingForm, without the
    choices that belong to one file (leaving rows out, remembering)."""

    def __init__(self, *args: Any, headers: list[str], table: ImportTable, **kwargs: Any) -> None:
        super().__init__(*args, headers=headers, table=table, **kwargs)
        del self.fields["leave_out_invalid"]
        del self.fields["save_template"]

    @staticmethod
    def initial_for(template: Any) -> dict[str, Any]:
        return _mapping_initial(template)


def _mapping_initial(source: Any) -> dict[str, Any]:
    """Form values for a job's or a saved mapping's headers, mapping, mode and recipients."""
    initial: dict[str, Any] = {
        "mode": source.mode,
        "report_recipients": "\n".join(source.report_recipients),
    }
    by_header = {m["header"]: m for m in source.mapping}
    for i, header in enumerate(source.headers):
        m = by_header.get(header)
        initial[f"col{i}_target"] = m["target"] if m else SKIP
        for option in OPTION_FIELDS:
            initial[f"col{i}_{option}"] = bool(m and m.get(option))
        initial[f"col{i}_value_format"] = (m or {}).get("value_format") or AUTO
    return initial


class SubmitForm(forms.Form):
    confirm_table = forms.CharField(
        label=_("Type the table's name to confirm"),
        required=False,
        max_length=200,
    )

    def __init__(self, *args: Any, job: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        # DELETE removes profiles for good: the marketer types the table's name, as GitHub does.
        if (
            self.job.mode == "DELETE"
            and data.get("confirm_table", "").strip() != self.job.table_name
        ):
            self.add_error(
                "confirm_table",
                gettext("This import deletes profiles. Type %(table)s exactly to confirm.")
                % {"table": self.job.table_name},
            )
        return data


class JobFilterForm(DateRangeForm):
    table = forms.ChoiceField(label=_("Table"), required=False)
    user = forms.ChoiceField(label=_("Uploaded by"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    field_order = ("table", "user", "status", "date_from", "date_to")

    def __init__(self, *args: Any, tables: list[str], users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "table").choices = [("", gettext("All tables")), *((t, t) for t in tables)]
        _choices(self, "user").choices = [
            ("", gettext("Anyone")),
            *((str(u.pk), u.get_username()) for u in users),
        ]
        _choices(self, "status").choices = [("", gettext("Any status")), *ImportJob.Status.choices]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ImportJob.objects.filtered()."""
        data = self.cleaned_data
        return {
            "table": data["table"],
            "user": data["user"],
            "status": data["status"],
            **self.date_range(),
        }
