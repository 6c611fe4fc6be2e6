"""The app built from a test mapping: its own instance folder and database, no environment."""

import pytest

from app import create_app
from app.db import EXTENSION


@pytest.fixture
def app(database_url, tmp_path, data_dir):
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
    })
    yield app
    app.extensions[EXTENSION].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
