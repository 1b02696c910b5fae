"""Forms of the import pages: the upload, and the mapping (one row per field: its column, its default and,
for a field whose values are looked up in a list, its value map)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from kadence.transfer.fields import FIELDS, REF, REFS
from kadence.transfer.models import ImportJob, ImportKind, ImportMapping
from kadence.transfer.reader import ENCODINGS

ENCODING_CHOICES = [("", _("Detect"))] + [(e, e.upper()) for e in ENCODINGS]


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices)
    file = forms.FileField(label=_("File (CSV, xlsx or xls)"))
    encoding = forms.ChoiceField(label=_("Encoding of a CSV"), choices=ENCODING_CHOICES, required=False)
    mapping = forms.ChoiceField(label=_("Saved mapping"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("Match the columns by their headers"))]
        choices += [
            (m.name, f"{m.get_kind_display()} · {m.name}")
            for m in ImportMapping.objects.order_by("kind", "name")[:200]
        ]
        cast(forms.ChoiceField, self.fields["mapping"]).choices = choices


def parse_value_map(text: str) -> dict[str, str]:
    """ "value in the file = what it means", one per line (= or →), blank lines ignored."""
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        for sep in ("=", "→", "->"):
            if sep in line:
                key, value = line.split(sep, 1)
                if key.strip() and value.strip():
                    out[key.strip()] = value.strip()
                break
    return out


class ImportMappingForm(forms.Form):
    """For each field of the job's kind: `col_<key>` (the column), `def_<key>` (a default) and, for a
    looked-up field, `map_<key>` (its value map); then the options."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    on_duplicate = forms.ChoiceField(label=_("When a record exists"), choices=ImportJob.OnDuplicate.choices)
    skip_invalid = forms.BooleanField(label=_("Import the valid rows and skip the bad ones"), required=False)
    create_accounts = forms.BooleanField(
        label=_("Create the accounts the file names that do not exist"), required=False
    )
    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODING_CHOICES[1:], required=False)
    save_as = forms.CharField(label=_("Save this mapping as"), max_length=100, required=False)

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.job = job
        headers = [("", _("— not imported —"))] + [(h, h) for h in job.headers if h]
        self.rows = []
        for spec in FIELDS[job.kind]:
            col = forms.ChoiceField(label=str(spec.label), choices=headers, required=False)
            default = forms.CharField(label=_("Default"), max_length=500, required=False)
            self.fields[f"col_{spec.key}"] = col
            self.fields[f"def_{spec.key}"] = default
            if spec.read in (REF, REFS):
                self.fields[f"map_{spec.key}"] = forms.CharField(
                    label=_("Value map"),
                    required=False,
                    max_length=20000,
                    widget=forms.Textarea(
                        attrs={"rows": 2, "placeholder": _("value in the file = what it means")}
                    ),
                )
            self.rows.append(spec)
        if job.kind != "opportunities":
            del self.fields["create_accounts"]
        if job.file_type != "csv":
            del self.fields["encoding"]

    def bound_rows(self) -> list[tuple[Any, Any, Any, Any]]:
        return [
            (
                spec,
                self[f"col_{spec.key}"],
                self[f"def_{spec.key}"],
                self[f"map_{spec.key}"] if f"map_{spec.key}" in self.fields else None,
            )
            for spec in self.rows
        ]

    @staticmethod
    def initial_for(job: ImportJob) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "version": job.version,
            "on_duplicate": job.on_duplicate,
            "skip_invalid": job.skip_invalid,
            "create_accounts": job.create_accounts,
            "encoding": job.encoding,
            "save_as": "",
        }
        for spec in FIELDS[job.kind]:
            initial[f"col_{spec.key}"] = (job.columns or {}).get(spec.key, "")
            initial[f"def_{spec.key}"] = (job.defaults or {}).get(spec.key, "")
            table = (job.values or {}).get(spec.key) or {}
            initial[f"map_{spec.key}"] = "\n".join(f"{k} = {v}" for k, v in table.items())
        return initial

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "version": data["version"],
            "columns": {s.key: data.get(f"col_{s.key}") or "" for s in self.rows},
            "defaults": {s.key: data.get(f"def_{s.key}") or "" for s in self.rows},
            "values": {
                s.key: parse_value_map(data.get(f"map_{s.key}") or "")
                for s in self.rows
                if f"map_{s.key}" in self.fields
            },
            "on_duplicate": data["on_duplicate"],
            "skip_invalid": data.get("skip_invalid", False),
            "save_as": data.get("save_as") or "",
        }
        if "create_accounts" in self.fields:
            kwargs["create_accounts"] = data.get("create_accounts", False)
        if "encoding" in self.fields and data.get("encoding"):
            kwargs["encoding"] = data["encoding"]
        return kwargs
