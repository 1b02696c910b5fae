"""The set-based delete of an import's deals (kadence.transfer.cascade, issue 12 — speed of undo) removes
exactly what Django's cascading delete removes: on a fixture with one row of every kind that refers to a
deal, directly or through other rows (found from the models' meta, so a new model is covered without
touching this test), the rows left per table and the SET_NULL columns are the cascade's, and no row
anywhere still refers to a removed deal."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models, transaction
from django.db.models import signals
from django.utils import timezone

from kadence.pipeline.models import Opportunity
from kadence.transfer import cascade

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)


def _value(field: models.Field, others: dict) -> object:
    """A valid value for a required field of a generated row."""
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.ForeignKey):
        target = field.related_model
        return others.get(target) or target._base_manager.order_by("pk").first() or _row(target, {})
    n = next(_serial)
    if isinstance(field, (models.CharField, models.TextField)):
        return f"r{n}"[: field.max_length or 20]
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return date.today()
    if isinstance(field, models.DecimalField):
        return Decimal(1)
    if isinstance(field, (models.IntegerField, models.FloatField)):
        return 1
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.BinaryField):
        return b""
    if isinstance(field, models.DurationField):
        return timedelta(days=1)
    if isinstance(field, models.UUIDField):
        import uuid

        return uuid.uuid4()
    if isinstance(field, models.FileField):
        return f"x/{n}.txt"
    raise AssertionError(f"no generated value for {field}")


def _row(model: type[models.Model], parents: dict) -> models.Model:
    """A row of `model` whose foreign keys point at `parents` (by model) where they can, else at any
    existing row; the required fields filled in."""
    values = {}
    for field in model._meta.concrete_fields:
        if (
            (field.primary_key and not field.is_relation)
            or getattr(field, "auto_now", False)
            or getattr(field, "auto_now_add", False)
        ):
            continue
        if field.is_relation and field.related_model in parents:
            values[field.name] = parents[field.related_model]
        elif field.has_default() or field.null:
            continue
        elif field.unique or not field.is_relation or not field.blank:
            values[field.name] = _value(field, parents)
    return model._base_manager.create(**values)


def _chain(deal: Opportunity, ordered, edges) -> dict:
    """One row of every model the cascade reaches from `deal`, each pointing at its parents' rows."""
    rows = {Opportunity: deal}
    for model in ordered[1:]:
        rows[model] = _row(model, rows)
    return rows


def _state(models_: list, set_null) -> tuple[dict, dict]:
    counts = {m._meta.label: m._base_manager.count() for m in apps.get_models(include_auto_created=True)}
    nulls = {
        (e.child._meta.label, e.field.name): sorted(
            e.child._base_manager.values_list("pk", e.field.attname).order_by("pk")
        )
        for e in set_null
    }
    return counts, nulls


@pytest.fixture
def world(org):
    ordered, cascade_edges, other = cascade._graph(Opportunity)
    gone = org.opp
    kept = Opportunity.objects.exclude(pk=gone.pk).first()
    assert kept is not None
    removed = _chain(gone, ordered, cascade_edges)
    stays = _chain(kept, ordered, cascade_edges)
    # a row that stays but points, SET_NULL, at a row that goes
    set_null = [e for e in other if e.field.remote_field.on_delete is models.SET_NULL]
    for edge in set_null:
        row = stays[edge.child] if edge.child in stays else _row(edge.child, {})
        setattr(row, edge.field.name, removed[edge.parent])
        row.save(update_fields=[edge.field.name])
    return gone, kept, ordered, cascade_edges, set_null


def test_the_graph_reaches_every_kind_of_row_that_refers_to_a_deal():
    ordered, edges, other = cascade._graph(Opportunity)
    labels = {m._meta.label for m in ordered}
    # a few by name, and the many-to-many tables, so the walk is seen to go deep and wide
    for label in (
        "pipeline.StageChange",
        "pipeline.OpportunityTeamMember",
        "pipeline.Opportunity_product_lines",
        "pipeline.Opportunity_competitors",
        "deals.Evidence",
        "deals.C139Answer",
        "deals.OpportunityTask",
        "rhythm.CadenceItem",
        "activities.Activity_contacts",
    ):
        assert label in labels, label
    # every foreign key anywhere to a reached model is an edge (or DO_NOTHING)
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in set(ordered):
                if field.remote_field.on_delete is not models.DO_NOTHING:
                    assert any(e.field is field for e in edges + other), field


def _cascade_result(gone: Opportunity, set_null) -> tuple[dict, dict]:
    with transaction.atomic():
        Opportunity.objects.filter(pk=gone.pk).delete()
        result = _state([], set_null)
        transaction.set_rollback(True)
    return result


def test_the_set_based_delete_removes_what_djangos_cascade_removes(world):
    gone, kept, ordered, edges, set_null = world
    expected = _cascade_result(gone, set_null)
    before = _state([], set_null)

    counts = cascade.delete(Opportunity.objects.filter(pk=gone.pk))

    after = _state([], set_null)
    assert after == expected
    assert set_null and after[1] != before[1], "the SET_NULL columns were cleared"
    assert counts["pipeline.Opportunity"] == 1
    # something went from every table the cascade reaches (the fixture has a row of each) …
    for model in ordered:
        assert after[0][model._meta.label] < before[0][model._meta.label], model._meta.label
    # … and nothing anywhere still refers to the removed deal, directly or through a removed row
    for edge in (e for e in edges if e.parent is Opportunity):
        assert not edge.child._base_manager.filter(**{edge.field.attname: gone.pk}).exists(), edge.field
    for model in ordered[1:]:
        for edge in (e for e in edges if e.child is model):
            parent_ids = set(
                edge.parent._base_manager.values_list(edge.field.target_field.attname, flat=True)
            )
            dangling = model._base_manager.exclude(**{f"{edge.field.attname}__in": parent_ids})
            assert not dangling.exists(), model._meta.label
    assert Opportunity.objects.filter(pk=kept.pk).exists()


def test_with_delete_signals_listened_to_it_falls_back_to_the_collector(world):
    gone, _kept, _ordered, _edges, set_null = world
    expected = _cascade_result(gone, set_null)
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(sender)

    signals.pre_delete.connect(listener, sender=Opportunity)
    try:
        cascade.delete(Opportunity.objects.filter(pk=gone.pk))
    finally:
        signals.pre_delete.disconnect(listener, sender=Opportunity)
    assert seen == [Opportunity]
    assert _state([], set_null) == expected


def test_a_protected_reference_refuses_as_the_cascade_would(world, monkeypatch):
    gone, _kept, ordered, edges, set_null = world
    edge = next(e for e in edges if e.parent is Opportunity)
    monkeypatch.setattr(edge.field.remote_field, "on_delete", models.PROTECT)
    before = _state([], set_null)
    with pytest.raises(models.ProtectedError):
        cascade.delete(Opportunity.objects.filter(pk=gone.pk))
    assert _state([], set_null) == before


def test_an_undone_import_leaves_no_row_referring_to_its_deals(org):
    """End to end: rows of every kind but activities (work recorded on an imported deal makes the undo
    refuse) added to the deals an import created; its undo removes them all, and the summaries agree."""
    from kadence.activities.models import Activity
    from kadence.pipeline import summary
    from kadence.transfer import services
    from tests.transfer.test_import import _configure, _deals_file, _go

    job = services.import_job_create(org.mona, kind="opportunities", upload=_deals_file(org))
    _configure(org.mona, job, skip_invalid=True)
    _go(org.mona, job, "check")
    _go(org.mona, job, "commit")
    deals = list(Opportunity.objects.filter(external_id__startswith="X-"))
    assert len(deals) == 3
    ordered, edges, _other = cascade._graph(Opportunity)
    under_activity = {Activity} | {e.child for e in edges if e.parent is Activity}
    kinds = [Opportunity] + [m for m in ordered[1:] if m not in under_activity]
    with transaction.atomic():
        _chain(deals[0], kinds, edges)
    summary.rebuild()  # the generated history row counted, as the services would have
    assert summary.drift() == []

    job = _go(org.mona, job, "undo")
    assert job.status == "undone", job.error
    ids = [d.pk for d in deals]
    assert not Opportunity.objects.filter(pk__in=ids).exists()
    for edge in (e for e in edges if e.parent is Opportunity):
        assert not edge.child._base_manager.filter(**{f"{edge.field.attname}__in": ids}).exists(), edge.field
    for model in kinds[1:]:
        for edge in (e for e in edges if e.child is model):
            parents = edge.parent._base_manager.values(edge.field.target_field.attname)
            assert not model._base_manager.exclude(**{f"{edge.field.attname}__in": parents}).exists()
    assert summary.drift() == []
