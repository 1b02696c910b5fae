"""The rhythm's hub page: every signed-in user reaches it from the navigation, in both languages."""

from django.urls import reverse


def test_hub_is_in_the_navigation_and_answers(client, org):
    client.force_login(org.rita)
    home = client.get(reverse("home"))
    assert b'data-testid="nav-rhythm"' in home.content
    page = client.get(reverse("rhythm_hub"))
    assert page.status_code == 200
    assert b'data-testid="rhythm-hub"' in page.content


def test_hub_needs_a_login(client, db):
    assert client.get(reverse("rhythm_hub")).status_code == 302
