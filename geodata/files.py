"""Files written whole or not at all, and why the system refused one, in French.

Every file the service writes for someone to read later (a command's output, a publication,
a batch job's result and state, the kept index and map layers) is written beside its place,
then moved there with ``os.replace``: a reader sees the old file or the new one, never a
part, and a failure midway (disk full, a killed process) leaves the old one as it was. A
device or a named pipe (``-o /dev/null``, ``-o /dev/stdout``) is written through instead.

The file being written is ``.NAME.XXXXXXXX.partiel`` in the same folder (the same file
system, for the move): hidden, unique so that two writers never mix their parts, created with
the usual permissions (the umask's, where ``tempfile.mkstemp`` would give 0600 to a file the
team must read). A process killed while writing leaves it behind: ``leftovers`` finds them,
``remove_abandoned`` removes those old enough not to be a writer at work.
"""

from __future__ import annotations

import errno
import os
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

__all__ = ["ABANDONED_S", "OS_REASONS", "leftovers", "os_reason", "remove_abandoned",
           "write_all_whole", "write_whole", "written_whole"]

SUFFIX = ".partiel"
ABANDONED_S = 3600
"""Age after which a draft is taken as left by a writer killed midway (a younger one may be
a writer at work)."""

OS_REASONS = {
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota de disque atteint",
    errno.EFBIG: "fichier trop grand pour ce système de fichiers",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "c'est un dossier",
}
"""The system's common reasons for refusing a file, in French."""


def os_reason(error: OSError) -> str:
    """Why the system refused a file, in French when the error is a common one."""
    return OS_REASONS.get(error.errno, error.strerror or str(error))


@contextmanager
def written_whole(path: str | Path, binary: bool = False) -> Iterator[IO]:
    """A new file beside ``path``, open for writing (UTF-8 text, newlines as given, unless
    ``binary``); it takes the place of ``path`` when the block ends without error, and is
    removed when it ends with one, which goes through: ``path`` is then as it was."""
    target = Path(path)
    if _special(target):
        with open(target, "wb") if binary else open(target, "w", encoding="utf-8",
                                                       newline="") as handle:
            yield handle
        return
    draft = _draft_of(target)
    try:
        with _created(draft, binary) as handle:
            yield handle
        os.replace(draft, target)
    except BaseException:
        draft.unlink(missing_ok=True)
        raise


def write_whole(path: str | Path, content: str | bytes) -> None:
    """Write ``content`` (text in UTF-8, newlines as given) to ``path``, whole or not at all."""
    with written_whole(path, binary=isinstance(content, bytes)) as handle:
        handle.write(content)


def write_all_whole(contents: Mapping[Path, str | bytes]) -> None:
    """Write several files that go together: all are written and closed beside their places
    before any takes its place, so that a failure while writing leaves every previous file
    as it was. They then take their places in the order given, one rename after the other."""
    drafts: dict[Path, Path] = {}
    try:
        for path, content in contents.items():
            target = Path(path)
            drafts[target] = _draft_of(target)
            with _created(drafts[target], isinstance(content, bytes)) as handle:
                handle.write(content)
        for target, draft in drafts.items():
            os.replace(draft, target)
    except BaseException:
        for draft in drafts.values():
            draft.unlink(missing_ok=True)
        raise


def _special(target: Path) -> bool:
    """``/dev/null``, ``/dev/stdout``, a named pipe: written through, never replaced (run as
    root, the move put a plain file in place of ``/dev/null``, for every program)."""
    return target.exists() and not target.is_file() and not target.is_dir()


def _draft_of(target: Path) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}{SUFFIX}")


def _created(draft: Path, binary: bool) -> IO:
    """``draft`` opened as a new file (never an existing one), with the umask's permissions."""
    return open(draft, "xb") if binary else open(draft, "x", encoding="utf-8", newline="")


def leftovers(path: str | Path) -> Iterator[Path]:
    """The files that writers of ``path`` killed midway left behind (or a writer still at
    work: the caller judges by their age)."""
    target = Path(path)
    return target.parent.glob(f".{target.name}.*{SUFFIX}")


def remove_abandoned(path: str | Path, older_than_s: float = ABANDONED_S) -> None:
    """Remove the drafts of ``path`` left by writers killed midway, once older than
    ``older_than_s``; one that cannot be removed (gone meanwhile, not ours) is left."""
    limit = time.time() - older_than_s
    for draft in leftovers(path):
        try:
            if draft.stat().st_mtime < limit:
                draft.unlink()
        except OSError:
            continue
