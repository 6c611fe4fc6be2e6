"""A login's ``next`` page, judged by the roles its view accepts (``role_required``): a page
the account's role may not open leads to the role's own page, with a message saying why,
instead of the « Accès refusé » page."""

from __future__ import annotations

import html

import pytest

from app.access import create_user, may_open
from app.db import EXTENSION
from tests.app.conftest import csrf_token
from tests.support import PASSWORD

REFUSED = "n'est pas ouverte à votre compte\u00a0: voici votre page d'accueil."


def log_in(client, role: str, next_page: str):
    """Create an account of ``role`` and log in with ``next``; the login's answer."""
    create_user(client.application.extensions[EXTENSION], f"{role}@exemple.gouv.fr",
                PASSWORD, role, **({"departements": ["13"]} if role == "prefecture" else {}))
    return client.post("/connexion", data={
        "email": f"{role}@exemple.gouv.fr", "password": PASSWORD,
        "csrf_token": csrf_token(client), "next": next_page})


@pytest.mark.parametrize(("role", "next_page", "home"), [
    ("prefecture", "/tableau-de-bord?par=region", "/instruction/dossiers"),
    ("prefecture", "/instruction/historique", "/instruction/dossiers"),
    ("ministry", "/verifier/lot", "/tableau-de-bord"),
    ("ministry", "/instruction/dossiers/import", "/tableau-de-bord"),
])
def test_a_next_page_the_role_may_not_open_leads_home_with_a_message(
        client, role, next_page, home):
    answer = log_in(client, role, next_page)
    assert answer.status_code == 302 and answer.headers["Location"] == home
    page = client.get(home)
    assert page.status_code == 200
    text = html.unescape(page.text)
    path = next_page.partition("?")[0]
    assert f"La page demandée ({path}) {REFUSED}" in text
    assert "Accès refusé" not in text


@pytest.mark.parametrize(("role", "next_page"), [
    ("prefecture", "/instruction/dossiers?page=2"),
    ("prefecture", "/verifier?lon=5&lat=43"),  # a page open to everyone
    ("instructor", "/verifier/lot"),
    ("instructor", "/instruction/historique?page=2"),
    ("ministry", "/instruction/historique"),
    ("admin", "/tableau-de-bord"),
])
def test_a_next_page_the_role_may_open_still_leads_there(client, role, next_page):
    answer = log_in(client, role, next_page)
    assert answer.status_code == 302 and answer.headers["Location"] == next_page
    assert REFUSED not in html.unescape(client.get(next_page).text)


def test_an_unknown_next_page_is_left_to_its_404(client):
    answer = log_in(client, "prefecture", "/nulle-part?x=1")
    assert answer.headers["Location"] == "/nulle-part?x=1"
    assert REFUSED not in html.unescape(client.get("/instruction/dossiers").text)


def test_an_account_already_logged_in_is_sent_home_too(client):
    log_in(client, "prefecture", "/verifier")
    answer = client.get("/connexion?next=/tableau-de-bord")
    assert answer.headers["Location"] == "/instruction/dossiers"
    assert REFUSED in html.unescape(client.get("/instruction/dossiers").text)


def test_may_open_reads_the_roles_of_the_view(client):
    log_in(client, "prefecture", "/verifier")
    with client:
        client.get("/connexion")  # a request in the prefecture's session
        assert may_open("/tableau-de-bord") is False
        assert may_open("/tableau-de-bord/export.csv") is False
        assert may_open("/instruction/dossiers/12") is True
        assert may_open("/instruction/historique") is False  # GET: instructors, ministry
        assert may_open("/verifier") is True
        assert may_open("/tableau-de-bord/") is None  # no view there: its 404
        assert may_open("/nulle-part") is None
