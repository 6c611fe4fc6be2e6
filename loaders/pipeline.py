"""Load one source, or every source of the shared folder: read, validate, write, report.

``load_source`` is the single code path behind ``fabriques load DATASET`` and
``fabriques load demo``. A file whose checksum and vintage match the version in use is not
read again: the report says "inchangé" and the database is left as it is. The completeness
a source claims is proven against facts at load time (``loaders.claims``); loading one of
those facts proves again the QPV layers that were waiting for it (``loaders.qpv_proof``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from geodata.french import agreed
from geodata.storage.cache import forget_versions
from geodata.storage.reference import coverage_names
from loaders import admin, classes, laureates, places, qpv, qpv_proof
from loaders.claims import describe, minimum_rows_proof, official_counts_proof
from loaders.errors import LoadError
from loaders.fetch import is_url, retrieve
from loaders.read import file_checksum
from loaders.registry import Source, default_data_dir, get_source
from loaders.validate import Outcome
from loaders.write import Staged, current_version, write_staged

__all__ = ["STAGERS", "LoadReport", "load_source"]

Stager = Callable[[Source, Path, str], tuple[Staged, Outcome]]

STAGERS: dict[str, Stager] = {
    **admin.STAGERS,
    **classes.STAGERS,
    **qpv.STAGERS,
    **laureates.STAGERS,
    **places.STAGERS,
}
"""One stager per dataset: it reads and validates a file, and writes nothing."""


@dataclass
class LoadReport:
    """What a load did: loaded rows per table, geometry repairs, skipped rows and why."""

    source: str
    path: str
    vintage: str
    status: str  # "chargé" or "inchangé"
    loaded: dict[str, int] = field(default_factory=dict)
    repaired: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    version_id: int | None = None
    seconds: float = 0.0
    completeness: str | None = None  # what the version may claim, and why

    def summary(self) -> str:
        """The report in French, one paragraph per source."""
        if self.status == "inchangé":
            head = f"{self.source} ({self.vintage}) : inchangé, déjà chargé depuis ce fichier"
        else:
            tables = ", ".join(f"{n} {t}" for t, n in self.loaded.items()) or "aucune ligne"
            repaired = (f"{self.repaired} {agreed('géométrie(s) réparée(s)', self.repaired)} ; "
                        if self.repaired else "")
            head = (
                f"{self.source} ({self.vintage}) : chargé — {tables} ; {repaired}"
                f"{len(self.skipped)} {agreed('ignorée(s)', len(self.skipped))} "
                f"[{self.seconds:.1f} s]"
            )
        lines = [head]
        if self.completeness:
            lines.append(f"    complétude : {self.completeness}")
        reasons = Counter(reason for _, reason in self.skipped)
        for reason, count in reasons.most_common():
            examples = [w for w, r in self.skipped if r == reason][:3]
            lines.append(f"    {agreed('ignorée(s)', count)} : {count} × {reason} "
                         f"(ex. {', '.join(examples)})")
        lines.extend(f"    note : {note}" for note in self.notes)
        return "\n".join(lines)


def _check_vintage(source: Source, path_or_url: str | None, vintage: str | None) -> None:
    """A vintage given is that of another file than the registry's: a source's new version
    replaces the one in service, so the registry's file under another vintage (or a QPV
    vintage no policy reads) would take real data out of service."""
    if vintage is None or vintage == source.vintage:
        return
    if path_or_url is None:
        raise LoadError(f"le fichier du registre de {source.name} est du millésime "
                        f"{source.vintage} : --vintage {vintage} ne s'emploie qu'avec un autre "
                        "fichier, qui est de ce millésime")
    if source.dataset in ("qpv", "qpv-communes") and vintage not in qpv.QPV_CODE:
        raise LoadError(f"millésime de QPV inconnu : {vintage} (connus : "
                        f"{', '.join(qpv.QPV_CODE)})")


def _file_of(source, path_or_url: str | None, sha256: str | None,
             data_dir: str | Path | None, progress: bool) -> Path:
    """The file to load: downloaded from an http(s) URL, given, or the shared one."""
    if path_or_url and "://" in path_or_url and not is_url(path_or_url):
        raise LoadError("seules les adresses http(s) sont téléchargées", path=path_or_url)
    if path_or_url and is_url(path_or_url):
        return retrieve(path_or_url, known_hash=sha256 or source.sha256, progress=progress)
    return Path(path_or_url) if path_or_url else source.local_path(
        data_dir or default_data_dir())


def load_source(
    engine: Engine,
    name: str,
    path_or_url: str | None = None,
    *,
    vintage: str | None = None,
    sha256: str | None = None,
    data_dir: str | Path | None = None,
    force: bool = False,
    progress: bool = True,
) -> LoadReport:
    """Load one registered source from its shared file, another file, or a URL.

    A URL is downloaded and checked against ``sha256``, by default the registry's checksum; a
    local file given with ``sha256`` is checked against it too (a mismatch loads nothing).
    ``force`` loads a file that contradicts the facts its completeness is checked against,
    as partial, and records it (``loaders.claims``).
    """
    source = get_source(name)
    _check_vintage(source, path_or_url, vintage)
    vintage, notes = vintage or source.vintage, []
    path = _file_of(source, path_or_url, sha256, data_dir, progress)
    started = time.perf_counter()
    checksum = file_checksum(path)
    asked = f"sha256:{sha256.removeprefix('sha256:').lower()}" if sha256 else None
    if asked and checksum != asked:
        raise LoadError(f"somme de contrôle incorrecte : le fichier a {checksum}, la "
                        f"commande demande {asked}", path=str(path))
    if source.sha256 and checksum != f"sha256:{source.sha256}":
        notes.append(
            f"somme de contrôle {checksum[:19]}… différente de celle du registre "
            f"(sha256:{source.sha256[:12]}…) : ce n'est pas le fichier de référence"
        )
    with engine.connect() as connection:
        current = current_version(connection, source.name)
        said = current and describe(current.complete_for, coverage_names(connection))
    if current is not None and current.checksum == checksum and current.vintage == vintage:
        return LoadReport(source.name, str(path), vintage, "inchangé", notes=notes,
                          version_id=current.id, completeness=said)
    if current is not None and current.vintage != vintage:
        notes.append(f"cette version remplace celle du millésime {current.vintage} : les "
                     f"données {current.vintage} de la source « {source.name} » ne sont plus "
                     "servies")
    staged, outcome = STAGERS[source.dataset](source, path, vintage)
    loaded = {table: len(rows) for table, rows in staged.tables.items()}
    records = len(next(iter(staged.tables.values()), [])) + len(outcome.skipped)
    staged.proofs.append(lambda connection: minimum_rows_proof(source, records))
    staged.proofs.append(
        lambda connection: official_counts_proof(source, staged.tables, vintage))
    counts = {"loaded": loaded, "repaired": outcome.repaired, "skipped": len(outcome.skipped)}
    version_id, decision = write_staged(engine, source, staged, vintage=vintage,
                                        path=str(path), checksum=checksum, counts=counts,
                                        force=force, progress=progress)
    reconsidered = qpv_proof.reconsider(engine, source)
    forget_versions(engine)  # this process serves the new data at once
    return LoadReport(
        source.name, str(path), vintage, "chargé", loaded, outcome.repaired, outcome.skipped,
        notes + outcome.notes + decision.notes + reconsidered, version_id,
        time.perf_counter() - started, decision.completeness,
    )
