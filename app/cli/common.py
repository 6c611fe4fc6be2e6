"""What the command groups share: how a command says it failed, the type of a file it
writes, and how it may ask the console script to end without Python's teardown."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import NoReturn

import click

__all__ = ["OutputFile", "fail", "leave_without_teardown", "os_reason", "teardown_skipped",
           "write_whole"]

OS_REASONS = {
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota de disque atteint",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "c'est un dossier",
}
"""The system's reasons a command's file could not be written, in French."""


def os_reason(error: OSError) -> str:
    """Why the system refused a file, in French when the error is a common one."""
    return OS_REASONS.get(error.errno, error.strerror or str(error))


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


def write_whole(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) beside ``path``, then put it in place: the
    file appears whole or not at all, and one it replaces stays whole if writing fails. A
    failure ends the command with its reason."""
    target = Path(path)
    partial = target.with_name(target.name + ".partiel")
    try:
        partial.write_text(text, encoding="utf-8", newline="")
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        fail(f"Erreur — {target} : écriture impossible ({os_reason(error)}) ; rien n'est "
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
