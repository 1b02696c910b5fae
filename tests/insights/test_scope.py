import pytest

from kadence.core.errors import NotFound
from kadence.core.visibility import resolve_scope
from kadence.pipeline.models import Opportunity


@pytest.mark.django_db
def test_a_rep_sees_only_themselves_a_manager_their_team_a_director_their_region(org):
    assert resolve_scope(org.rita).owner == org.rita
    with pytest.raises(NotFound):
        resolve_scope(org.rita, owner_id=org.tom.pk)
    with pytest.raises(NotFound):
        resolve_scope(org.rita, unit_id=org.n1.pk)
    mona = resolve_scope(org.mona)
    assert mona.unit_ids == {org.n1.pk}
    assert resolve_scope(org.mona, owner_id=org.rita.pk).owner == org.rita
    with pytest.raises(NotFound):
        resolve_scope(org.mona, owner_id=org.sara.pk)
    with pytest.raises(NotFound):
        resolve_scope(org.mona, unit_id=org.n2.pk)
    assert resolve_scope(org.dora).unit_ids == {org.north.pk, org.n1.pk, org.n2.pk}
    assert resolve_scope(org.dora, unit_id=org.n2.pk).unit == org.n2
    with pytest.raises(NotFound):
        resolve_scope(org.dora, unit_id=org.s1.pk)
    everything = resolve_scope(org.ada)
    assert everything.unit_ids is None and everything.filter(Opportunity.objects.all()).count() == 2
    assert set(resolve_scope(org.sven).filter(Opportunity.objects.all())) == {org.sara_opp}
