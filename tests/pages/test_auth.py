"""Sign-in, sign-out, throttling and the language switch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kadence.core.models import LoginFailure, User


def post_login(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_login_page_renders_and_signs_in(org, client):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="username"' in page.content and b'name="password"' in page.content
    response = post_login(client, "rita", "pw-rita")
    assert response.status_code == 302 and response.url == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200 and home.context["user"] == org.rita


def test_pages_need_a_login(org, client):
    for name in ("home", "opportunity_list", "pipeline_board", "opportunity_create"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name


def test_wrong_password_is_refused_with_a_message(org, client):
    response = post_login(client, "rita", "nope")
    assert response.status_code == 200
    assert b"login-error" in response.content
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(username="rita").count() == 1


def test_logout_is_post_only(org, client):
    client.force_login(org.rita)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_throttled_after_limit_even_with_the_right_password(org, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        post_login(client, "rita", "wrong")
    response = post_login(client, "rita", "pw-rita")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Too many failed sign-in attempts" in response.content.decode()
    # a refused attempt is not counted again, so the lock lifts when the window passes
    assert LoginFailure.objects.filter(username="rita").count() == 3


def test_username_counter_ignores_case(org, client, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_USERNAME = 2
    post_login(client, "Rita", "wrong")
    post_login(client, "RITA", "wrong", REMOTE_ADDR="10.0.0.9")
    response = post_login(client, "rita", "pw-rita", REMOTE_ADDR="10.0.0.10")
    assert "_auth_user_id" not in client.session and "Too many" in response.content.decode()


def test_throttled_per_client_address(org, client, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    for name in ("ann", "bob", "cid"):
        post_login(client, name, "guess", REMOTE_ADDR="10.1.1.1")
    refused = post_login(client, "tom", "pw-tom", REMOTE_ADDR="10.1.1.1")
    assert "_auth_user_id" not in client.session and "Too many" in refused.content.decode()
    allowed = post_login(client, "tom", "pw-tom", REMOTE_ADDR="10.1.1.2")
    assert allowed.status_code == 302


def test_failures_expire_with_the_window(org, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    old = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS + 5)
    LoginFailure.objects.bulk_create(
        [LoginFailure(username="rita", ip="127.0.0.1", at=old) for _ in range(5)]
    )
    assert post_login(client, "rita", "pw-rita").status_code == 302


def test_success_clears_the_username_failures(org, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    post_login(client, "rita", "wrong")
    post_login(client, "rita", "wrong")
    assert post_login(client, "rita", "pw-rita").status_code == 302
    assert not LoginFailure.objects.filter(username="rita").exists()


@pytest.mark.parametrize("code", ["en", "zh-hans"])
def test_language_switch_on_the_login_page(org, client, code):
    response = client.post(reverse("set_language_pref"), {"language": code, "next": reverse("login")})
    assert response.status_code == 302 and response.url == reverse("login")
    page = client.get(reverse("login"))
    assert f'<html lang="{code}">' in page.content.decode()


def test_language_switch_is_kept_on_the_profile(org, client):
    client.force_login(org.rita)
    client.post(reverse("set_language_pref"), {"language": "en", "next": reverse("home")})
    assert User.objects.get(pk=org.rita.pk).language == "en"
    # the profile wins over the browser afterwards
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert '<html lang="en">' in page.content.decode()


def test_language_switch_is_post_only(org, client):
    assert client.get(reverse("set_language_pref")).status_code == 405


# --- one throttle for every sign-in (issue 8 §4) ---------------------------------------------------


def post_admin_login(client, username, password, **extra):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        **extra,
    )


def test_admin_login_is_throttled_like_the_login_page(org, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    for _ in range(20):
        post_admin_login(client, "ada", "wrong")
    response = post_admin_login(client, "ada", "pw-ada")
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200 and "Too many failed sign-in attempts" in response.content.decode()
    # the refused attempts stopped being recorded at the limit
    assert LoginFailure.objects.filter(username="ada").count() == 5


def test_admin_login_refused_while_the_login_page_is_locked(org, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        post_login(client, "ada", "wrong")
    post_admin_login(client, "ada", "pw-ada")
    assert "_auth_user_id" not in client.session


def test_login_page_refused_after_admin_failures(org, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        post_admin_login(client, "ada", "wrong")
    response = post_login(client, "ada", "pw-ada")
    assert "_auth_user_id" not in client.session and "Too many" in response.content.decode()


def test_every_authenticate_call_goes_through_the_throttle(org, settings):
    """The throttle sits in the authentication backend, so a form that calls authenticate() cannot
    bypass it, with or without a request."""
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    settings.LOGIN_FAILURE_LIMIT = 2
    request = RequestFactory().post("/anything/", REMOTE_ADDR="10.9.9.9")
    assert authenticate(request, username="rita", password="x") is None
    assert authenticate(request, username="rita", password="y") is None
    assert authenticate(request, username="rita", password="pw-rita") is None  # locked
    assert (
        authenticate(RequestFactory().post("/", REMOTE_ADDR="10.9.9.10"), username="tom", password="pw-tom")
        == org.tom
    )


def test_locked_user_name_reports_the_lock_on_the_attempt_that_reaches_it(org, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    post_login(client, "rita", "wrong")
    response = post_login(client, "rita", "wrong")
    assert "Too many failed sign-in attempts" in response.content.decode()


# --- per user name, per (address, user name), per address -----------------------------------------


def test_failures_from_one_address_do_not_lock_other_users_behind_it(org, client, settings):
    """An office behind one proxy: one person's typos lock that person, not the colleagues."""
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 50
    for _ in range(5):
        post_login(client, "rita", "wrong", REMOTE_ADDR="10.1.1.1")
    assert "Too many" in post_login(client, "rita", "pw-rita", REMOTE_ADDR="10.1.1.1").content.decode()
    assert post_login(client, "tom", "pw-tom", REMOTE_ADDR="10.1.1.1").status_code == 302


def test_address_ceiling_stops_spraying_many_user_names(org, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 6
    for index in range(6):
        post_login(client, f"guess{index}", "guess", REMOTE_ADDR="10.2.2.2")
    refused = post_login(client, "tom", "pw-tom", REMOTE_ADDR="10.2.2.2")
    assert "_auth_user_id" not in client.session and "Too many" in refused.content.decode()
    assert post_login(client, "tom", "pw-tom", REMOTE_ADDR="10.2.2.3").status_code == 302


def test_user_name_ceiling_stops_guessing_from_many_addresses(org, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_LIMIT_PER_USERNAME = 8
    for index in range(8):
        post_login(client, "rita", "wrong", REMOTE_ADDR=f"10.3.3.{index}")
    refused = post_login(client, "rita", "pw-rita", REMOTE_ADDR="10.3.3.100")
    assert "_auth_user_id" not in client.session and "Too many" in refused.content.decode()


def test_lock_for_one_address_leaves_the_user_free_elsewhere(org, client, settings):
    """Someone guessing rita's password from another address does not lock rita out at once."""
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_LIMIT_PER_USERNAME = 20
    for _ in range(5):
        post_login(client, "rita", "wrong", REMOTE_ADDR="10.4.4.4")
    assert post_login(client, "rita", "pw-rita", REMOTE_ADDR="10.4.4.5").status_code == 302


def test_success_clears_only_that_address_failures(org, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    post_login(client, "rita", "wrong", REMOTE_ADDR="10.5.5.5")
    post_login(client, "rita", "wrong", REMOTE_ADDR="10.5.5.6")
    assert post_login(client, "rita", "pw-rita", REMOTE_ADDR="10.5.5.5").status_code == 302
    assert list(LoginFailure.objects.values_list("ip", flat=True)) == ["10.5.5.6"]
