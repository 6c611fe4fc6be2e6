"""Secret key (made once, whole, by workers starting together), session cookie settings, the
security headers of every response and the trusted proxies (CSRF is tested on each form's
own page)."""

import multiprocessing
import re
import stat
from pathlib import Path

import pytest
from flask import request

import app as app_package
from app import create_app
from app.db import EXTENSION
from app.security import INLINE_HANDLERS, content_security_policy
from maps.base import with_nonce


def _app(tmp_path, **extra):
    return create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", **extra})


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = _app(tmp_path)
    secret = tmp_path / "instance" / "secret_key"
    assert secret.exists()
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    second = _app(tmp_path)
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    for app in (first, second):
        app.extensions[EXTENSION].dispose()


def test_configured_secret_key_wins_and_no_file_is_written(tmp_path):
    app = _app(tmp_path, SECRET_KEY="défini-par-l-exploitant-et-assez-long-32")
    assert app.config["SECRET_KEY"] == "défini-par-l-exploitant-et-assez-long-32"
    assert not (tmp_path / "instance" / "secret_key").exists()
    app.extensions[EXTENSION].dispose()


def test_session_cookie_is_secure_by_default(tmp_path):
    app = _app(tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    app.extensions[EXTENSION].dispose()


# --- the secret key file, created once by processes starting together ---------------------

def _race_for_the_key(instance: str, barrier, keys) -> None:
    """One worker starting: wait for the others, then read (or create) the key. Making a key
    is slowed down, so that the others come while the first is writing its file."""
    import secrets
    import time

    from app.security import _instance_secret

    make_token = secrets.token_hex
    secrets.token_hex = lambda size: (time.sleep(0.3), make_token(size))[1]
    barrier.wait()
    try:
        keys.put(_instance_secret(instance))
    except Exception as error:  # noqa: BLE001 - reported to the test
        keys.put(f"erreur : {error!r}")


def test_workers_starting_together_all_get_the_same_key(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers = 6
    barrier, keys = context.Barrier(workers), context.Queue()
    instance = tmp_path / "instance"
    processes = [context.Process(target=_race_for_the_key, args=(str(instance), barrier, keys))
                 for _ in range(workers)]
    for process in processes:
        process.start()
    got = [keys.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert len(set(got)) == 1, got
    assert len(got[0]) == 64 and got[0] == (instance / "secret_key").read_text()
    assert [p.name for p in instance.iterdir()] == ["secret_key"]  # no draft left behind
    assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600


def test_an_empty_key_file_is_refused_with_the_way_out(tmp_path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="fichier de clé secrète vide .* supprimez-le"):
        _app(tmp_path)


# --- security headers ----------------------------------------------------------------------

def policy(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy, directive -> sources."""
    header = response.headers["Content-Security-Policy"]
    return {name: sources for name, *sources in
            (part.split() for part in header.split(";") if part.strip())}


@pytest.fixture
def client(tmp_path):
    app = _app(tmp_path, RATELIMIT="off")
    app.test_cli_runner().invoke(args=["db", "upgrade"])
    yield app.test_client()
    app.extensions[EXTENSION].dispose()


@pytest.mark.parametrize("path", ["/", "/carte", "/connexion", "/api/v1/policies",
                                  "/api/v1/inconnu", "/page-inconnue", "/static/fabriques.css"])
def test_every_response_carries_the_security_headers(client, path):
    with client.get(path) as answer:
        csp = policy(answer)
        assert csp["default-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
        for directive in ("script-src", "style-src"):
            assert csp[directive][0] == "'self'" and csp[directive][1].startswith("'nonce-")
            assert len(csp[directive]) == 2  # never 'unsafe-inline' nor another site
        assert csp["img-src"] == ["'self'", "data:"]
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in answer.headers  # plain http


def test_the_basemap_hook_adds_only_its_tile_host():
    extended = content_security_policy(["https://tuiles.exemple.fr"])
    assert extended["img-src"] == "'self' data: https://tuiles.exemple.fr"
    assert {k: v for k, v in extended.items() if k != "img-src"} == {
        k: v for k, v in content_security_policy().items() if k != "img-src"}


INLINE = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)


def test_inline_scripts_and_styles_of_a_map_page_carry_the_nonce(client):
    nonces = set()
    for _ in range(2):
        answer = client.get("/carte")
        nonce = policy(answer)["script-src"][1].removeprefix("'nonce-").rstrip("'")
        assert policy(answer)["style-src"][1] == f"'nonce-{nonce}'"
        elements = [attributes for _, attributes in INLINE.findall(answer.text)
                    if "src=" not in attributes]
        assert len(elements) >= 2  # the map's <style> (its header) and its <script>
        assert all(f'nonce="{nonce}"' in attributes for attributes in elements)
        nonces.add(nonce)
    assert len(nonces) == 2  # a new nonce for every response


TEMPLATES = sorted(Path(app_package.__file__).parent.glob("**/templates/*.html"))
HANDLER = re.compile(r"""\son[a-z]+\s*=\s*"([^"]*)\"""", re.IGNORECASE)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_inline_nothing_the_policy_refuses(template):
    text = template.read_text()
    for kind, attributes in INLINE.findall(text):
        data_block = kind == "script" and 'type="application/json"' in attributes
        if "src=" not in attributes and not data_block:
            assert 'nonce="{{ csp_nonce() }}"' in attributes, f"<{kind}{attributes}>"
    assert set(HANDLER.findall(text)) <= set(INLINE_HANDLERS)
    assert not re.search(r"\.header\s*\|\s*safe", text), "a map's header needs |nonced"


def test_hsts_only_over_https(client):
    assert client.get("/", base_url="https://localhost").headers[
        "Strict-Transport-Security"].startswith("max-age=31536000")
    # anyone can write X-Forwarded-Proto: without a trusted proxy it is not believed
    forged = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in forged.headers


def test_behind_a_trusted_proxy_https_and_the_client_come_from_the_proxy(tmp_path):
    app = _app(tmp_path, TRUSTED_PROXIES=1)
    app.add_url_rule("/qui", "qui", lambda: request.remote_addr)
    answer = app.test_client().get("/qui", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                                   headers={"X-Forwarded-For": "203.0.113.9",
                                            "X-Forwarded-Proto": "https"})
    assert answer.text == "203.0.113.9"
    assert "Strict-Transport-Security" in answer.headers
    app.extensions[EXTENSION].dispose()


@pytest.mark.parametrize("value", [-1, "deux", True, 1.5])
def test_a_bad_proxy_count_stops_the_start(tmp_path, value):
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        _app(tmp_path, TRUSTED_PROXIES=value)


def test_with_nonce_marks_inline_elements_only_once():
    fragment = '<style>#m {}</style><script src="/static/a.js"></script><script nonce="x">'
    assert with_nonce(fragment, "abc-_1") == (
        '<style nonce="abc-_1">#m {}</style><script nonce="abc-_1" src="/static/a.js">'
        '</script><script nonce="x">')
    with pytest.raises(ValueError, match="nonce invalide"):
        with_nonce(fragment, '"><script>')


def test_the_apis_keep_no_session_and_the_pages_do(client):
    """A page with a form signs its CSRF token into the session cookie, read back on the next
    page (``Vary: Cookie``); the JSON and OGC APIs neither read nor write that cookie, even
    when the client sends it."""
    form = client.get("/connexion")
    assert "session=" in form.headers.get("Set-Cookie", "")
    assert client.get_cookie("session") is not None
    again = client.get("/connexion")
    assert "Cookie" in again.headers.get("Vary", "")
    for path in ("/api/v1/eligibility?lon=5.3698&lat=43.2965", "/api/v1/policies", "/ogc",
                 "/ogc/collections"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "Cookie" not in answer.headers.get("Vary", ""), path
        assert "Set-Cookie" not in answer.headers, path
