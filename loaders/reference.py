"""The registry's reference file of a source, that another file of the source is compared with.

The registry pins each source's file by its SHA-256 (``Source.sha256``): that file, in the
shared data folder, is the reference. A file of the same source that is not it (another
export, a copy edited by hand, a file cut or tampered with) must agree with it on what
decides verdicts: the QPV outlines (``loaders.qpv_extent``), the class of each commune
(``loaders.classes``), the communes listed and outlined (``loaders.admin``): the same
codes, none more or fewer. A file's name, or the source it is loaded under, proves nothing.
"""

from __future__ import annotations

from pathlib import Path

from loaders.claims import Proof, examples, number
from loaders.read import file_checksum
from loaders.registry import Source
from loaders.registry.source import default_data_dir

__all__ = ["is_reference_file", "reference_at_hand", "same_codes"]


def is_reference_file(source: Source, path: Path) -> bool:
    """``path`` is the source's reference file (its checksum is the registry's)."""
    return source.sha256 is not None and file_checksum(path) == f"sha256:{source.sha256}"


def reference_at_hand(source: Source, vintage: str) -> Path | None:
    """The source's reference file in the shared data folder, when it is there unchanged
    and of the ``vintage`` loaded (another vintage is another list)."""
    if source.sha256 is None or vintage != source.vintage:
        return None
    reference = source.local_path(default_data_dir())
    if not reference.is_file() or file_checksum(reference) != f"sha256:{source.sha256}":
        return None
    return reference


def same_codes(what: str, codes: set[str], expected: set[str], *,
               extract_is_partial: bool = False) -> Proof:
    """The file's ``codes`` are the reference file's ``expected``: those in excess contradict
    it, and those missing too, or, with ``extract_is_partial``, leave it partial (an extract
    of the communes' outlines is a partial layer, not a false one). ``what``: « commune(s) »,
    counted in the messages."""
    proof = Proof()
    missing, extra = sorted(expected - codes), sorted(codes - expected)
    if missing:
        shortfall = proof.unproven if extract_is_partial else proof.contradicted
        shortfall(f"{number(len(missing))} {what} du fichier de référence du registre "
                           f"absente(s) du fichier : {examples(missing)}")
    if extra:
        proof.contradicted(f"{number(len(extra))} {what} absente(s) du fichier de référence "
                           f"du registre : {examples(extra)}")
    if not missing and not extra:
        proof.verified.append(f"{number(len(codes))} {what}, les mêmes qu'au fichier de "
                              f"référence du registre")
    return proof
