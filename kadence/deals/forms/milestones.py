"""Page form of one stage's customer milestone (one per table row). It only parses input; the rules
live in kadence.deals.services.milestones."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kadence.core.formfields import DateField
from kadence.deals.models import Milestone


class MilestoneForm(forms.Form):
    """Prefixed by the stage ("s<id>") and tied to the row's <form id="ms-<id>"> through the HTML
    `form` attribute, so that the inputs can sit in the table's cells."""

    planned_on = DateField(label=_("Planned date"), required=False)
    actual_on = DateField(label=_("Actual date"), required=False)
    competition_note = forms.CharField(
        label=_("Where we lag the competition"), max_length=500, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, stage_id: int, **kwargs: Any) -> None:
        super().__init__(*args, prefix=f"s{stage_id}", **kwargs)
        self.stage_id = stage_id
        for name, field in self.fields.items():
            field.widget.attrs.update({"form": self.form_id, "aria-label": str(field.label or name)})

    @property
    def form_id(self) -> str:
        return f"ms-{self.stage_id}"

    @classmethod
    def for_milestone(cls, stage_id: int, milestone: Milestone | None) -> MilestoneForm:
        initial = {}
        if milestone is not None:
            initial = {
                "planned_on": milestone.planned_on,
                "actual_on": milestone.actual_on,
                "competition_note": milestone.competition_note,
                "note": milestone.note,
                "version": milestone.version,
            }
        return cls(initial=initial, stage_id=stage_id)

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "planned_on": data["planned_on"],
            "actual_on": data["actual_on"],
            "competition_note": data["competition_note"],
            "note": data["note"],
            "version": data["version"],
        }
