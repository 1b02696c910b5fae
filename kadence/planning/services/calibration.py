"""Calibration writes (METHODOLOGY §9.6): recompute the observed win rates from closed history and
switch a process to calibrated probabilities. Admins only (the CLI runs as the system, actor None).
Both run in one transaction and leave an audit entry."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kadence.core.audit import audit_changes
from kadence.core.errors import NotFound, PermissionDenied, ValidationFailed
from kadence.core.models import User
from kadence.core.visibility import can_change_calibration
from kadence.pipeline.models import ProcessTemplate
from kadence.planning.models import Calibration, ForecastPolicy
from kadence.planning.selectors.calibration import CalibrationReport, calibration_counts, calibration_report

ENTITY_CALIBRATION = "calibration"
ENTITY_TEMPLATE = "process_template"


def _admin_only(user: User | None) -> None:
    if user is not None and not can_change_calibration(user):
        raise PermissionDenied(_("Only an admin can change the calibration."))


@transaction.atomic
def calibration_recompute(
    user: User | None, *, template_id: int | None = None, as_of: date | None = None
) -> int:
    """Count the closed outcomes of every bucket again (one process, or all) over the history window
    ending `as_of` (default today) and replace the stored rows, all with the same `computed_at`.
    Returns the number of rows written. `user` None is the system (the `kadence calibrate` command)."""
    _admin_only(user)
    as_of = as_of or timezone.localdate()
    templates = ProcessTemplate.objects.order_by("pk")
    if template_id is not None:
        templates = templates.filter(pk=template_id)
        if not templates.exists():
            raise NotFound(_("Unknown process template."))
    policy = ForecastPolicy.current()
    now = timezone.now()
    written = 0
    for template in templates:
        before = sum(
            Calibration.objects.filter(template=template, dimension=Calibration.Dimension.LEVEL).values_list(
                "outcomes", flat=True
            )
        )
        rows = [
            Calibration(
                template=template,
                dimension=dimension,
                key=bucket.key,
                outcomes=bucket.outcomes,
                won=bucket.won,
                configured=bucket.configured,
                computed_at=now,
            )
            for dimension, buckets in calibration_counts(template.pk, as_of=as_of, policy=policy).items()
            for bucket in buckets
        ]
        Calibration.objects.filter(template=template).delete()
        Calibration.objects.bulk_create(rows)
        written += len(rows)
        after = sum(row.outcomes for row in rows if row.dimension == Calibration.Dimension.LEVEL)
        audit_changes(
            ENTITY_CALIBRATION,
            template.pk,
            {"level_outcomes": (before, after), "computed_at": (None, now)},
            user,
            _("Calibration recomputed (history to %(day)s).") % {"day": as_of.isoformat()},
        )
    return written


def _short_message(report: CalibrationReport) -> str:
    if report.computed_at is None:
        return _("No calibration has been computed for this process yet; recompute it first.")
    buckets = ", ".join(f"{row.label} ({row.outcomes}/{report.min_outcomes})" for row in report.short)
    return _(
        "Not enough closed outcomes to use calibrated probabilities (at least %(min)d per level): %(buckets)s."
    ) % {"min": report.min_outcomes, "buckets": buckets}


@transaction.atomic
def calibration_switch(
    user: User, *, template_id: int, use_calibrated: bool, reason: str = ""
) -> ProcessTemplate:
    """Make a process use calibrated probabilities (or go back to the configured ones). Switching on
    needs a computed calibration in which every level the process uses has at least
    ForecastPolicy.calibration_min_outcomes outcomes; otherwise ValidationFailed (422) names the
    buckets short of data (`short`: their codes, outcomes and the minimum). Switching off always works."""
    _admin_only(user)
    template = ProcessTemplate.objects.select_for_update().filter(pk=template_id).first()
    if template is None:
        raise NotFound(_("Unknown process template."))
    if use_calibrated and not template.use_calibrated:
        report = calibration_report(user, template.pk)
        if not report.can_switch_on:
            message = _short_message(report)
            raise ValidationFailed(
                message,
                {"use_calibrated": [message]},
                code="not_enough_outcomes",
                short=[
                    {
                        "key": row.key,
                        "label": row.label,
                        "outcomes": row.outcomes,
                        "needed": report.min_outcomes,
                    }
                    for row in report.short
                ],
            )
    if template.use_calibrated != use_calibrated:
        ProcessTemplate.objects.filter(pk=template.pk).update(use_calibrated=use_calibrated)
        audit_changes(
            ENTITY_TEMPLATE,
            template.pk,
            {"use_calibrated": (template.use_calibrated, use_calibrated)},
            user,
            reason,
        )
        template.use_calibrated = use_calibrated
    return template
