"""The app built from a test mapping: its own instance folder and database, no environment;
and ``login``, which logs a new account in through the real login form."""

import itertools
import re

import pytest

from app.access import create_user
from app.db import EXTENSION
from tests.support import PASSWORD, close_app, make_app


@pytest.fixture
def app(database_url, tmp_path, data_dir):
    app = make_app(database_url, tmp_path / "instance", data_dir)
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/connexion", **request) -> str:
    """The CSRF token of the form a page shows (CSRF stays on in the tests)."""
    page = client.get(path, **request)
    found = CSRF.search(page.text)
    assert found, f"pas de jeton CSRF sur {path}"
    return found.group(1)


def followed(client, answer, location: str | None = None):
    """The page a refused form redirects to (303: « Précédent » and a reload do not send it
    again), opened; ``location``: where the redirection must lead."""
    assert answer.status_code == 303, f"{answer.status_code} au lieu d'une redirection 303"
    if location is not None:
        assert answer.location == location
    return client.get(answer.location)


@pytest.fixture
def login():
    """``login(client, role="instructor") -> email``: create an account in the client's
    database and log in through the real form (``POST /connexion``, CSRF token included)."""
    numbers = itertools.count(1)

    def log_in(client, role: str = "instructor", email: str | None = None,
               base_url: str = "http://localhost") -> str:
        email = email or f"{role}-{next(numbers)}@exemple.gouv.fr"
        create_user(client.application.extensions[EXTENSION], email, PASSWORD, role)
        headers = {"Referer": f"{base_url}/connexion"}  # checked by Flask-WTF over HTTPS
        token = csrf_token(client, base_url=base_url)
        answer = client.post("/connexion", base_url=base_url, headers=headers,
                             data={"email": email, "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 302, answer.text
        return email

    return log_in
