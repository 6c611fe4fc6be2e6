"""Secret key and session cookie settings (CSRF is tested on each form's own page)."""

import stat

from app import create_app
from app.db import EXTENSION


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
    app = _app(tmp_path, SECRET_KEY="défini-par-l-exploitant")
    assert app.config["SECRET_KEY"] == "défini-par-l-exploitant"
    assert not (tmp_path / "instance" / "secret_key").exists()
    app.extensions[EXTENSION].dispose()


def test_session_cookie_is_secure_by_default(tmp_path):
    app = _app(tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    app.extensions[EXTENSION].dispose()
