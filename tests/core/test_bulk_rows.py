"""kadence.core.bulk.insert_rows / update_rows: rows written without model instances read back exactly as
Django writes them (numbers, dates, times, empty values), on both databases."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kadence.core.audit import FIELDS, audit_many
from kadence.core.bulk import insert_rows, update_rows
from kadence.core.models import AuditEntry
from kadence.planning.models import Target
from kadence.planning.services.targets import CREATED_FIELDS

pytestmark = pytest.mark.django_db


def test_inserted_and_updated_rows_read_back_as_written(django_user_model):
    admin = django_user_model.objects.create_user("bulk-admin", password="x", role="admin")
    now = timezone.now()
    rows = [
        (None, admin.pk, "month", date(2031, m, 1), Decimal("1234.56") * m, "CNY", "", None, now, now, 1)
        for m in (1, 2, 3)
    ]
    insert_rows(Target, CREATED_FIELDS, rows)
    made = list(Target.objects.filter(user=admin).order_by("period_start"))
    assert [(t.period_start, t.amount, t.version, t.created_by_id) for t in made] == [
        (date(2031, m, 1), Decimal("1234.56") * m, 1, None) for m in (1, 2, 3)
    ]
    assert made[0].created_at == now
    later = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.get_current_timezone())
    update_rows(
        Target, ["amount", "note", "version", "updated_at"], [(made[1].pk, Decimal("0.01"), "改\t", 2, later)]
    )
    made[1].refresh_from_db()
    made[0].refresh_from_db()
    assert (made[1].amount, made[1].note, made[1].version, made[1].updated_at) == (
        Decimal("0.01"),
        "改\t",
        2,
        later,
    )
    assert (made[0].amount, made[0].version) == (Decimal("1234.56"), 1)


def test_audit_many_writes_one_entry_per_changed_field(django_user_model):
    admin = django_user_model.objects.create_user("bulk-audit", password="x", role="admin")
    written = audit_many(
        "planning.target",
        {7: {"amount": (None, Decimal("5.00")), "currency": ("CNY", "CNY")}, 8: {"note": ("a", "b\nc")}},
        admin,
        "why",
    )
    entries = list(
        AuditEntry.objects.filter(entity="planning.target").order_by("entity_id").values_list(*FIELDS[:6])
    )
    assert written == 2 and entries == [
        ("planning.target", 7, "amount", "", "5", admin.pk),
        ("planning.target", 8, "note", "a", "b\nc", admin.pk),
    ]
