"""What the command groups share: how a command says it failed, the type of a file it
writes, and how it may ask the console script to end without Python's teardown."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from geodata.files import os_reason, write_whole

__all__ = ["OutputFile", "fail", "leave_without_teardown", "teardown_skipped", "write_or_fail"]


class OutputFile(click.Path):
    """A file a command writes (« - » too, when ``allow_dash``): refused before any work when
    its folder does not exist, instead of a traceback once the work is done."""

    def __init__(self, allow_dash: bool = False, path_type: type | None = Path) -> None:
        super().__init__(dir_okay=False, writable=True, allow_dash=allow_dash,
                         path_type=path_type)

    def convert(self, value, param, ctx):
        path = super().convert(value, param, ctx)
        folder = Path(path).absolute().parent
        if str(path) != "-" and not folder.is_dir():
            self.fail(f"dossier introuvable : {folder}", param, ctx)
        return path


def write_or_fail(path: str | Path, text: str | bytes) -> None:
    """Write ``text`` (UTF-8, newlines as given; or bytes) to ``path`` whole or not at all
    (``geodata.files``); a failure ends the command with its reason."""
    try:
        write_whole(path, text)
    except OSError as error:
        fail(f"Erreur — {path} : écriture impossible ({os_reason(error)}) ; rien n'est "
             f"écrit, un fichier qui était là est intact.")


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
