"""The cadence and debrief pages: the rep's list (phone-usable, forms with CSRF), the review form from a
deal's and an account's page, follow-up and judgement posts (refusals back by post-redirect-get), the
manager's per-seller counts, the debriefs page; query counts asserted."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from kadence.rhythm.cadence.models import CadenceItem, Debrief, Review
from kadence.rhythm.cadence.services import debrief_create, review_create


def _review(user, opp=None, account=None, days_ago=0):
    today = timezone.localdate()
    return review_create(
        user,
        opportunity_id=opp.pk if opp else None,
        account_id=account.pk if account else None,
        work_done="Reviewed",
        reviewed_on=today - timedelta(days=days_ago),
        today=today,
    )


def test_the_deal_and_account_pages_link_to_the_review_form(client, org):
    client.force_login(org.rita)
    deal = client.get(reverse("opportunity_detail", args=[org.opp.pk]))
    assert b'data-testid="cadence-review"' in deal.content
    account = client.get(reverse("account_detail", args=[org.account.pk]))
    assert b'data-testid="cadence-review"' in account.content


def test_review_from_the_form(client, org):
    client.force_login(org.mona)
    url = reverse("rhythm_cadence_review")
    page = client.get(url, {"opportunity": org.opp.pk})
    assert page.status_code == 200 and b'data-testid="review-form"' in page.content
    answer = client.post(
        url, {"opportunity_id": org.opp.pk, "work_done": "Met the CIO", "progress": "Tender"}
    )
    assert answer.status_code == 302 and answer.url == reverse("opportunity_detail", args=[org.opp.pk])
    assert Review.objects.filter(opportunity=org.opp, reviewer=org.mona).count() == 1
    refused = client.post(url, {"opportunity_id": org.opp.pk})
    assert refused.status_code == 303
    again = client.get(refused.url)
    assert again.status_code == 422 and b"alert-error" in again.content
    client.force_login(org.tom)
    assert client.get(url, {"opportunity": org.opp.pk}).status_code == 404


def test_the_rep_records_a_follow_up_on_the_page(client, org, django_assert_max_num_queries):
    review = _review(org.mona, org.opp, days_ago=16)
    _review(org.mona, account=org.account, days_ago=31)
    client.force_login(org.rita)
    url = reverse("rhythm_cadence")
    client.get(url)  # warm the session and the caches
    with django_assert_max_num_queries(16):
        page = client.get(url, {"state": "overdue"})
    assert page.status_code == 200
    assert page.content.count(b'data-testid="cadence-item"') == 3
    assert b"csrfmiddlewaretoken" in page.content and b"is-overdue" in page.content
    item = review.items.get(kind="follow_up")
    post = reverse("rhythm_cadence_follow_up", args=[item.pk])
    refused = client.post(post, {"note": "Progress", "version": 5, "state": "overdue"})
    assert refused.status_code == 303
    assert client.get(refused.url).status_code == 409
    done = client.post(post, {"note": "Progress", "version": 1, "state": "overdue"})
    assert done.status_code == 302
    assert CadenceItem.objects.get(pk=item.pk).status == "done"


def test_the_judgement_form_downgrades(client, org):
    review = _review(org.rita, org.opp, days_ago=30)
    item = review.items.get(kind="judgement")
    client.force_login(org.mona)
    answer = client.post(
        reverse("rhythm_cadence_judgement", args=[item.pk]), {"outcome": "downgrade", "version": 1}
    )
    assert answer.status_code == 302
    assert CadenceItem.objects.get(pk=item.pk).outcome == "downgrade"
    client.force_login(org.tom)
    assert (
        client.post(
            reverse("rhythm_cadence_judgement", args=[item.pk]), {"outcome": "stop", "version": 2}
        ).status_code
        == 404
    )


def test_the_manager_sees_counts_per_seller(client, org):
    _review(org.rita, org.opp, days_ago=20)
    client.force_login(org.mona)
    page = client.get(reverse("rhythm_cadence"))
    assert page.status_code == 200 and b'data-testid="cadence-reps"' in page.content
    client.force_login(org.sam)
    page = client.get(reverse("rhythm_cadence"))
    assert b'data-testid="cadence-empty"' in page.content


def test_the_debriefs_page(client, org, django_assert_max_num_queries):
    today = timezone.localdate()
    debrief = debrief_create(
        org.mona, rep_id=org.rita.pk, kind="debrief", held_on=today, findings="Good", actions="More visits"
    )
    client.force_login(org.mona)
    url = reverse("rhythm_debriefs")
    client.get(url)
    with django_assert_max_num_queries(14):
        page = client.get(url)
    assert page.status_code == 200 and b'data-testid="debrief-new"' in page.content
    assert b'data-testid="debrief-counts"' in page.content
    created = client.post(
        reverse("rhythm_debrief_create"),
        {
            "kind": "ride_along",
            "held_on": today.isoformat(),
            "rep_id": org.tom.pk,
            "findings": "Listens well",
        },
    )
    assert created.status_code == 302 and Debrief.objects.filter(rep=org.tom).count() == 1
    client.force_login(org.rita)
    page = client.get(url)
    assert b'data-testid="debrief-new"' not in page.content
    assert client.get(reverse("rhythm_debrief", args=[debrief.pk])).status_code == 200
    client.force_login(org.tom)
    assert client.get(reverse("rhythm_debrief", args=[debrief.pk])).status_code == 404
    assert (
        client.post(
            reverse("rhythm_debrief_create"),
            {"kind": "debrief", "held_on": today.isoformat(), "rep_id": org.rita.pk, "findings": "x"},
        ).status_code
        == 403
    )


def test_the_debrief_form_picks_the_account_and_deal_by_name(client, org):
    """No ids to type: an account search, then the account's open deals (htmx), kept on a refusal."""
    today = timezone.localdate()
    client.force_login(org.mona)
    page = client.get(reverse("rhythm_debriefs"))
    assert b'data-testid="debrief-account-search"' in page.content
    assert b"Deal id" not in page.content and b"Account id" not in page.content
    parts = client.get(reverse("rhythm_plan_account_parts"), {"account_id": org.account.pk, "for": "debrief"})
    assert b'name="opportunity_id"' in parts.content and org.opp.name.encode() in parts.content
    assert b'name="contacts"' not in parts.content  # the visit form's part, not the debrief's
    posted = {
        "kind": "debrief",
        "held_on": "not a day",
        "rep_id": org.rita.pk,
        "account_id": org.account.pk,
        "opportunity_id": org.opp.pk,
        "findings": "Knows the CIO",
    }
    refused = client.post(reverse("rhythm_debrief_create"), posted)
    assert refused.status_code == 303 and not Debrief.objects.exists()
    again = client.get(refused["Location"]).content.decode()
    assert f'<option value="{org.account.pk}" selected>' in again
    assert f'<option value="{org.opp.pk}" selected>' in again and "Knows the CIO" in again
    created = client.post(reverse("rhythm_debrief_create"), {**posted, "held_on": today.isoformat()})
    assert created.status_code == 302
    debrief = Debrief.objects.get()
    assert (debrief.account_id, debrief.opportunity_id) == (org.account.pk, org.opp.pk)


def test_the_hub_lists_the_part(client, org):
    client.force_login(org.rita)
    page = client.get(reverse("rhythm_hub"))
    assert b'data-testid="hub-cadence"' in page.content and b'data-testid="hub-debriefs"' in page.content


def test_the_policy_is_edited_in_the_admin(client, org):
    from kadence.rhythm.cadence.models import CadencePolicy

    client.force_login(org.ada)
    url = reverse("admin:rhythm_cadencepolicy_change", args=[1])
    assert client.get(url).status_code == 200
    answer = client.post(
        url, {"follow_up_days": 10, "judgement_days": 20, "due_soon_days": 7, "next_step_max_days": 30}
    )
    assert answer.status_code == 302
    assert CadencePolicy.objects.get(pk=1).follow_up_days == 10
    refused = client.post(
        url, {"follow_up_days": 20, "judgement_days": 10, "due_soon_days": 7, "next_step_max_days": 30}
    )
    assert refused.status_code == 200 and CadencePolicy.objects.get(pk=1).judgement_days == 20
