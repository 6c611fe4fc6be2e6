"""Imports flow one way: the domain and the loaders never pull Flask in."""

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
    ],
)
def test_module_does_not_import(module, forbidden):
    code = f"import sys, {module}; print(','.join(m for m in {forbidden!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
