"""A form posted over plain HTTP to a service whose session cookie is ``Secure``: the
browser kept the cookie to itself, so the login failed with « Formulaire expiré … session
terminée ou cookies refusés », nothing in the log. The page says to use https://, the
operator's log names the setting."""

from __future__ import annotations

import logging
import re

import pytest

from app import create_app
from app.db import EXTENSION


@pytest.fixture
def secure_app(tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "RATELIMIT": "off"})
    yield app
    app.extensions[EXTENSION].dispose()


def login_form(app, base_url: str):
    """The login form as a browser sends it when it kept the session cookie to itself: the
    page's token, no cookie (another client fetched the page)."""
    page = app.test_client().get("/connexion", base_url=base_url).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return app.test_client().post("/connexion", base_url=base_url, data={
        "csrf_token": token, "email": "inst@anct.gouv.fr", "password": "x" * 12})


def test_a_login_over_plain_http_says_to_use_https(secure_app, caplog):
    with caplog.at_level(logging.WARNING, logger=secure_app.logger.name):
        answer = login_form(secure_app, "http://192.0.2.2:8000")
    text = " ".join(answer.text.split())
    assert answer.status_code == 400
    assert "Connexion chiffrée nécessaire" in text and "https://" in text
    assert "Formulaire expiré" not in text
    assert "FABRIQUES_SESSION_COOKIE_SECURE" not in text  # the setting is the operator's
    said = [record.getMessage() for record in caplog.records]
    assert any("FABRIQUES_SESSION_COOKIE_SECURE" in line and "/connexion" in line
               for line in said)


@pytest.mark.parametrize("base_url", ["https://192.0.2.2", "http://192.0.2.2:8000",
                                      "http://localhost:5000", "http://127.0.0.1:5000",
                                      "http://[::1]:5000"])
def test_an_expired_form_stays_an_expired_form(tmp_path, secure_app, base_url):
    """Over HTTPS the missing session is an expired one; over HTTP with a cookie that is not
    ``Secure`` (a local trial), too; and on a loopback address, where browsers send a
    ``Secure`` cookie over HTTP."""
    if base_url == "http://192.0.2.2:8000":
        secure_app.config["SESSION_COOKIE_SECURE"] = False
    answer = login_form(secure_app, base_url)
    assert answer.status_code == 400 and "Formulaire expiré" in answer.text
