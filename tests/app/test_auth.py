"""Accounts and login: hashing, one answer for every bad login, CSRF, redirects, roles,
logout (which ends a copied session too), the session cookie, and the failed logins' limit
(per client and per account, shared by every worker through the database), on both
backends."""

from __future__ import annotations

import html
import time
from datetime import UTC, datetime, timedelta
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
from geodata.storage.accounts import (
    count_login_attempts,
    forget_login_attempt,
    record_login_attempt,
)
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
    assert "(jeton de sécurité absent)" in html.unescape(answer.text)
    assert "CSRF" not in answer.text  # Flask-WTF's reason was quoted in English
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
    assert answer.status_code == 302 and answer.headers["Location"] == "/instruction/dossiers"
    assert local_path(target) is None


@pytest.mark.parametrize(("role", "landing"), [
    ("instructor", "/instruction/dossiers"), ("prefecture", "/instruction/dossiers"),
    ("ministry", "/tableau-de-bord"), ("admin", "/instruction/dossiers")])
def test_a_login_leads_each_role_to_its_work(app, client, role, landing):
    """Every login led to the history of checks: « Accès refusé » for a prefecture."""
    create_user(engine_of(app), "agent@exemple.gouv.fr", PASSWORD, role,
                **({"departements": ["13"]} if role == "prefecture" else {}))
    answer = post_login(client, "agent@exemple.gouv.fr", PASSWORD)
    assert answer.status_code == 302 and answer.headers["Location"] == landing
    assert client.get(landing).status_code == 200


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
    assert "Accès refusé" in refused.text and "«\u00a0ministère\u00a0»" in refused.text
    assert "«\u00a0instruction\u00a0»" in refused.text
    for role in ("ministry", "admin"):
        assert visitors[role].get("/essai-ministere").text == "page du ministère"
    assert app.test_client().get("/essai-ministere").status_code == 302
    with pytest.raises(ValueError, match="rôle inconnu"):
        role_required("superuser")


def test_logout_is_a_post_with_its_csrf_token(client, login):
    email = login(client)
    welcome = " ".join(html.unescape(client.get("/").text).split())  # without « (e) »
    assert f"Connexion réussie : {email}." in welcome and "connecté(e)" not in welcome
    assert client.get("/deconnexion").status_code == 405
    assert client.post("/deconnexion").status_code == 400  # no CSRF token
    assert logged_in(client)
    token = csrf_token(client, HISTORY)  # the header's logout form
    answer = client.post("/deconnexion", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert "Déconnexion effectuée." in client.get("/").text
    assert not logged_in(client)


def test_logout_ends_a_copied_session_too(app, client, login):
    login(client)
    copied = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert logged_in(thief)  # the copy works while its owner is logged in
    client.post("/deconnexion", data={"csrf_token": csrf_token(client, HISTORY)})
    assert not logged_in(client)
    assert not logged_in(thief)
    other = app.test_client()
    other.set_cookie("session", copied)  # not even from a fresh browser
    assert not logged_in(other)


def test_logging_in_again_after_logout_works(app, client, login):
    email = login(client)
    client.post("/deconnexion", data={"csrf_token": csrf_token(client, HISTORY)})
    assert post_login(client, email, PASSWORD).status_code == 302
    assert logged_in(client)


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


def _limited_app(database_url, tmp_path, name="instance", **settings):
    return create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / name),
                       "DATABASE_URL": database_url, **settings})


def attempt(client, email: str, password: str = "mauvais", address: str = "127.0.0.1"):
    """One login attempt from ``address`` through the form (its CSRF token included)."""
    where = {"REMOTE_ADDR": address}
    token = csrf_token(client, environ_base=where)
    return client.post("/connexion", environ_base=where,
                       data={"email": email, "password": password, "csrf_token": token})


def test_failed_logins_are_limited_per_client(database_url, tmp_path):
    app = _limited_app(database_url, tmp_path, LOGIN_RATELIMIT="3/minute")
    client = app.test_client()
    answers = [attempt(client, f"x{n}@y.fr") for n in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "Trop de tentatives" in answers[-1].text
    assert answers[-1].headers["Retry-After"] in {"59", "60"}  # flask-limiter rounds down
    assert "patientez une minute" in answers[-1].text
    assert client.get("/connexion").status_code == 200  # only POST is limited
    answer = attempt(app.test_client(), "z@y.fr", address="10.0.0.2")
    assert answer.status_code == 200  # another client is not limited
    engine_of(app).dispose()


def test_failed_logins_are_limited_per_account_from_any_address(database_url, tmp_path):
    app = _limited_app(database_url, tmp_path, LOGIN_RATELIMIT="3/minute")
    create_user(engine_of(app), "cible@anct.gouv.fr", PASSWORD, "instructor")
    statuses = [attempt(app.test_client(), "Cible@ANCT.gouv.fr ", address=f"10.0.0.{n}")
                .status_code for n in range(1, 5)]
    assert statuses == [200, 200, 200, 429]
    # over the limit the password is not even checked: the right one is refused too
    client = app.test_client()
    assert attempt(client, "cible@anct.gouv.fr", PASSWORD, "10.0.0.9").status_code == 429
    assert not logged_in(client)
    assert attempt(client, "autre@anct.gouv.fr", address="10.0.0.9").status_code == 200
    engine_of(app).dispose()


def test_the_login_limit_holds_across_workers(database_url, tmp_path):
    """Two apps on one database are two gunicorn workers: they share the count."""
    workers = [_limited_app(database_url, tmp_path, f"worker-{n}", LOGIN_RATELIMIT="3/minute")
               for n in (1, 2)]
    clients = [worker.test_client() for worker in workers]
    statuses = [attempt(clients[n % 2], "x@y.fr").status_code for n in range(6)]
    assert statuses == [200, 200, 200, 429, 429, 429]
    for worker in workers:
        engine_of(worker).dispose()


def test_a_successful_login_is_not_counted(database_url, tmp_path):
    app = _limited_app(database_url, tmp_path, LOGIN_RATELIMIT="3/minute")
    create_user(engine_of(app), "inst@anct.gouv.fr", PASSWORD, "instructor")
    client = app.test_client()
    assert [attempt(client, "inst@anct.gouv.fr").status_code for _ in range(2)] == [200, 200]
    assert attempt(client, "inst@anct.gouv.fr", PASSWORD).status_code == 302
    assert logged_in(client)
    other = app.test_client()  # same address, not logged in
    assert attempt(other, "inst@anct.gouv.fr").status_code == 200  # third failure
    assert attempt(other, "inst@anct.gouv.fr").status_code == 429
    engine_of(app).dispose()


def test_an_absurd_email_is_counted_without_error(database_url, tmp_path):
    app = _limited_app(database_url, tmp_path, LOGIN_RATELIMIT="2/minute")
    client = app.test_client()
    email = "a" * 3000 + "@exemple.fr"
    statuses = [attempt(client, email, address="2001:db8::" + "f" * 200).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]
    engine_of(app).dispose()


def test_old_login_attempts_are_forgotten(engine):
    now = datetime.now(UTC)
    record_login_attempt(engine, "10.0.0.1", "A@b.fr", now - timedelta(hours=2),
                               forget_before=now - timedelta(days=1))
    assert count_login_attempts(engine, "10.0.0.1", "a@b.fr", now - timedelta(hours=3)) == (1, 1)
    assert count_login_attempts(engine, "10.0.0.1", "a@b.fr", now - timedelta(hours=1)) == (0, 0)
    new = record_login_attempt(engine, "10.0.0.2", "a@b.fr", now,
                               forget_before=now - timedelta(hours=1))  # drops the old one
    assert count_login_attempts(engine, "10.0.0.1", "a@b.fr", now - timedelta(hours=3)) == (0, 1)
    forget_login_attempt(engine, new)
    assert count_login_attempts(engine, "10.0.0.2", "a@b.fr", now - timedelta(hours=3)) == (0, 0)


def test_a_bad_login_limit_stops_the_start(database_url, tmp_path):
    with pytest.raises(ValueError, match="LOGIN_RATELIMIT illisible"):
        _limited_app(database_url, tmp_path, LOGIN_RATELIMIT="dix par minute")


def test_no_login_limit_when_rate_limits_are_off(database_url, tmp_path):
    app = _limited_app(database_url, tmp_path, LOGIN_RATELIMIT="3/minute", RATELIMIT="off")
    client = app.test_client()
    token = csrf_token(client)
    statuses = {client.post("/connexion", data={"email": "x@y.fr", "password": "mauvais",
                                                "csrf_token": token}).status_code
                for _ in range(5)}
    assert statuses == {200}
    engine_of(app).dispose()
