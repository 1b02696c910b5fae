"""Django admin for the activity quotas and their settings (configuration as data)."""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kadence.accounts.models import Account
from kadence.core.audit import audit_changes
from kadence.rhythm.quotas.models import ActivityQuota, QuotaSettings
from kadence.rhythm.quotas.services import ENTITY


@admin.register(ActivityQuota)
class ActivityQuotaAdmin(admin.ModelAdmin):
    """Quotas per role (user empty) or per person (role empty; overrides the role's row of the metric)."""

    list_display = ("metric", "role", "user", "amount", "per", "updated_at")
    list_filter = ("metric", "role", "per")
    raw_id_fields = ("user",)
    search_fields = ("user__username", "user__display_name")

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
            audit_changes(
                ENTITY,
                obj.pk,
                {f: (form.initial.get(f), getattr(obj, f)) for f in form.changed_data},
                request.user,
            )
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)


class QuotaSettingsForm(forms.ModelForm):
    important_sizes = forms.MultipleChoiceField(
        label=_("important account sizes"),
        choices=Account.Size.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = QuotaSettings
        fields = ("important_sizes", "important_min_buying_power", "trend_weeks")


@admin.register(QuotaSettings)
class QuotaSettingsAdmin(admin.ModelAdmin):
    """Which accounts are important customers, and the trend chart's weeks."""

    form = QuotaSettingsForm
    list_display = ("__str__", "important_sizes", "important_min_buying_power", "trend_weeks")

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not QuotaSettings.objects.exists()
