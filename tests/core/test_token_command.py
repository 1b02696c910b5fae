"""`kadence token`: revoke one token by id, whole token or whole prefix, or one user's tokens; never every
user's tokens by a short prefix (issue 8 §4)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from kadence.core.models import ApiToken


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def active():
    return set(ApiToken.objects.filter(revoked=False).values_list("pk", flat=True))


@pytest.fixture
def tokens(org):
    rows = {}
    for name in ("rita", "tom", "sara"):
        rows[name] = ApiToken.issue(getattr(org, name), "cli")
    rows["rita2"] = ApiToken.issue(org.rita, "laptop")
    return rows


@pytest.mark.parametrize("short", ["kd_", "k", "kd_ab", ""])
def test_a_short_prefix_revokes_nothing(tokens, short):
    before = active()
    with pytest.raises(CommandError, match="too short|Name the token"):
        run("revoke", short)
    assert active() == before


def test_revoke_by_id(tokens):
    row, _token = tokens["tom"]
    out, _ = run("revoke", str(row.pk))
    assert f"Revoked token {row.pk}" in out
    assert active() == {r.pk for r, _ in tokens.values()} - {row.pk}


def test_revoke_by_whole_token(tokens):
    row, token = tokens["sara"]
    run("revoke", token)
    assert not ApiToken.objects.filter(pk=row.pk, revoked=False).exists()
    assert len(active()) == 3


def test_revoke_by_whole_prefix(tokens):
    row, token = tokens["rita"]
    run("revoke", token[:8])
    assert active() == {r.pk for r, _ in tokens.values()} - {row.pk}


def test_an_ambiguous_prefix_is_refused(tokens, org):
    first, _ = tokens["rita"]
    second, _ = tokens["tom"]
    ApiToken.objects.filter(pk=second.pk).update(prefix=first.prefix)
    with pytest.raises(CommandError, match="matches 2 active tokens"):
        run("revoke", first.prefix)
    assert len(active()) == 4


def test_revoke_for_one_user(tokens):
    with pytest.raises(CommandError, match="2 active tokens"):
        run("revoke", "--user", "rita")
    run("revoke", "--user", "tom")
    assert not ApiToken.objects.filter(user__username="tom", revoked=False).exists()
    run("revoke", "--user", "rita", "--all")
    assert set(ApiToken.objects.filter(revoked=False).values_list("user__username", flat=True)) == {"sara"}


def test_revoke_with_user_only_matches_that_users_tokens(tokens):
    row, _ = tokens["tom"]
    with pytest.raises(CommandError, match="No active token"):
        run("revoke", str(row.pk), "--user", "rita")
    assert len(active()) == 4


def test_list_shows_ids_and_no_secret(tokens):
    out, _ = run("list", "--user", "rita")
    rows = [line.split("\t") for line in out.strip().splitlines()[1:]]
    assert sorted(int(r[0]) for r in rows) == sorted([tokens["rita"][0].pk, tokens["rita2"][0].pk])
    assert tokens["rita"][1] not in out
    everyone, _ = run("list")
    assert len(everyone.strip().splitlines()) == 5


def test_create_prints_the_id_on_stderr(org):
    out, err = run("create", "rita")
    row = ApiToken.objects.get(digest=ApiToken.hash(out.strip()))
    assert f"Token id {row.pk}" in err
