"""Accounts and login: hashing, one answer for every bad login, CSRF, redirects, roles,
logout, the session cookie, and the login attempts' rate limit, on both backends."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.access import (
    MIN_PASSWORD_LENGTH,
    AccountError,
    authenticate,
    create_user,
    disable_user,
    local_path,
    role_required,
    update_user,
)
from app.db import EXTENSION
from geodata.storage.models import User
from tests.app.conftest import CSRF, PASSWORD, csrf_token

HISTORY = "/instruction/historique"


def engine_of(app):
    return app.extensions[EXTENSION]


def post_login(client, email: str, password: str, **data):
    token = csrf_token(client)
    return client.post("/connexion", data={"email": email, "password": password,
                                           "csrf_token": token, **data})


def logged_in(client) -> bool:
    """True when the history (login required) opens instead of redirecting to the login."""
    return client.get(HISTORY).status_code == 200


def test_password_is_stored_hashed_and_verified(engine):
    user = create_user(engine, "  Claire.Martin@ANCT.gouv.fr ", PASSWORD, "instructor")
    with engine.connect() as connection:
        stored = connection.execute(select(User.email, User.password_hash)).one()
    assert stored.email == "claire.martin@anct.gouv.fr"
    assert PASSWORD not in stored.password_hash and stored.password_hash.startswith("scrypt:")
    assert authenticate(engine, "CLAIRE.MARTIN@anct.gouv.fr", PASSWORD).id == user.id
    assert authenticate(engine, "claire.martin@anct.gouv.fr", PASSWORD + "!") is None
    # same password, another account: another salt, another hash
    create_user(engine, "autre@anct.gouv.fr", PASSWORD, "ministry")
    with engine.connect() as connection:
        hashes = connection.scalars(select(User.password_hash)).all()
    assert len(set(hashes)) == 2


@pytest.mark.parametrize(("email", "password", "role", "message"), [
    ("a@anct.gouv.fr", "x" * (MIN_PASSWORD_LENGTH - 1), "instructor", "trop court"),
    ("a@anct.gouv.fr", PASSWORD, "superuser", "rôle inconnu"),
    ("pas-une-adresse", PASSWORD, "instructor", "adresse électronique invalide"),
])
def test_bad_accounts_are_refused(engine, email, password, role, message):
    with pytest.raises(AccountError, match=message):
        create_user(engine, email, password, role)
    with engine.connect() as connection:
        assert connection.scalar(select(User.id)) is None


def test_an_email_has_one_account(engine):
    create_user(engine, "a@anct.gouv.fr", PASSWORD, "instructor")
    with pytest.raises(AccountError, match="existe déjà"):
        create_user(engine, "A@anct.gouv.fr", PASSWORD, "admin")


def test_the_database_refuses_an_unknown_role(engine):
    row = {"email": "x@y.fr", "name": "x", "role": "superuser", "password_hash": "h",
           "active": True, "created_at": datetime.now(UTC)}
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(User).values(**row))


def test_wrong_password_and_unknown_email_get_the_same_answer(app, client):
    create_user(engine_of(app), "inst@anct.gouv.fr", PASSWORD, "instructor")
    wrong = post_login(client, "inst@anct.gouv.fr", "pas le bon mot de passe")
    unknown = post_login(client, "personne@anct.gouv.fr", PASSWORD)
    for answer in (wrong, unknown):
        assert answer.status_code == 200 and 'role="alert"' in answer.text
        assert "Identifiants incorrects" in answer.text
    assert (CSRF.sub("", wrong.text).replace("inst@", "X@")
            == CSRF.sub("", unknown.text).replace("personne@", "X@"))
    assert not logged_in(client)


def test_a_disabled_account_cannot_log_in_and_is_logged_out(app, client, login):
    create_user(engine_of(app), "parti@anct.gouv.fr", PASSWORD, "instructor")
    disable_user(engine_of(app), "parti@anct.gouv.fr")
    assert "Identifiants incorrects" in post_login(client, "parti@anct.gouv.fr", PASSWORD).text
    assert not logged_in(client)

    email = login(client)
    assert logged_in(client)
    disable_user(engine_of(app), email)
    assert not logged_in(client)


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app, client, login):
    email = login(client)
    assert logged_in(client)
    update_user(engine_of(app), email, active=True)  # no new password: the session stays
    assert logged_in(client)
    update_user(engine_of(app), email, password="un tout autre mot de passe")
    assert not logged_in(client)
    assert "Identifiants incorrects" in post_login(client, email, PASSWORD).text
    post_login(client, email, "un tout autre mot de passe")
    assert logged_in(client)


def test_login_without_csrf_token_is_refused(app, client):
    create_user(engine_of(app), "inst@anct.gouv.fr", PASSWORD, "instructor")
    answer = client.post("/connexion", data={"email": "inst@anct.gouv.fr",
                                             "password": PASSWORD})
    assert answer.status_code == 400 and "Formulaire expiré" in answer.text
    assert not logged_in(client)


def test_login_goes_to_a_local_next_page(app, client):
    create_user(engine_of(app), "inst@anct.gouv.fr", PASSWORD, "instructor")
    answer = post_login(client, "inst@anct.gouv.fr", PASSWORD, next="/verifier?lon=5&lat=43")
    assert answer.status_code == 302 and answer.headers["Location"] == "/verifier?lon=5&lat=43"


@pytest.mark.parametrize("target", [
    "https://malveillant.example/vol", "//malveillant.example/vol", "/\\malveillant.example",
    "javascript:alert(1)", "/\t/malveillant.example", "malveillant.example", "",
])
def test_login_refuses_to_redirect_elsewhere(app, client, target):
    create_user(engine_of(app), "inst@anct.gouv.fr", PASSWORD, "instructor")
    answer = post_login(client, "inst@anct.gouv.fr", PASSWORD, next=target)
    assert answer.status_code == 302 and answer.headers["Location"] == HISTORY
    assert local_path(target) is None


def test_anonymous_visitor_is_sent_to_the_login_page_and_back(app, client):
    answer = client.get(f"{HISTORY}?page=2")
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/connexion"
    assert parse_qs(location.query) == {"next": [f"{HISTORY}?page=2"]}
    login_page = client.get(answer.headers["Location"])
    assert 'name="next" value="/instruction/historique?page=2"' in login_page.text
    create_user(engine_of(app), "inst@anct.gouv.fr", PASSWORD, "instructor")
    back = post_login(client, "inst@anct.gouv.fr", PASSWORD, next=f"{HISTORY}?page=2")
    assert back.headers["Location"] == f"{HISTORY}?page=2"


def test_roles_open_pages_and_admins_open_every_page(app, login):
    app.add_url_rule("/essai-ministere", "essai_ministere",
                     role_required("ministry")(lambda: "page du ministère"))
    visitors = {role: app.test_client() for role in ("instructor", "ministry", "admin")}
    for role, client in visitors.items():
        login(client, role)
    refused = visitors["instructor"].get("/essai-ministere")
    assert refused.status_code == 403
    assert "Accès refusé" in refused.text and "« ministère »" in refused.text
    assert "« instruction »" in refused.text
    for role in ("ministry", "admin"):
        assert visitors[role].get("/essai-ministere").text == "page du ministère"
    assert app.test_client().get("/essai-ministere").status_code == 302
    with pytest.raises(ValueError, match="rôle inconnu"):
        role_required("superuser")


def test_logout_is_a_post_with_its_csrf_token(client, login):
    login(client)
    assert client.get("/deconnexion").status_code == 405
    assert client.post("/deconnexion").status_code == 400  # no CSRF token
    assert logged_in(client)
    token = csrf_token(client, HISTORY)  # the header's logout form
    answer = client.post("/deconnexion", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert "Vous êtes déconnecté(e)" in client.get("/").text
    assert not logged_in(client)


def test_header_shows_login_or_the_account(client, login):
    anonymous = client.get("/verifier?lon=5&lat=43").text
    assert 'href="/connexion?next=/verifier?lon%3D5%26lat%3D43"' in anonymous
    assert "Se connecter" in anonymous
    assert "Se déconnecter" not in anonymous
    email = login(client)
    page = client.get("/verifier").text
    assert email in page and "Se déconnecter" in page and f'href="{HISTORY}"' in page
    assert 'action="/deconnexion"' in page and "Se connecter</a>" not in page


def test_session_cookie_is_secure_httponly_lax_and_permanent(app, login):
    client = app.test_client()
    login(client, base_url="https://localhost")
    cookie = client.get_cookie("session", domain="localhost")
    assert cookie is not None and cookie.secure and cookie.http_only
    assert cookie.same_site == "Lax" and cookie.expires is not None
    lifetime = app.permanent_session_lifetime.total_seconds()
    assert abs(cookie.expires.timestamp() - time.time() - lifetime) < 600
    assert client.get(HISTORY, base_url="https://localhost").status_code == 200


def test_session_set_cookie_header_has_the_flags(app):
    create_user(engine_of(app), "inst@anct.gouv.fr", PASSWORD, "instructor")
    client = app.test_client()
    base = "https://localhost"
    token = csrf_token(client, base_url=base)
    answer = client.post("/connexion", base_url=base, headers={"Referer": f"{base}/connexion"},
                         data={"email": "inst@anct.gouv.fr", "password": PASSWORD,
                               "csrf_token": token})
    assert answer.status_code == 302
    header = next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith("session="))
    flags = [part.strip() for part in header.split(";")]
    assert "Secure" in flags and "HttpOnly" in flags and "SameSite=Lax" in flags
    assert any(flag.startswith("Expires=") for flag in flags)


def test_login_starts_a_new_session(client, login):
    with client.session_transaction() as session:
        session["posé-avant"] = "par un tiers"
    before = csrf_token(client)
    login(client)
    with client.session_transaction() as session:
        assert "posé-avant" not in session and "_user_id" in session
    assert csrf_token(client, HISTORY) != before


def test_a_login_expires_after_the_session_lifetime(app, client, login):
    login(client)
    assert logged_in(client)
    lifetime = app.permanent_session_lifetime.total_seconds()
    with client.session_transaction() as session:
        session["login_at"] -= lifetime + 1
    assert not logged_in(client)


def test_pages_with_accounts_are_not_cached(client, login):
    assert client.get("/connexion").headers["Cache-Control"] == "no-store"
    login(client)
    assert client.get(HISTORY).headers["Cache-Control"] == "no-store"


def _limited_app(database_url, tmp_path, **settings):
    return create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
                       "DATABASE_URL": database_url, **settings})


def test_login_attempts_are_limited_per_client(database_url, tmp_path):
    app = _limited_app(database_url, tmp_path, LOGIN_RATELIMIT="3/minute")
    client = app.test_client()
    token = csrf_token(client)
    answers = [client.post("/connexion", data={"email": "x@y.fr", "password": "mauvais",
                                               "csrf_token": token}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "Trop de tentatives" in answers[-1].text
    assert client.get("/connexion").status_code == 200  # only POST is limited
    other = app.test_client()
    elsewhere = {"REMOTE_ADDR": "10.0.0.2"}
    token = csrf_token(other, environ_base=elsewhere)
    answer = other.post("/connexion", environ_base=elsewhere,
                        data={"email": "x@y.fr", "password": "mauvais", "csrf_token": token})
    assert answer.status_code == 200  # another client is not limited
    engine_of(app).dispose()


def test_no_login_limit_when_rate_limits_are_off(database_url, tmp_path):
    app = _limited_app(database_url, tmp_path, LOGIN_RATELIMIT="3/minute", RATELIMIT="off")
    client = app.test_client()
    token = csrf_token(client)
    statuses = {client.post("/connexion", data={"email": "x@y.fr", "password": "mauvais",
                                                "csrf_token": token}).status_code
                for _ in range(5)}
    assert statuses == {200}
    engine_of(app).dispose()
