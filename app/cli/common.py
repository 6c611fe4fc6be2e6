"""What the command groups share: how a command says it failed, and how it may ask the
console script to end without Python's teardown."""

from __future__ import annotations

from typing import NoReturn

import click

__all__ = ["fail", "leave_without_teardown", "teardown_skipped"]

_skip_teardown = False


def fail(message: str, status: int = 1) -> NoReturn:
    """Say what went wrong on standard error (« Erreur — … »), then exit with ``status``."""
    click.echo(message, err=True)
    raise SystemExit(status)


def leave_without_teardown() -> None:
    """Have the console script (``app.cli.main``) end, once this command has succeeded,
    without Python's teardown of its modules: ``fabriques classify`` holds an index of some
    hundred thousand geometries and arrays, whose freeing one by one held the prompt back
    about 0.35 s after a million rows were written. The exit handlers still run (logs
    flushed); a command run in-process (tests, ``CliRunner``) is not affected."""
    global _skip_teardown
    _skip_teardown = True


def teardown_skipped() -> bool:
    """Whether a command asked for ``leave_without_teardown``."""
    return _skip_teardown
