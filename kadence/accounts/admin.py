from django.contrib import admin

from kadence.accounts.models import Account, Contact, Industry


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "order")
    list_editable = ("order",)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("name", "title", "phone", "email", "attitude", "influence")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "industry", "region", "owner", "status", "buying_power")
    list_filter = ("industry", "region", "status")
    search_fields = ("name",)
    raw_id_fields = ("owner",)
    list_select_related = ("industry", "region", "owner")
    inlines = [ContactInline]
    readonly_fields = ("version",)
