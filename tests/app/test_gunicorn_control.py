"""gunicorn's control socket (``gunicornc``) lies in each instance's folder
(``app.gunicorn_conf.control_socket``): two instances started by one user each answer on
their own socket, where the default ``~/.gunicorn/gunicorn.ctl`` went to the last started.
Real gunicorn arbiters on the embedded default, asked with gunicorn's own control client."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gunicorn.ctl.client import ControlClient

from app import create_app
from app.gunicorn_conf import instance_folder
from tests.app.test_carte_cache import free_port
from tests.support import close_app

GUARD_S = 120
"""A guard against a server that never starts, not a speed claim."""


def test_the_instance_folder_is_the_one_the_application_uses(monkeypatch, tmp_path):
    for given in (None, tmp_path / "ailleurs"):
        if given is None:
            monkeypatch.delenv("FABRIQUES_INSTANCE_PATH", raising=False)
        else:
            monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(given))
        app = create_app(web=False)
        try:
            assert instance_folder() == app.instance_path
        finally:
            close_app(app)


@pytest.fixture
def start(tmp_path):
    """``start(name) -> (process, instance folder)``: gunicorn on its own instance folder
    and its own embedded database; stopped after the test."""
    started = []

    def run(name: str) -> tuple[subprocess.Popen, Path]:
        instance = tmp_path / name
        env = {**os.environ, "FABRIQUES_INSTANCE_PATH": str(instance),
               "FABRIQUES_RATELIMIT": "off"}
        env.pop("FABRIQUES_DATABASE_URL", None)  # the embedded default, in the instance
        process = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "gunicorn"),
             "--config", "python:app.gunicorn_conf", "--bind", f"127.0.0.1:{free_port()}",
             "--workers", "1", "--log-level", "warning", "app:create_app()"],
            env=env, stderr=subprocess.DEVNULL)
        started.append(process)
        deadline = time.monotonic() + GUARD_S
        while not (instance / "gunicorn.ctl").exists():
            assert process.poll() is None, "gunicorn s'est arrêté"
            assert time.monotonic() < deadline, "pas de socket de contrôle"
            time.sleep(0.1)
        return process, instance

    yield run
    for process in started:
        process.terminate()
        process.wait(timeout=60)


def test_each_instance_answers_on_its_own_control_socket(start):
    first, first_folder = start("premiere")
    second, second_folder = start("seconde")
    for process, folder in ((first, first_folder), (second, second_folder)):
        with ControlClient(str(folder / "gunicorn.ctl"), timeout=30) as client:
            assert client.send_command("show stats")["pid"] == process.pid
