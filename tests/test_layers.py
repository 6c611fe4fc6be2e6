"""Imports flow one way: the domain, the loaders and the map builders never pull Flask in."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("geodata.territories", ["flask", "sqlalchemy"]),
        ("geodata.spreadsheet", ["flask", "sqlalchemy"]),
        ("geodata.storage.models", ["flask"]),
        ("loaders.pipeline", ["flask"]),
        ("geodata.networks", ["flask", "sqlalchemy"]),
        ("geodata.coverage", ["flask", "sqlalchemy"]),
        ("maps.networks", ["flask", "sqlalchemy"]),
        ("maps.coverage", ["flask", "sqlalchemy"]),
        ("geodata.storage.networks", ["flask"]),
        ("loaders.networks", ["flask"]),
    ],
)
def test_module_does_not_import(module, forbidden):
    code = f"import sys, {module}; print(','.join(m for m in {forbidden!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
