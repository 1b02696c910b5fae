from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.activities.models import Activity, EffectiveVisitRule
from kadence.activities.selectors import effective_visit_rule
from kadence.activities.stall import refresh_last_activity
from kadence.domain.quotas import is_effective
from kadence.pipeline.stall import lock


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """An admin may add, change (even move to another deal) and delete activities here, outside the
    services: each write keeps the stall summary of the deals it touches exact, as the services do
    (in one transaction, the deals' row locks first)."""

    list_display = ("date", "kind", "subject", "account", "owner", "done", "result", "is_effective")
    list_filter = ("kind", "done", "result", "is_effective")
    readonly_fields = ("is_effective",)
    raw_id_fields = ("account", "opportunity", "owner", "contacts")
    search_fields = ("subject", "account__name")

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        before = Activity.objects.filter(pk=obj.pk).values_list("opportunity_id", flat=True).first()
        deals = lock([before, obj.opportunity_id])
        obj.is_effective = is_effective(
            effective_visit_rule(), kind=obj.kind, done=obj.done, result=obj.result
        )
        super().save_model(request, obj, form, change)
        refresh_last_activity(deals)

    @transaction.atomic
    def delete_model(self, request, obj):
        deals = lock([obj.opportunity_id])
        super().delete_model(request, obj)
        refresh_last_activity(deals)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        deals = lock(queryset.values_list("opportunity_id", flat=True))
        super().delete_queryset(request, queryset)
        refresh_last_activity(deals)


class EffectiveVisitRuleForm(forms.ModelForm):
    """The rule's kinds and results as check boxes of the activity's own choices."""

    kinds = forms.MultipleChoiceField(
        label=_("face-to-face kinds"),
        choices=Activity.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    results = forms.MultipleChoiceField(
        label=_("counted results"),
        choices=[c for c in Activity.Result.choices if c[0]],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = EffectiveVisitRule
        fields = ("kinds", "results")


@admin.register(EffectiveVisitRule)
class EffectiveVisitRuleAdmin(admin.ModelAdmin):
    """The effective-visit rule: which kinds are face to face, which results count. A change judges the
    activities logged or changed afterwards; the flags already stored stay."""

    form = EffectiveVisitRuleForm
    list_display = ("__str__", "kinds", "results", "updated_at")

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not EffectiveVisitRule.objects.exists()
