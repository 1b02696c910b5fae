"""The demo's cadence rows, written through the services on the test organisation."""

from django.utils import timezone

from kadence.demo.rhythm_cadence import load_demo_cadence
from kadence.rhythm.cadence.models import CadenceItem, Debrief, Review


def test_the_demo_writes_reviews_items_and_debriefs(org):
    written = load_demo_cadence(42, timezone.localdate())
    assert written > 0
    assert Review.objects.exists() and Debrief.objects.filter(manager=org.mona).count() == 4
    assert CadenceItem.objects.filter(status="open").exists()
