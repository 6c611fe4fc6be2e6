"""The registry's reference file of a source, that another file of the source is compared with.

The registry pins each source's file by its SHA-256 (``Source.sha256``): that file, in the
shared data folder, is the reference. A file of the same source that is not it (another
export, a copy edited by hand, a file cut or tampered with) must agree with it on what
decides verdicts: the QPV outlines (``loaders.qpv_extent``), the class of each commune
(``loaders.classes``), the communes listed and outlined (``loaders.admin``: the same codes,
and each outline the same ground within ``OUTLINE_TOLERANCE_M``), the official list of the
QPV's communes, the laureates. A file's name, or the source it is loaded under, proves
nothing.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from geodata.french import agreed
from loaders.claims import Proof, examples, number
from loaders.placement import outlines_apart
from loaders.read import file_checksum
from loaders.registry import Source, get_source
from loaders.registry.source import default_data_dir
from loaders.write import Staged

__all__ = ["compare_with_reference", "is_reference_file", "reference_at_hand",
           "reference_to_compare", "same_codes"]

OUTLINE_TOLERANCE_M = 20.0
"""How far (m) a commune's outline may lie from the reference's: its drawing, generalised
or rounded, moves its edges by a few metres."""


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


def reference_to_compare(source: Source, path: Path, vintage: str) -> Path | None:
    """The reference file ``path`` must be compared with: None when it is not at hand, or
    when ``path`` is that file."""
    reference = reference_at_hand(source, vintage)
    return None if reference is None or is_reference_file(source, path) else reference


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
        shortfall(f"{number(len(missing))} {agreed(what, len(missing))} du fichier de "
                  f"référence du registre {agreed('absente(s)', len(missing))} du fichier : "
                  f"{examples(missing)}")
    if extra:
        proof.contradicted(f"{number(len(extra))} "
                           f"{agreed(what + ' absente(s)', len(extra))} du fichier de "
                           f"référence du registre : {examples(extra)}")
    if not missing and not extra:
        proof.verified.append(f"{number(len(codes))} "
                              f"{agreed(what + ', (la même|les mêmes)', len(codes))} qu'au "
                              "fichier de référence du registre")
    return proof


@lru_cache(maxsize=2)
def _reference_rows(stage, name: str, reference: Path, vintage: str, table: str) -> dict:
    """Code -> row of source ``name``'s reference file (unchanged: its checksum was
    checked), read once per process."""
    rows = stage(get_source(name), reference, vintage)[0].tables[table]
    return {row["code"]: row for row in rows}


def compare_with_reference(staged: Staged, source: Source, path: Path, vintage: str,
                           table: str, what: str, stage) -> None:
    """Proofs that a file of communes (``table``) which is not the source's reference has
    the reference's codes (a list without Aurillac loaded « complet ») and, for outlines,
    the reference's ground within ``OUTLINE_TOLERANCE_M``; ``stage`` reads the reference."""
    reference = reference_to_compare(source, path, vintage)
    if reference is None:
        return
    expected = _reference_rows(stage, source.name, reference, vintage, table)
    codes = {row["code"] for row in staged.tables[table]}
    staged.proofs.append(lambda connection: same_codes(what, codes, set(expected),
                                                       extract_is_partial=True))
    if table == "commune_contours":
        pairs = [(row["code"], row["territory"], row["geom"], expected[row["code"]]["geom"])
                 for row in staged.tables[table] if row["code"] in expected]
        staged.proofs.append(lambda connection: _outlines_kept(pairs))


def _outlines_kept(pairs: list) -> Proof:
    """Each outline keeps the reference's ground within ``OUTLINE_TOLERANCE_M`` (Aurillac
    drawn as a 200 m square loaded « complet, prouvé »: its places were in no commune)."""
    proof = Proof()
    apart = outlines_apart(pairs, OUTLINE_TOLERANCE_M)
    if apart:
        proof.contradicted(
            f"{number(len(apart))} {agreed('commune(s)', len(apart))} dont le contour "
            f"s'écarte de plus de "
            f"{OUTLINE_TOLERANCE_M:.0f} m de celui du fichier de référence du registre : "
            + examples([f"{code} ({lost / 10_000:.1f} ha perdus, {gained / 10_000:.1f} ha "
                        f"de plus)".replace(".", ",") for code, lost, gained in apart]))
    return proof
