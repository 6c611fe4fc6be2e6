"""Imports flow one way (``docs/architecture.md``): the domain and the loaders never pull a web
framework in; ``app/`` reads the database only through ``geodata.storage`` functions; a room
of ``app/`` imports the core and the layers below it, never another room."""

import ast
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import app
import geodata

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
ROOMS = {path.parent.name for path in APP.glob("*/__init__.py")}
WIRING = {"app/__init__.py", "app/gunicorn_conf.py"}
"""Core modules that put the rooms together: the factory and the gunicorn hooks."""
SQL_TEXT = re.compile(r"(?<![\w.])text\(|sqlalchemy\.text\(|__table__")
SQLALCHEMY_IN_APP = {"Engine"}
"""What ``app/`` may take from SQLAlchemy: the type of the engine it hands to storage."""


def _imported_modules(code: str, forbidden: list[str]) -> list[str]:
    script = f"import sys\n{code}\nprint(','.join(m for m in {forbidden!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    return [name for name in result.stdout.strip().split(",") if name]


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("geodata.territories", ["flask", "sqlalchemy"]),
        ("geodata.spreadsheet", ["flask", "sqlalchemy"]),
        ("geodata.quotas", ["flask", "sqlalchemy"]),
        ("geodata.quota_report", ["flask", "sqlalchemy"]),
        ("maps.charts", ["flask", "sqlalchemy"]),
        ("geodata.fabriques", ["flask", "sqlalchemy"]),
        ("geodata.geometry", ["flask", "sqlalchemy"]),
        ("geodata.storage.models", ["flask"]),
        ("loaders.pipeline", ["flask", "werkzeug"]),
        ("geodata.networks", ["flask", "sqlalchemy"]),
        ("geodata.coverage", ["flask", "sqlalchemy"]),
        ("maps.networks", ["flask", "sqlalchemy"]),
        ("maps.coverage", ["flask", "sqlalchemy"]),
        ("geodata.storage.networks", ["flask"]),
        ("loaders.networks", ["flask"]),
    ],
)
def test_module_does_not_import(module, forbidden):
    assert _imported_modules(f"import {module}", forbidden) == []


def test_no_geodata_module_imports_flask_or_werkzeug():
    names = sorted(info.name for info in pkgutil.walk_packages(geodata.__path__, "geodata.")
                   if ".migrations" not in info.name)
    assert "geodata.storage.cache" in names and len(names) > 20
    code = "\n".join(f"import {name}" for name in names)
    assert _imported_modules(code, ["flask", "werkzeug"]) == []


def _app_modules() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names, line) of every import statement of a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append((node.module or "", [alias.name for alias in node.names],
                          node.lineno))
    return found


def test_app_reads_the_database_only_through_storage_functions():
    assert len(_app_modules()) > 30
    offences = []
    for path in _app_modules():
        name = path.relative_to(ROOT)
        if SQL_TEXT.search(path.read_text(encoding="utf-8")):
            offences.append(f"{name}: SQL text or a table's query")
        for module, names, line in _imports(path):
            if module == "sqlalchemy" and set(names) - SQLALCHEMY_IN_APP:
                offences.append(f"{name}:{line} from sqlalchemy import {', '.join(names)}")
            elif module.startswith("sqlalchemy.") or (module == "sqlalchemy" and not names):
                offences.append(f"{name}:{line} import {module}")
    assert offences == []


def _room_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "app" and parts[1] in ROOMS else None


def test_rooms_import_the_core_never_another_room():
    assert {"verifier", "carte", "reseaux", "comptes", "instruction", "tableau_de_bord",
            "api", "cli", "accueil"} <= ROOMS
    offences = []
    for path in _app_modules():
        name = str(path.relative_to(ROOT))
        own = path.relative_to(APP).parts[0] if len(path.relative_to(APP).parts) > 1 else None
        for module, names, line in _imports(path):
            targets = [module] if module != "app" else [f"app.{n}" for n in names]
            for target in targets:
                room = _room_of(target)
                if room is not None and room != own and name not in WIRING:
                    offences.append(f"{name}:{line} imports {target}")
    assert offences == []


def test_the_factory_registers_every_room():
    assert {room.__name__.split(".")[1] for room in app.rooms()} == ROOMS - {"cli"}
