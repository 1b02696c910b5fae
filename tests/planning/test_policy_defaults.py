"""The shipped thresholds are stated once, by the domain; the policy rows a new installation gets carry
them (a default typed again in a model would drift from the rule that reads it)."""

from kadence.deals.models import ControlPolicy
from kadence.deals.selectors.assessments import bid_rules, c139_rules
from kadence.deals.services.expenses import thresholds
from kadence.domain import bid, buying_centre, c139, expenses, funnel
from kadence.domain.stall import StallPolicy
from kadence.planning.models import ForecastPolicy


def test_a_new_control_policy_is_the_domain_defaults():
    policy = ControlPolicy()
    assert c139_rules(policy) == c139.BandRules()
    assert bid_rules(policy) == bid.BidRules()
    assert thresholds(policy) == expenses.Thresholds()
    assert tuple(policy.required_buying_roles) == buying_centre.REQUIRED_ROLES


def test_a_new_forecast_policy_is_the_domain_defaults():
    policy = ForecastPolicy()
    assert policy.stall_policy() == StallPolicy()
    assert (policy.shortfall_ratio, policy.congestion_ratio) == (
        funnel.SHORTFALL_BELOW,
        funnel.CONGESTION_ABOVE,
    )
