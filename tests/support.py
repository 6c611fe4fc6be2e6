"""What several test packages share: the CI rule for a missing requirement, and the app built
from a test mapping (never the instance file nor the environment)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.db import EXTENSION, GEOCODER

__all__ = ["IN_CI", "close_app", "make_app", "unavailable"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str):
    """Skip the test locally; in CI a missing requirement is a failure."""
    if IN_CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def make_app(database_url: str, instance: Path, data_dir: Path, **settings) -> Flask:
    """The application on ``database_url``, its own instance folder, ``settings`` on top."""
    return create_app({"TESTING": True, "INSTANCE_PATH": str(instance),
                       "DATABASE_URL": database_url, "DATA_DIR": str(data_dir), **settings})


def close_app(app: Flask) -> None:
    """Release the app's database connections and geocoder session."""
    app.extensions[EXTENSION].dispose()
    app.extensions[GEOCODER].close()
