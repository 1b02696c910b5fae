"""Password reset by e-mail, password change, and the admin's "set password" (issue 8 §4)."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from kadence.core.models import LoginFailure, User


@pytest.fixture
def rita_mail(org):
    org.rita.email = "rita@example.com"
    org.rita.save(update_fields=["email"])
    return org.rita


def ask_reset(client, email, **extra):
    return client.post(reverse("password_reset"), {"email": email}, **extra)


def test_login_page_links_to_the_password_reset(org, client):
    page = client.get(reverse("login"))
    assert reverse("password_reset") in page.content.decode()


def test_reset_by_email_sets_a_new_password(rita_mail, client):
    response = ask_reset(client, "rita@example.com")
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rita@example.com"] and "Kadence" in message.subject
    link = re.search(r"https?://[^/\s]+(/password/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and b'name="new_password1"' in form.content
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "Ganz-neu-2026", "new_password2": "Ganz-neu-2026"}
    )
    assert done.status_code == 302 and done.url == reverse("password_reset_complete")
    assert User.objects.get(pk=rita_mail.pk).check_password("Ganz-neu-2026")
    # the link works once
    again = client.get(link, follow=True)
    assert b'data-testid="reset-invalid"' in again.content


def test_reset_answer_does_not_tell_whether_an_account_exists(rita_mail, client):
    known = ask_reset(client, "rita@example.com")
    unknown = ask_reset(client, "nobody@example.com", REMOTE_ADDR="10.7.7.7")
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert len(mail.outbox) == 1
    sent = client.get(reverse("password_reset_done")).content.decode()
    assert "If an account has this e-mail address" in sent


def test_reset_requests_are_throttled(rita_mail, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        ask_reset(client, "rita@example.com")
    refused = ask_reset(client, "rita@example.com")
    assert refused.status_code == 200 and "Too many password reset requests" in refused.content.decode()
    assert len(mail.outbox) == 3
    # the lock is the same whether the address belongs to an account or not
    for _ in range(3):
        ask_reset(client, "nobody@example.com")
    assert "Too many password reset requests" in ask_reset(client, "nobody@example.com").content.decode()


def test_reset_requests_count_against_the_address_ceiling(org, client, settings):
    """One throttle: an address that sprays reset requests is stopped at the same ceiling as sign-ins."""
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 4
    for index in range(4):
        ask_reset(client, f"x{index}@example.com", REMOTE_ADDR="10.8.8.8")
    refused = client.post(reverse("login"), {"username": "tom", "password": "pw-tom"}, REMOTE_ADDR="10.8.8.8")
    assert "_auth_user_id" not in client.session and "Too many" in refused.content.decode()


def test_reset_lifts_the_sign_in_lock(rita_mail, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post(reverse("login"), {"username": "rita", "password": "wrong"})
    ask_reset(client, "rita@example.com")
    link = re.search(r"https?://[^/\s]+(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0], {"new_password1": "Ganz-neu-2026", "new_password2": "Ganz-neu-2026"}
    )
    assert not LoginFailure.objects.filter(username="rita").exists()
    response = client.post(reverse("login"), {"username": "rita", "password": "Ganz-neu-2026"})
    assert response.status_code == 302


@pytest.mark.parametrize("language, words", [("en", "Reset your password"), ("zh-hans", "重置密码")])
def test_reset_pages_in_both_languages(org, client, language, words):
    page = client.get(reverse("password_reset"), HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200 and words in page.content.decode()


def test_change_own_password(org, login):
    client = login(org.rita)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    response = client.post(
        reverse("password_change"),
        {"old_password": "pw-rita", "new_password1": "Ganz-neu-2026", "new_password2": "Ganz-neu-2026"},
    )
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    assert User.objects.get(pk=org.rita.pk).check_password("Ganz-neu-2026")


def test_old_password_guesses_are_throttled(org, login, settings):
    """A stolen session cannot guess the old password faster than the sign-in page allows."""
    settings.LOGIN_FAILURE_LIMIT = 3
    client = login(org.rita)
    for _ in range(3):
        client.post(
            reverse("password_change"),
            {"old_password": "guess", "new_password1": "Ganz-neu-2026", "new_password2": "Ganz-neu-2026"},
        )
    refused = client.post(
        reverse("password_change"),
        {"old_password": "pw-rita", "new_password1": "Ganz-neu-2026", "new_password2": "Ganz-neu-2026"},
    )
    assert refused.status_code == 200 and "Too many failed sign-in attempts" in refused.content.decode()
    assert User.objects.get(pk=org.rita.pk).check_password("pw-rita")


def test_admin_own_password_change_is_throttled(org, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    client.force_login(org.ada)
    url = reverse("admin:password_change")
    for _ in range(2):
        client.post(
            url, {"old_password": "guess", "new_password1": "Ganz-neu-2026", "new_password2": "Ganz-neu-2026"}
        )
    refused = client.post(
        url, {"old_password": "pw-ada", "new_password1": "Ganz-neu-2026", "new_password2": "Ganz-neu-2026"}
    )
    assert refused.status_code == 200 and "Too many failed sign-in attempts" in refused.content.decode()
    assert User.objects.get(pk=org.ada.pk).check_password("pw-ada")


def test_admin_sets_a_users_password(org, client):
    """The admin's "set password" path: the user change page links to the password form."""
    client.force_login(org.ada)
    change = client.get(reverse("admin:core_user_change", args=[org.rita.pk]))
    url = reverse("admin:auth_user_password_change", args=[org.rita.pk])
    assert change.status_code == 200 and "password/" in change.content.decode()
    response = client.post(url, {"password1": "Ganz-neu-2026", "password2": "Ganz-neu-2026"})
    assert response.status_code == 302
    assert User.objects.get(pk=org.rita.pk).check_password("Ganz-neu-2026")


def test_changepassword_command_sets_a_password(org, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "Ganz-neu-2026")
    call_command("changepassword", "rita", stdout=io.StringIO())
    assert User.objects.get(pk=org.rita.pk).check_password("Ganz-neu-2026")
