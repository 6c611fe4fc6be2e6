"""Code shape: no module over 400 lines, no function over 60 lines.

A module counts its newlines; a function counts from its ``def`` to its last line, decorators
excluded (nested functions count on their own too). Migrations are left out (history,
written once); benchmarks may keep long functions (a scenario reads best top to bottom) but
not long modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "geodata", "loaders", "maps", "bench", "tests")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
LONG_FUNCTIONS_ALLOWED = ("bench",)


def _python_files() -> list[Path]:
    """Every ``.py`` below the packages, migrations folders excepted."""
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


def _functions(source: str) -> list[tuple[int, str, int]]:
    """``(line, name, lines)`` of every function of ``source``, from ``def`` to its end."""
    return [
        (node.lineno, node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def _where(path: Path, line: int) -> str:
    """``path:line``, the path relative to the repository."""
    return f"{path.relative_to(ROOT).as_posix()}:{line}"


def test_a_function_counts_from_its_def_to_its_last_line():
    source = "@first\n@second\ndef outer():\n    def inner():\n        pass\n\n    return 1\n"
    assert sorted(_functions(source)) == [(3, "outer", 5), (4, "inner", 2)]


def test_the_walk_finds_every_package_but_no_migration():
    files = _python_files()
    assert {path.relative_to(ROOT).parts[0] for path in files} == set(PACKAGES)
    assert not any("migrations" in path.parts for path in files)


def test_no_module_is_too_long():
    offenders = [
        f"{_where(path, 1)} ({lines} lignes)"
        for path in _python_files()
        if (lines := path.read_bytes().count(b"\n")) > MAX_MODULE_LINES
    ]
    assert not offenders, f"modules de plus de {MAX_MODULE_LINES} lignes : {offenders}"


def test_no_function_is_too_long():
    offenders = [
        f"{_where(path, line)} {name} ({lines} lignes)"
        for path in _python_files()
        if path.relative_to(ROOT).parts[0] not in LONG_FUNCTIONS_ALLOWED
        for line, name, lines in _functions(path.read_text(encoding="utf-8"))
        if lines > MAX_FUNCTION_LINES
    ]
    assert not offenders, f"fonctions de plus de {MAX_FUNCTION_LINES} lignes : {offenders}"
